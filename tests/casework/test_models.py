"""Casework's rules held by the database itself, whatever code writes the rows (a script, the
admin, a bug): each row is written straight to the table, past the services."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from linkwell.casework.models import (
    Case,
    FollowUp,
    Goal,
    GoalProgress,
    Need,
    Note,
    PlanSupport,
)
from linkwell.directory.taxonomy import term_id
from tests.directory.factories import ServiceFactory
from tests.factories import CaseFactory, ContactFactory, FollowUpFactory, ReferralFactory

pytestmark = pytest.mark.django_db


def refused(make):
    """The write is refused by the database (and the test's transaction survives it)."""
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


@pytest.fixture
def case(scheme):
    return CaseFactory(scheme=scheme, status="active")


def another_referral(case):
    return ReferralFactory(scheme=case.scheme, person=case.person, status="accepted")


# --- Case ------------------------------------------------------------------------------------


def test_a_person_has_one_open_case_at_a_time(case):
    for status in ("open", "active", "paused", "closing"):
        refused(
            lambda status=status: Case.objects.create(
                scheme=case.scheme,
                person=case.person,
                referral=another_referral(case),
                status=status,
            )
        )
    assert Case.objects.filter(person=case.person).count() == 1


def test_closed_cases_do_not_count_against_the_one_open_case(case):
    for _ in range(2):
        Case.objects.create(
            scheme=case.scheme,
            person=case.person,
            referral=another_referral(case),
            status="closed",
            closed_at=timezone.now(),
            closing_reason="goals_met",
        )
    assert Case.objects.filter(person=case.person).count() == 3


def test_a_referral_opens_one_case_only(case):
    other = CaseFactory(scheme=case.scheme)
    refused(lambda: Case.objects.filter(pk=other.pk).update(referral=case.referral))


def test_a_closed_case_has_a_closing_date_and_reason(case):
    refused(lambda: Case.objects.filter(pk=case.pk).update(status="closed"))
    refused(
        lambda: Case.objects.filter(pk=case.pk).update(status="closed", closed_at=timezone.now())
    )
    refused(lambda: Case.objects.filter(pk=case.pk).update(status="closed", closing_reason="died"))
    Case.objects.filter(pk=case.pk).update(
        status="closed", closed_at=timezone.now(), closing_reason="died"
    )
    assert Case.objects.get(pk=case.pk).status == "closed"


@pytest.mark.parametrize(
    "field,value", [("status", "archived"), ("status", ""), ("closing_reason", "bored")]
)
def test_a_case_takes_only_known_values(case, field, value):
    refused(lambda: Case.objects.filter(pk=case.pk).update(**{field: value}))


# --- Needs, goals, supports ------------------------------------------------------------------


def test_need_severity_runs_from_zero_to_three(case):
    refused(lambda: Need.objects.create(case=case, area_id=term_id("housing"), severity=4))
    Need.objects.create(case=case, area_id=term_id("loneliness"), severity=0)
    Need.objects.create(case=case, area_id=term_id("bereavement"), severity=3)
    refused(lambda: Need.objects.filter(case=case).update(severity=4))


def test_a_case_has_one_need_per_area(case):
    Need.objects.create(case=case, area_id=term_id("housing"), severity=1)
    refused(lambda: Need.objects.create(case=case, area_id=term_id("housing"), severity=2))
    other = CaseFactory(scheme=case.scheme)
    Need.objects.create(case=other, area_id=term_id("housing"), severity=2)


def test_a_goal_has_words(case):
    refused(lambda: Goal.objects.create(case=case, text=""))
    Goal.objects.create(case=case, text="Walk to the shops")


def test_goal_progress_runs_from_zero_to_ten(case):
    refused(lambda: Goal.objects.create(case=case, text="Sleep better", progress=11))
    goal = Goal.objects.create(case=case, text="Sleep better", progress=10)
    refused(lambda: GoalProgress.objects.create(goal=goal, progress=11, status="open"))
    GoalProgress.objects.create(goal=goal, progress=10, status="achieved")


@pytest.mark.parametrize("status", ["done", "", "finished"])
def test_a_goal_takes_only_known_statuses(case, status):
    refused(lambda: Goal.objects.create(case=case, text="Cook a meal", status=status))


def test_a_support_in_the_plan_names_a_service_or_something(case):
    refused(lambda: PlanSupport.objects.create(case=case, decision="chosen"))
    PlanSupport.objects.create(case=case, decision="chosen", name="Friday lunch club")
    PlanSupport.objects.create(case=case, decision="chosen", service=ServiceFactory())


def test_a_support_decision_is_one_of_the_three(case):
    refused(lambda: PlanSupport.objects.create(case=case, decision="maybe", name="Choir"))


# --- Contacts, notes, follow-ups -------------------------------------------------------------


def test_a_contact_lasts_at_most_twelve_hours(case):
    refused(lambda: ContactFactory(case=case, duration_minutes=721))
    assert ContactFactory(case=case, duration_minutes=720).duration_minutes == 720
    assert ContactFactory(case=case, duration_minutes=None).duration_minutes is None


def test_a_contact_method_is_a_known_one(case):
    refused(lambda: ContactFactory(case=case, method="carrier_pigeon"))
    refused(lambda: ContactFactory(case=case, method=""))


def test_a_note_has_words(case):
    refused(lambda: Note.objects.create(case=case, text=""))


def test_a_follow_up_no_longer_due_says_when_it_ended(case):
    followup = FollowUpFactory(case=case)
    for status in ("done", "missed", "cancelled"):
        refused(lambda status=status: FollowUp.objects.filter(pk=followup.pk).update(status=status))
    FollowUp.objects.filter(pk=followup.pk).update(status="done", completed_at=timezone.now())
    assert FollowUp.objects.get(pk=followup.pk).status == "done"


@pytest.mark.parametrize(
    "field,value",
    [("kind", "chat"), ("kind", ""), ("status", "late"), ("recurrence", "daily")],
)
def test_a_follow_up_takes_only_known_values(case, field, value):
    followup = FollowUpFactory(case=case)
    refused(lambda: FollowUp.objects.filter(pk=followup.pk).update(**{field: value}))
