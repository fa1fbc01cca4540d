"""Writing a case's history after the event (the demo, imports): the casework services take an
optional `at` and keep it, and a follow-up scheduled earlier is checked as it was then."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from linkwell.casework import services
from linkwell.casework.models import CaseEvent, GoalProgress
from linkwell.casework.services import FollowUpPlan
from linkwell.casework.states import CaseStatus, FollowUpStatus, GoalStatus
from linkwell.core.errors import ApplicationError
from linkwell.core.models import LogEntry, Role
from linkwell.directory.models import TaxonomyTerm
from linkwell.directory.taxonomy import term_id
from tests.factories import CaseFactory, ReferralFactory

pytestmark = pytest.mark.django_db


def at_ten(days: int = 0) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


@pytest.fixture
def worker(member):
    return member(Role.LINK_WORKER).user


@pytest.fixture
def case(scheme, worker):
    referral = ReferralFactory(scheme=scheme, status="accepted", received_at=at_ten(-30))
    return CaseFactory(
        scheme=scheme,
        person=referral.person,
        referral=referral,
        worker=worker,
        status="open",
        opened_at=at_ten(-29),
    )


def test_a_follow_up_scheduled_earlier_may_now_be_overdue(case, worker):
    followup = services.followup_schedule(
        case=case,
        plan=FollowUpPlan(due_on=timezone.localdate() - timedelta(days=3), purpose="Check in"),
        by=worker,
        at=at_ten(-10),
    )
    followup.refresh_from_db()
    assert followup.created_at == at_ten(-10)
    assert followup.status == FollowUpStatus.DUE
    assert followup.due_on < timezone.localdate()
    assert LogEntry.objects.filter(action="case.followup_scheduled").count() == 1


@pytest.mark.parametrize(
    "scheduled, due",
    [
        (-10, -11),  # due before the day it was scheduled
        (1, 2),  # scheduled in the future
    ],
)
def test_a_follow_up_scheduled_earlier_is_checked_as_it_was_then(case, worker, scheduled, due):
    with pytest.raises(ApplicationError) as error:
        services.followup_schedule(
            case=case,
            plan=FollowUpPlan(due_on=timezone.localdate() + timedelta(days=due)),
            by=worker,
            at=at_ten(scheduled),
        )
    assert error.value.code == "followup_invalid"
    assert not case.followups.exists()


def test_a_new_follow_up_still_cannot_be_due_in_the_past(case, worker):
    with pytest.raises(ApplicationError) as error:
        services.followup_schedule(
            case=case,
            plan=FollowUpPlan(due_on=timezone.localdate() - timedelta(days=1)),
            by=worker,
        )
    assert error.value.code == "followup_invalid"


def test_the_first_contact_makes_the_case_active_from_when_it_happened(case, worker):
    services.contact_record(case=case, by=worker, at=at_ten(-20), method="phone")
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    assert case.status_changed_at == at_ten(-20)
    assert CaseEvent.objects.get(case=case, to_status=CaseStatus.ACTIVE).at == at_ten(-20)


def test_history_written_after_the_event_keeps_its_times(case, worker):
    area = TaxonomyTerm.objects.get(pk=term_id("loneliness"))
    assessment = services.assessment_start(case=case, by=worker, at=at_ten(-20))
    need = services.need_set(
        case=case,
        area=area,
        severity=2,
        in_their_words="Some days I don't speak to a soul.",
        by=worker,
        assessment=assessment,
        at=at_ten(-20),
    )
    assessment = services.assessment_complete(
        assessment=assessment, what_matters="People to talk to.", by=worker, at=at_ten(-19)
    )
    goal = services.goal_add(
        case=case, text="Join a group", by=worker, needs=[need], at=at_ten(-19)
    )
    goal = services.goal_update(
        goal=goal, by=worker, version=goal.version, progress=6, at=at_ten(-5)
    )
    goal = services.goal_update(
        goal=goal, by=worker, version=goal.version, status=GoalStatus.ACHIEVED, at=at_ten(-2)
    )
    support = services.support_record(
        case=case, by=worker, decision="chosen", name="Lunch club", at=at_ten(-19)
    )
    note = services.note_add(case=case, by=worker, text="Prefers mornings.", at=at_ten(-18))
    services.case_move(case=case, to=CaseStatus.PAUSED, by=worker, reason="Away", at=at_ten(-4))

    assert assessment.started_at == at_ten(-20) and assessment.completed_at == at_ten(-19)
    need.refresh_from_db()
    assert need.recorded_at == at_ten(-20)
    goal.refresh_from_db()
    assert goal.created_at == at_ten(-19) and goal.closed_at == at_ten(-2)
    history = list(GoalProgress.objects.filter(goal=goal).order_by("at"))
    assert [(h.at, h.progress, h.status) for h in history] == [
        (at_ten(-19), 0, GoalStatus.OPEN),
        (at_ten(-5), 6, GoalStatus.OPEN),
        (at_ten(-2), 6, GoalStatus.ACHIEVED),
    ]
    support.refresh_from_db()
    assert support.decided_at == at_ten(-19)
    note.refresh_from_db()
    assert note.at == at_ten(-18)
    case.refresh_from_db()
    assert case.status == CaseStatus.PAUSED and case.status_changed_at == at_ten(-4)


def test_without_a_time_the_services_record_now(case, worker):
    before = timezone.now()
    note = services.note_add(case=case, by=worker, text="Rang back.")
    goal = services.goal_add(case=case, text="Walk to the shops", by=worker)
    assert note.at >= before and goal.created_at >= before
