"""Casework's services and the selectors that scope cases: opening a case from a referral,
moving, reassigning, contacts, notes, needs, goals, supports, follow-ups, closing, reopening;
version checks, the closed-case guard, safeguarding notes, audit and the referrer's letter."""

import json
from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linkwell.casework import selectors, services
from linkwell.casework.models import (
    Assessment,
    Case,
    CaseAssignment,
    CaseEvent,
    Contact,
    FollowUp,
    Goal,
    GoalProgress,
    Need,
    Note,
    PlanSupport,
)
from linkwell.casework.selectors_plan import case_plan
from linkwell.casework.services import EditConflict, FollowUpPlan, OpenFollowUps
from linkwell.casework.states import TRANSITIONS, CaseStatus
from linkwell.core.errors import ApplicationError
from linkwell.core.models import LogEntry, Role
from linkwell.directory.models import TaxonomyTerm
from linkwell.directory.taxonomy import ACTIVITY_TYPES_ID, NEED_AREAS_ID, term_id
from linkwell.notify import backends
from linkwell.notify.outbox import messages_send_due
from linkwell.people.models import ConsentScope
from linkwell.people.services import consent_record, consent_withdraw
from linkwell.referrals.services import referral_move
from tests.directory.factories import ServiceFactory
from tests.factories import (
    CaseFactory,
    FollowUpFactory,
    ReferralFactory,
)

pytestmark = pytest.mark.django_db


# --- Helpers and fixtures --------------------------------------------------------------------


def at_ten(days: int = 0) -> datetime:
    """10:00 local time, `days` from today (negative: in the past)."""
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def today(days: int = 0):
    return timezone.localdate() + timedelta(days=days)


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def code_of(excinfo) -> str:
    return excinfo.value.code


def audit(action: str):
    return LogEntry.objects.filter(action=action)


@pytest.fixture(autouse=True)
def outbox(settings):
    settings.NOTIFY_BACKEND = "memory"
    backends.outbox.clear()
    yield backends.outbox
    backends.outbox.clear()


@pytest.fixture
def worker(member):
    return member(Role.LINK_WORKER)


@pytest.fixture
def manager(member):
    return member(Role.MANAGER)


@pytest.fixture
def case(scheme, worker):
    """An open case (no contact yet) from a referral received ten days ago at 10:00."""
    referral = ReferralFactory(
        scheme=scheme,
        status="accepted",
        received_at=at_ten(-10),
        referrer_email="dr.example@practice.example.test",
    )
    return CaseFactory(
        scheme=scheme,
        person=referral.person,
        referral=referral,
        worker=worker.user,
        status="open",
        opened_at=at_ten(-9),
    )


def close(case, by, **kwargs):
    kwargs.setdefault("reason", "goals_met")
    kwargs.setdefault("version", fresh(case).version)
    return services.case_close(case=case, by=by, **kwargs)


# --- Opening a case --------------------------------------------------------------------------


def contacted_referral(scheme, **kwargs):
    kwargs.setdefault("received_at", at_ten(-5))
    return ReferralFactory(scheme=scheme, status="contacted", **kwargs)


def test_opening_accepts_the_contacted_referral_and_gives_the_case_to_its_assignee(
    scheme, worker, manager
):
    site = scheme.sites.get(name="North")
    referral = contacted_referral(scheme, assigned_to=worker.user, site=site)

    case = services.case_open(referral=referral, by=manager.user)

    referral.refresh_from_db()
    assert referral.status == "accepted"
    assert referral.case == case
    assert case.status == CaseStatus.OPEN
    assert case.worker == worker.user
    assert case.person == referral.person
    assert case.scheme == scheme
    assert case.site == site
    assert case.version == 1
    [event] = CaseEvent.objects.filter(case=case)
    assert (event.from_status, event.to_status, event.by) == ("", "open", manager.user)
    [assignment] = CaseAssignment.objects.filter(case=case)
    assert (assignment.worker, assignment.previous_worker) == (worker.user, None)
    [entry] = audit("case.opened")
    assert entry.actor == manager.user
    assert entry.object_id == str(case.pk)
    assert entry.person_id == str(referral.person_id)
    assert entry.data["referral"] == str(referral.pk)
    assert audit("referral.moved").filter(data__to="accepted").count() == 1


def test_the_worker_named_when_opening_holds_the_case(scheme, worker, member, manager):
    other = member(Role.LINK_WORKER)
    referral = contacted_referral(scheme, assigned_to=worker.user)
    case = services.case_open(referral=referral, by=manager.user, worker=other.user)
    assert case.worker == other.user
    assert CaseAssignment.objects.get(case=case).worker == other.user


def test_with_no_assignee_the_link_worker_opening_it_holds_it(scheme, worker):
    referral = contacted_referral(scheme)
    case = services.case_open(referral=referral, by=worker.user)
    assert case.worker == worker.user


def test_a_manager_may_hold_a_case(scheme, manager):
    case = services.case_open(referral=contacted_referral(scheme), by=manager.user)
    assert case.worker == manager.user


@pytest.mark.parametrize("status", ["received", "triaged", "waiting", "declined", "accepted"])
def test_only_a_contacted_referral_opens_a_case(scheme, worker, status):
    referral = ReferralFactory(scheme=scheme, status=status, assigned_to=worker.user)
    with pytest.raises(ApplicationError) as excinfo:
        services.case_open(referral=referral, by=worker.user)
    assert code_of(excinfo) == "referral_illegal_move"
    assert fresh(referral).status == status
    assert not Case.objects.exists()
    assert not audit("case.opened").exists()


def test_a_person_with_an_open_case_does_not_get_a_second(scheme, worker, case):
    referral = contacted_referral(scheme, person=case.person, assigned_to=worker.user)
    with pytest.raises(ApplicationError) as excinfo:
        services.case_open(referral=referral, by=worker.user)
    assert code_of(excinfo) == "case_already_open"
    assert fresh(referral).status == "contacted"
    assert Case.objects.filter(person=case.person).count() == 1
    assert not audit("case.opened").exists()


def test_a_person_whose_case_closed_can_have_a_new_one(scheme, worker, case):
    close(case, worker.user, tell_referrer=False)
    referral = contacted_referral(scheme, person=case.person, assigned_to=worker.user)
    new = services.case_open(referral=referral, by=worker.user)
    assert new.pk != case.pk
    assert Case.objects.filter(person=case.person).count() == 2


@pytest.mark.parametrize("role", [Role.REFERRER, Role.PROVIDER, Role.ADMIN, Role.COMMISSIONER])
def test_the_case_goes_only_to_a_link_worker_of_the_scheme(scheme, worker, member, role):
    referral = contacted_referral(scheme)
    not_a_worker = member(role).user
    with pytest.raises(ApplicationError) as excinfo:
        services.case_open(referral=referral, by=worker.user, worker=not_a_worker)
    assert code_of(excinfo) == "case_worker_invalid"
    assert fresh(referral).status == "contacted"
    assert not Case.objects.exists()


def test_a_link_worker_of_another_scheme_cannot_hold_the_case(scheme, other_scheme, worker, member):
    referral = contacted_referral(scheme, assigned_to=member(of=other_scheme).user)
    with pytest.raises(ApplicationError) as excinfo:
        services.case_open(referral=referral, by=worker.user)
    assert code_of(excinfo) == "case_worker_invalid"
    assert not Case.objects.exists()


def test_a_link_worker_who_has_left_cannot_hold_the_case(scheme, worker, member):
    gone = member(Role.LINK_WORKER, is_active=False).user
    with pytest.raises(ApplicationError) as excinfo:
        services.case_open(referral=contacted_referral(scheme), by=worker.user, worker=gone)
    assert code_of(excinfo) == "case_worker_invalid"


def test_a_referral_is_accepted_only_by_opening_its_case(scheme, worker):
    referral = contacted_referral(scheme, assigned_to=worker.user)
    with pytest.raises(ApplicationError) as excinfo:
        referral_move(referral=referral, to="accepted", by=worker.user)
    assert code_of(excinfo) == "referral_accept_opens_case"
    assert fresh(referral).status == "contacted"


# --- Moving ----------------------------------------------------------------------------------

MOVES = [
    (start, target)
    for start in CaseStatus
    if start != CaseStatus.CLOSED
    for target in CaseStatus
    if target not in (start, CaseStatus.CLOSED)
]


@pytest.mark.parametrize("start,target", MOVES)
def test_a_case_moves_as_the_table_allows_and_no_other_way(worker, case, start, target):
    Case.objects.filter(pk=case.pk).update(status=start)
    before = fresh(case)
    if target in TRANSITIONS[start]:
        moved = services.case_move(
            case=case, to=target, by=worker.user, version=before.version, reason="  Holiday "
        )
        assert fresh(case).status == target
        assert moved.status == target
        assert fresh(case).version == before.version + 1
        [event] = CaseEvent.objects.filter(case=case)
        assert (event.from_status, event.to_status, event.reason) == (start, target, "Holiday")
        [entry] = audit("case.moved")
        assert entry.data == {"from": str(start), "to": str(target)}
        assert entry.person_id == str(case.person_id)
    else:
        with pytest.raises(ApplicationError) as excinfo:
            services.case_move(case=case, to=target, by=worker.user, version=before.version)
        assert code_of(excinfo) == "case_illegal_move"
        assert fresh(case).status == start
        assert fresh(case).version == before.version
        assert not CaseEvent.objects.exists()


def test_closing_is_done_from_the_checklist_not_by_a_move(worker, case):
    Case.objects.filter(pk=case.pk).update(status="closing")
    with pytest.raises(ApplicationError) as excinfo:
        services.case_move(case=case, to="closed", by=worker.user)
    assert code_of(excinfo) == "case_close_via_checklist"
    assert fresh(case).status == "closing"


def test_a_closed_case_does_not_move(worker, case):
    close(case, worker.user, tell_referrer=False)
    with pytest.raises(ApplicationError) as excinfo:
        services.case_move(case=case, to="active", by=worker.user)
    assert code_of(excinfo) == "case_closed"


def test_an_edit_begun_before_someone_elses_change_is_refused(worker, manager, case):
    loaded = fresh(case).version
    services.case_move(case=case, to="paused", by=manager.user, version=loaded)
    events = CaseEvent.objects.count()

    with pytest.raises(EditConflict) as excinfo:
        services.case_move(case=case, to="active", by=worker.user, version=loaded)

    assert excinfo.value.status == 409
    assert code_of(excinfo) == "edit_conflict"
    assert excinfo.value.current.status == "paused"
    now = fresh(case)
    assert now.status == "paused"
    assert now.version == loaded + 1
    assert CaseEvent.objects.count() == events
    assert audit("case.moved").count() == 1


def test_every_change_raises_the_version(worker, case):
    v = fresh(case).version
    case = services.case_move(case=case, to="active", by=worker.user, version=v)
    assert fresh(case).version == v + 1
    services.note_add(case=case, by=worker.user, text="Rang about the bus pass.")
    assert fresh(case).version == v + 2
    services.followup_schedule(case=case, plan=FollowUpPlan(due_on=today(3)), by=worker.user)
    assert fresh(case).version == v + 3
    services.assessment_start(case=case, by=worker.user)
    assert fresh(case).version == v + 4
    services.goal_add(case=case, text="Get out once a week", by=worker.user)
    assert fresh(case).version == v + 5
    with pytest.raises(EditConflict):
        services.case_move(case=case, to="paused", by=worker.user, version=v + 4)


# --- Reassigning -----------------------------------------------------------------------------


def test_reassigning_keeps_history_and_moves_due_follow_ups(scheme, worker, member, manager):
    case = services.case_open(referral=contacted_referral(scheme), by=worker.user)
    newcomer = member(Role.LINK_WORKER).user
    due = FollowUpFactory(case=case, due_on=today(2))
    done = FollowUpFactory(case=case, due_on=today(-3), status="done", completed_at=at_ten(-3))
    elsewhere = FollowUpFactory(case=CaseFactory(scheme=scheme, worker=worker.user))

    moved = services.case_assign(
        case=case, to=newcomer, by=manager.user, version=fresh(case).version, reason=" Leave "
    )

    assert moved.worker == newcomer
    assert fresh(case).worker == newcomer
    assert fresh(case).version == 2
    assert fresh(due).worker == newcomer
    assert fresh(done).worker == worker.user
    assert fresh(elsewhere).worker == worker.user
    history = list(CaseAssignment.objects.filter(case=case).order_by("at", "id"))
    assert [(a.worker, a.previous_worker) for a in history] == [
        (worker.user, None),
        (newcomer, worker.user),
    ]
    assert history[-1].reason == "Leave"
    assert history[-1].by == manager.user
    [entry] = audit("case.assigned")
    assert entry.data == {"from": worker.user.email, "to": newcomer.email}
    assert entry.person_id == str(case.person_id)


def test_giving_a_case_to_the_worker_who_holds_it_changes_nothing(worker, manager, case):
    before = fresh(case).version
    services.case_assign(case=case, to=worker.user, by=manager.user, version=before)
    assert fresh(case).version == before
    assert not CaseAssignment.objects.exists()
    assert not audit("case.assigned").exists()


def test_a_case_is_given_only_to_a_link_worker_of_the_scheme(member, manager, case, other_scheme):
    for user in (member(Role.REFERRER).user, member(of=other_scheme).user):
        with pytest.raises(ApplicationError) as excinfo:
            services.case_assign(case=case, to=user, by=manager.user)
        assert code_of(excinfo) == "case_worker_invalid"
    assert fresh(case).worker == case.worker


def test_reassigning_with_a_stale_version_is_refused(member, manager, case):
    newcomer = member(Role.LINK_WORKER).user
    stale = fresh(case).version
    services.note_add(case=case, by=manager.user, text="Spoke to the GP.")
    with pytest.raises(EditConflict):
        services.case_assign(case=case, to=newcomer, by=manager.user, version=stale)
    assert fresh(case).worker == case.worker
    assert not CaseAssignment.objects.exists()


def test_a_manager_gives_several_cases_at_once(scheme, worker, member, manager):
    newcomer = member(Role.LINK_WORKER).user
    cases = [CaseFactory(scheme=scheme, worker=worker.user) for _ in range(3)]
    already = CaseFactory(scheme=scheme, worker=newcomer)
    followup = FollowUpFactory(case=cases[0])

    moved = services.case_assign_many(
        cases=[*cases, already], to=newcomer, by=manager.user, reason="Balancing"
    )

    assert moved == 3
    assert set(Case.objects.filter(worker=newcomer)) == {*cases, already}
    assert CaseAssignment.objects.filter(worker=newcomer, previous_worker=worker.user).count() == 3
    assert not CaseAssignment.objects.filter(case=already).exists()
    assert fresh(followup).worker == newcomer
    assert audit("case.assigned").count() == 3


def test_giving_several_cases_is_all_or_nothing(scheme, worker, member, manager):
    newcomer = member(Role.LINK_WORKER).user
    good = CaseFactory(scheme=scheme, worker=worker.user)
    closed = CaseFactory(
        scheme=scheme,
        worker=worker.user,
        status="closed",
        closed_at=at_ten(-1),
        closing_reason="moved_away",
    )
    with pytest.raises(ApplicationError) as excinfo:
        services.case_assign_many(cases=[good, closed], to=newcomer, by=manager.user)
    assert code_of(excinfo) == "case_closed"
    assert fresh(good).worker == worker.user
    assert not CaseAssignment.objects.exists()


# --- Contacts --------------------------------------------------------------------------------


def record(case, by, **kwargs):
    kwargs.setdefault("at", timezone.now() - timedelta(hours=1))
    kwargs.setdefault("method", "phone")
    return services.contact_record(case=case, by=by, **kwargs)


def refused_contact(case, by, **kwargs) -> dict:
    with pytest.raises(ApplicationError) as excinfo:
        record(case, by, **kwargs)
    assert code_of(excinfo) == "contact_invalid"
    assert not Contact.objects.exists()
    return excinfo.value.fields


def test_a_contact_in_the_future_is_refused(worker, case):
    fields = refused_contact(case, worker.user, at=timezone.now() + timedelta(minutes=10))
    assert list(fields) == ["at"]
    assert fresh(case).status == "open"


def test_a_contact_a_minute_or_two_ahead_is_allowed_for_clocks_that_differ(worker, case):
    contact = record(case, worker.user, at=timezone.now() + timedelta(minutes=2))
    assert Contact.objects.get() == contact


def test_a_contact_longer_than_twelve_hours_is_refused(worker, case):
    assert list(refused_contact(case, worker.user, duration_minutes=721)) == ["duration_minutes"]
    assert list(refused_contact(case, worker.user, duration_minutes=-5)) == ["duration_minutes"]
    assert record(case, worker.user, duration_minutes=720).duration_minutes == 720


def test_a_contact_before_the_referral_is_refused(worker, case):
    fields = refused_contact(case, worker.user, at=case.referral.received_at - timedelta(days=2))
    assert list(fields) == ["at"]


def test_a_contact_without_a_known_method_is_refused(worker, case):
    assert list(refused_contact(case, worker.user, method="telepathy")) == ["method"]


def test_a_contact_is_saved_with_its_details_and_audited_without_its_notes(worker, case):
    when = at_ten(-1)
    contact = record(
        case,
        worker.user,
        at=when,
        method="home_visit",
        duration_minutes=45,
        who_was_there=" Her daughter ",
        notes="  Talked about the garden club and her late husband. ",
        outcome="Will try the club",
        next_step="Ring next week",
    )
    contact = fresh(contact)
    assert (contact.at, contact.method, contact.duration_minutes) == (when, "home_visit", 45)
    assert contact.who_was_there == "Her daughter"
    assert contact.notes == "Talked about the garden club and her late husband."
    assert contact.by == worker.user
    [entry] = audit("case.contact_recorded")
    assert entry.person_id == str(case.person_id)
    assert entry.data == {"method": "home_visit", "at": when.isoformat()}


def test_the_first_contact_makes_an_open_case_active(worker, case):
    record(case, worker.user)
    assert fresh(case).status == "active"
    [event] = CaseEvent.objects.filter(case=case)
    assert (event.from_status, event.to_status) == ("open", "active")
    record(case, worker.user)
    assert CaseEvent.objects.filter(case=case).count() == 1
    assert fresh(case).status == "active"


def test_a_contact_on_a_paused_case_leaves_it_paused(worker, case):
    Case.objects.filter(pk=case.pk).update(status="paused")
    record(case, worker.user)
    assert fresh(case).status == "paused"
    assert not CaseEvent.objects.exists()


def test_a_contact_can_complete_the_follow_up_it_answers(worker, case):
    followup = FollowUpFactory(case=case, due_on=today())
    contact = record(case, worker.user, completes=followup)
    followup = fresh(followup)
    assert followup.status == "done"
    assert followup.contact == contact
    assert followup.completed_by == worker.user
    assert followup.completed_at is not None


def test_a_contact_cannot_complete_another_cases_follow_up(scheme, worker, case):
    other = FollowUpFactory(case=CaseFactory(scheme=scheme, worker=worker.user))
    with pytest.raises(ApplicationError) as excinfo:
        record(case, worker.user, completes=other)
    assert code_of(excinfo) == "followup_not_this_case"
    assert not Contact.objects.exists()
    assert fresh(other).status == "due"
    assert fresh(case).status == "open"


def test_a_contact_can_schedule_the_next_follow_up_in_the_same_step(worker, case):
    plan = FollowUpPlan(due_on=today(7), purpose=" Check the art group ", kind="check_referral")
    contact = record(case, worker.user, followup=plan)
    followup = FollowUp.objects.get(case=case)
    assert (followup.due_on, followup.kind, followup.purpose) == (
        today(7),
        "check_referral",
        "Check the art group",
    )
    assert followup.worker == case.worker
    assert followup.created_by == worker.user
    assert followup.status == "due"
    assert Contact.objects.get() == contact
    assert audit("case.followup_scheduled").get().person_id == str(case.person_id)


def test_an_invalid_follow_up_plan_saves_neither_the_contact_nor_the_follow_up(worker, case):
    fields = refused_contact(
        case, worker.user, notes="Good chat", followup=FollowUpPlan(due_on=today(-1))
    )
    assert list(fields) == ["followup_due_on"]
    assert not FollowUp.objects.exists()
    assert fresh(case).status == "open"
    assert fresh(case).version == case.version
    assert not audit("case.contact_recorded").exists()


def test_contact_and_plan_errors_are_reported_together(worker, case):
    fields = refused_contact(
        case,
        worker.user,
        duration_minutes=800,
        followup=FollowUpPlan(due_on=today(1), remind_person=True),
    )
    assert set(fields) == {"duration_minutes", "followup_due_time"}


# --- Notes and safeguarding ------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n  ", None])
def test_an_empty_note_is_refused(worker, case, text):
    with pytest.raises(ApplicationError) as excinfo:
        services.note_add(case=case, by=worker.user, text=text)
    assert code_of(excinfo) == "note_empty"
    assert "text" in excinfo.value.fields
    assert not Note.objects.exists()
    assert fresh(case).version == case.version


def test_a_note_is_saved_trimmed_and_may_be_marked_safeguarding(worker, case):
    note = services.note_add(
        case=case, by=worker.user, text="  Bruises on her arm.  ", is_safeguarding=True
    )
    note = fresh(note)
    assert (note.text, note.is_safeguarding, note.by) == ("Bruises on her arm.", True, worker.user)
    [entry] = audit("case.note_added")
    assert entry.data == {"safeguarding": True}
    assert entry.person_id == str(case.person_id)


def visible_texts(membership, case) -> set[str]:
    return {n.text for n in selectors.notes_visible(membership=membership, case=case)}


def test_safeguarding_notes_are_for_the_cases_workers_and_managers(scheme, worker, member):
    case = services.case_open(referral=contacted_referral(scheme), by=worker.user)
    services.note_add(case=case, by=worker.user, text="Ordinary note")
    services.note_add(case=case, by=worker.user, text="Worried about him", is_safeguarding=True)
    bystander = member(Role.LINK_WORKER)
    manager = member(Role.MANAGER)
    everything = {"Ordinary note", "Worried about him"}

    assert visible_texts(worker, case) == everything
    assert visible_texts(manager, case) == everything
    assert visible_texts(bystander, case) == {"Ordinary note"}
    assert selectors.can_see_safeguarding(bystander, case) is False

    newcomer = member(Role.LINK_WORKER)
    case = services.case_assign(case=case, to=newcomer.user, by=manager.user)

    assert visible_texts(newcomer, case) == everything
    assert visible_texts(worker, case) == everything  # held it before
    assert visible_texts(manager, case) == everything
    assert visible_texts(bystander, case) == {"Ordinary note"}


def test_a_previous_worker_still_sees_safeguarding_notes_when_the_first_holder_was_not_recorded(
    worker, member, manager, case
):
    """Cases written without an opening assignment row (imports, demo data): the worker who
    gave the case on is named as the previous worker of the reassignment."""
    services.note_add(case=case, by=worker.user, text="Worried", is_safeguarding=True)
    case = services.case_assign(case=case, to=member(Role.LINK_WORKER).user, by=manager.user)
    assert visible_texts(worker, case) == {"Worried"}


def test_a_worker_who_has_left_the_team_no_longer_sees_safeguarding_notes(worker, case):
    services.note_add(case=case, by=worker.user, text="Worried", is_safeguarding=True)
    worker.is_active = False
    worker.save()
    assert selectors.can_see_safeguarding(worker, case) is False


def test_roles_without_a_caseload_never_see_safeguarding_notes(member, case):
    for role in (Role.REFERRER, Role.PROVIDER, Role.ADMIN, Role.COMMISSIONER):
        assert selectors.can_see_safeguarding(member(role), case) is False


# --- Needs and the what-matters conversation -------------------------------------------------


def area(code):
    return TaxonomyTerm.objects.get(pk=term_id(code))


def test_a_need_is_recorded_then_updated_for_the_same_area(worker, case):
    need = services.need_set(
        case=case, area=area("housing"), severity=2, in_their_words=" Damp flat ", by=worker.user
    )
    assert (need.severity, need.in_their_words, need.version) == (2, "Damp flat", 1)
    assert audit("case.need_recorded").get().data == {
        "area": "Housing",
        "severity": 2,
    }

    again = services.need_set(
        case=case,
        area=area("housing"),
        severity=3,
        in_their_words="Mould",
        by=worker.user,
        version=1,
    )

    assert again.pk == need.pk
    assert Need.objects.filter(case=case).count() == 1
    need = fresh(need)
    assert (need.severity, need.in_their_words, need.version) == (3, "Mould", 2)
    assert audit("case.need_changed").get().person_id == str(case.person_id)


def test_changing_a_need_someone_else_changed_is_refused(worker, manager, case):
    services.need_set(case=case, area=area("housing"), severity=2, by=worker.user)
    services.need_set(case=case, area=area("housing"), severity=1, by=manager.user, version=1)
    with pytest.raises(EditConflict) as excinfo:
        services.need_set(case=case, area=area("housing"), severity=3, by=worker.user, version=1)
    assert excinfo.value.status == 409
    need = Need.objects.get(case=case)
    assert (need.severity, need.version) == (1, 2)


@pytest.mark.parametrize("severity", [4, -1, "a lot", None])
def test_a_severity_outside_the_scale_is_refused(worker, case, severity):
    with pytest.raises(ApplicationError) as excinfo:
        services.need_set(case=case, area=area("housing"), severity=severity, by=worker.user)
    assert code_of(excinfo) == "need_severity_invalid"
    assert not Need.objects.exists()


def test_a_term_that_is_not_a_need_area_is_refused(worker, case):
    activity = TaxonomyTerm.objects.filter(taxonomy_id=ACTIVITY_TYPES_ID).first()
    with pytest.raises(ApplicationError) as excinfo:
        services.need_set(case=case, area=activity, severity=1, by=worker.user)
    assert code_of(excinfo) == "need_area_unknown"
    assert not Need.objects.exists()


def test_a_scheme_uses_its_own_need_areas_but_not_another_schemes(
    scheme, other_scheme, worker, case
):
    ours = TaxonomyTerm.objects.create(
        taxonomy_id=NEED_AREAS_ID, scheme=scheme, code="ours", name="Allotments"
    )
    theirs = TaxonomyTerm.objects.create(
        taxonomy_id=NEED_AREAS_ID, scheme=other_scheme, code="theirs", name="Hillside only"
    )
    assert services.need_set(case=case, area=ours, severity=1, by=worker.user).area == ours
    with pytest.raises(ApplicationError) as excinfo:
        services.need_set(case=case, area=theirs, severity=1, by=worker.user)
    assert code_of(excinfo) == "need_area_unknown"
    assert not Need.objects.filter(area=theirs).exists()


def test_an_unfinished_conversation_is_carried_on_not_started_again(worker, case):
    first = services.assessment_start(case=case, by=worker.user)
    assert services.assessment_start(case=case, by=worker.user) == first
    assert Assessment.objects.count() == 1
    assert audit("case.assessment_started").count() == 1

    services.assessment_complete(
        assessment=first, what_matters="Seeing my grandson", by=worker.user
    )
    second = services.assessment_start(case=case, by=worker.user)
    assert second != first
    assert Assessment.objects.count() == 2


@pytest.mark.parametrize("words", ["", "   ", None])
def test_finishing_the_conversation_needs_the_persons_words(worker, case, words):
    assessment = services.assessment_start(case=case, by=worker.user)
    with pytest.raises(ApplicationError) as excinfo:
        services.assessment_complete(assessment=assessment, what_matters=words, by=worker.user)
    assert code_of(excinfo) == "assessment_what_matters_missing"
    assert fresh(assessment).completed_at is None


def test_finishing_the_conversation_keeps_the_words(worker, case):
    assessment = services.assessment_start(case=case, by=worker.user)
    services.assessment_complete(
        assessment=assessment, what_matters="  Getting back to choir ", by=worker.user
    )
    assessment = fresh(assessment)
    assert assessment.what_matters == "Getting back to choir"
    assert assessment.completed_at is not None
    assert audit("case.assessment_completed").get().data == {}


# --- Goals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "  \t ", None])
def test_a_goal_without_words_is_refused(worker, case, text):
    with pytest.raises(ApplicationError) as excinfo:
        services.goal_add(case=case, text=text, by=worker.user)
    assert code_of(excinfo) == "goal_text_missing"
    assert not Goal.objects.exists()
    assert not GoalProgress.objects.exists()


def test_a_goal_links_only_to_this_cases_needs(scheme, worker, case):
    other_case = CaseFactory(scheme=scheme)
    foreign = services.need_set(case=other_case, area=area("housing"), severity=1, by=worker.user)
    with pytest.raises(ApplicationError) as excinfo:
        services.goal_add(case=case, text="Move house", by=worker.user, needs=[foreign])
    assert code_of(excinfo) == "goal_need_invalid"
    assert not Goal.objects.exists()


def test_a_goal_starts_at_nought_with_its_first_history_row(worker, case):
    need = services.need_set(case=case, area=area("loneliness"), severity=3, by=worker.user)
    goal = services.goal_add(
        case=case,
        text=" Join a walking group ",
        by=worker.user,
        needs=[need],
        target_date=today(60),
    )
    goal = fresh(goal)
    assert (goal.text, goal.progress, goal.status, goal.version) == (
        "Join a walking group",
        0,
        "open",
        1,
    )
    assert list(goal.needs.all()) == [need]
    assert list(goal.history.values_list("progress", "status")) == [(0, "open")]
    assert audit("case.goal_added").get().person_id == str(case.person_id)


@pytest.fixture
def goal(worker, case):
    return services.goal_add(case=case, text="Sleep through the night", by=worker.user)


@pytest.mark.parametrize("progress", [11, -1])
def test_progress_outside_nought_to_ten_is_refused(worker, goal, progress):
    with pytest.raises(ApplicationError) as excinfo:
        services.goal_update(goal=goal, by=worker.user, version=1, progress=progress)
    assert code_of(excinfo) == "goal_progress_invalid"
    goal = fresh(goal)
    assert (goal.progress, goal.version) == (0, 1)
    assert goal.history.count() == 1


def test_each_score_is_kept_as_history(worker, goal):
    services.goal_update(goal=goal, by=worker.user, version=1, progress=3, note="Some nights")
    services.goal_update(goal=goal, by=worker.user, version=2, progress=7)
    goal = fresh(goal)
    assert (goal.progress, goal.version) == (7, 3)
    assert list(goal.history.order_by("at", "id").values_list("progress", "note")) == [
        (0, ""),
        (3, "Some nights"),
        (7, ""),
    ]


def test_reviewing_a_goal_dates_it_and_reopening_clears_the_date(worker, goal):
    services.goal_update(goal=goal, by=worker.user, version=1, status="achieved", progress=10)
    goal = fresh(goal)
    assert goal.status == "achieved"
    assert goal.closed_at is not None
    assert goal.history.order_by("-at", "-id").first().status == "achieved"

    services.goal_update(goal=goal, by=worker.user, version=2, status="open")
    assert fresh(goal).closed_at is None


def test_rewording_a_goal_to_nothing_is_refused(worker, goal):
    with pytest.raises(ApplicationError) as excinfo:
        services.goal_update(goal=goal, by=worker.user, version=1, text="  ")
    assert code_of(excinfo) == "goal_text_missing"
    assert fresh(goal).text == "Sleep through the night"


def test_a_goal_changed_by_someone_else_is_not_overwritten(worker, manager, goal):
    services.goal_update(goal=goal, by=manager.user, version=1, progress=4)
    with pytest.raises(EditConflict) as excinfo:
        services.goal_update(goal=goal, by=worker.user, version=1, progress=9, text="Other")
    assert excinfo.value.status == 409
    goal = fresh(goal)
    assert (goal.progress, goal.text, goal.version) == (4, "Sleep through the night", 2)
    assert goal.history.count() == 2


def test_the_goal_audit_says_what_changed_but_not_the_words(worker, goal):
    services.goal_update(goal=goal, by=worker.user, version=1, text="Sleep six hours", progress=2)
    entry = audit("case.goal_changed").get()
    assert entry.data["progress"] == 2
    assert "Sleep six hours" not in json.dumps(entry.data)


# --- Supports in the plan --------------------------------------------------------------------


def test_declining_a_support_needs_the_persons_reason(worker, case):
    with pytest.raises(ApplicationError) as excinfo:
        services.support_record(
            case=case, by=worker.user, decision="declined", name="Choir", in_their_words="  "
        )
    assert code_of(excinfo) == "support_reason_missing"
    assert not PlanSupport.objects.exists()


def test_a_support_must_be_named(worker, case):
    with pytest.raises(ApplicationError) as excinfo:
        services.support_record(case=case, by=worker.user, decision="chosen", name="   ")
    assert code_of(excinfo) == "support_unnamed"
    assert not PlanSupport.objects.exists()


def test_a_later_decision_about_the_same_service_replaces_the_first(worker, case):
    service = ServiceFactory()
    first = services.support_record(
        case=case, by=worker.user, decision="considering", service=service
    )
    second = services.support_record(
        case=case,
        by=worker.user,
        decision="declined",
        service=service,
        in_their_words="Worried what they'd think",
    )
    assert second.pk == first.pk
    support = PlanSupport.objects.get(case=case)
    assert (support.decision, support.in_their_words) == ("declined", "Worried what they'd think")
    entry = audit("case.support_recorded").order_by("-id").first()
    assert entry.data == {"decision": "declined", "service": str(service.pk)}


def test_supports_are_told_apart_by_their_name(worker, case):
    services.support_record(case=case, by=worker.user, decision="chosen", name="Food bank")
    services.support_record(case=case, by=worker.user, decision="considering", name="Choir")
    services.support_record(case=case, by=worker.user, decision="chosen", name="Choir")
    assert dict(PlanSupport.objects.values_list("name", "decision")) == {
        "Food bank": "chosen",
        "Choir": "chosen",
    }


# --- Follow-ups ------------------------------------------------------------------------------


def refused_plan(case, by, plan) -> dict:
    with pytest.raises(ApplicationError) as excinfo:
        services.followup_schedule(case=case, plan=plan, by=by)
    assert code_of(excinfo) == "followup_invalid"
    assert not FollowUp.objects.exists()
    return excinfo.value.fields


def test_a_follow_up_cannot_be_due_in_the_past(worker, case):
    assert list(refused_plan(case, worker.user, FollowUpPlan(due_on=today(-1)))) == ["due_on"]
    assert (
        services.followup_schedule(
            case=case, plan=FollowUpPlan(due_on=today()), by=worker.user
        ).due_on
        == today()
    )


def test_a_follow_up_is_at_most_a_year_ahead(worker, case):
    assert list(refused_plan(case, worker.user, FollowUpPlan(due_on=today(400)))) == ["due_on"]


def test_reminding_the_person_needs_a_time(worker, case):
    fields = refused_plan(case, worker.user, FollowUpPlan(due_on=today(3), remind_person=True))
    assert list(fields) == ["due_time"]
    followup = services.followup_schedule(
        case=case,
        plan=FollowUpPlan(due_on=today(3), remind_person=True, due_time=time(14, 30)),
        by=worker.user,
    )
    assert (followup.remind_person, followup.due_time) == (True, time(14, 30))


@pytest.mark.parametrize("field,value", [("kind", "gossip"), ("recurrence", "daily")])
def test_a_follow_up_takes_only_known_kinds_and_repeats(worker, case, field, value):
    plan = FollowUpPlan(due_on=today(3), **{field: value})
    assert list(refused_plan(case, worker.user, plan)) == [field]


def test_a_scheduled_follow_up_belongs_to_the_cases_worker(worker, manager, case):
    followup = services.followup_schedule(
        case=case, plan=FollowUpPlan(due_on=today(2), purpose="Call"), by=manager.user
    )
    assert followup.worker == worker.user
    assert followup.created_by == manager.user
    [entry] = audit("case.followup_scheduled")
    assert entry.data == {"due_on": today(2).isoformat(), "kind": "support_call"}


@pytest.mark.parametrize("status", ["done", "missed"])
def test_a_follow_up_is_marked_done_or_missed(worker, case, status):
    followup = FollowUpFactory(case=case, due_on=today())
    assert services.followup_complete(followup=followup, by=worker.user, status=status) is None
    followup = fresh(followup)
    assert followup.status == status
    assert followup.completed_by == worker.user
    assert followup.completed_at is not None
    assert FollowUp.objects.count() == 1
    assert audit("case.followup_done").get().data == {"status": status}


def test_a_follow_up_cannot_be_marked_cancelled_by_completing_it(worker, case):
    followup = FollowUpFactory(case=case)
    with pytest.raises(ApplicationError) as excinfo:
        services.followup_complete(followup=followup, by=worker.user, status="cancelled")
    assert code_of(excinfo) == "followup_status_invalid"
    assert fresh(followup).status == "due"


@pytest.mark.parametrize("recurrence,days", [("weekly", 7), ("fortnightly", 14)])
def test_a_recurring_follow_up_schedules_the_next(worker, case, recurrence, days):
    followup = FollowUpFactory(
        case=case, due_on=today(), recurrence=recurrence, due_time=time(11), purpose="Support call"
    )
    following = services.followup_complete(followup=followup, by=worker.user, at=at_ten())
    assert following.due_on == today(days)
    assert (following.recurrence, following.kind, following.purpose, following.due_time) == (
        recurrence,
        "support_call",
        "Support call",
        time(11),
    )
    assert following.status == "due"
    assert following.worker == worker.user


def test_a_missed_recurring_follow_up_also_schedules_the_next(worker, case):
    followup = FollowUpFactory(case=case, due_on=today(), recurrence="weekly")
    following = services.followup_complete(
        followup=followup, by=worker.user, status="missed", at=at_ten()
    )
    assert following.due_on == today(7)


def test_the_next_of_a_late_recurring_follow_up_skips_dates_already_past(worker, case):
    followup = FollowUpFactory(case=case, due_on=today(-20), recurrence="weekly")
    following = services.followup_complete(followup=followup, by=worker.user, at=at_ten())
    assert following.due_on == today(1)  # -20 + 21

    fortnightly = FollowUpFactory(case=case, due_on=today(-14), recurrence="fortnightly")
    following = services.followup_complete(followup=fortnightly, by=worker.user, at=at_ten())
    assert following.due_on == today(14)


def test_a_follow_up_no_longer_due_cannot_be_completed_again(worker, case):
    followup = FollowUpFactory(case=case, recurrence="weekly")
    services.followup_complete(followup=followup, by=worker.user, at=at_ten())
    with pytest.raises(ApplicationError) as excinfo:
        services.followup_complete(followup=followup, by=worker.user, status="missed")
    assert code_of(excinfo) == "followup_not_due"
    assert fresh(followup).status == "done"
    assert FollowUp.objects.count() == 2


def test_a_follow_up_can_be_cancelled_once(worker, case):
    followup = FollowUpFactory(case=case, recurrence="weekly")
    services.followup_cancel(followup=followup, by=worker.user)
    followup = fresh(followup)
    assert followup.status == "cancelled"
    assert followup.completed_at is not None
    assert FollowUp.objects.count() == 1  # a cancelled recurring call does not repeat
    with pytest.raises(ApplicationError) as excinfo:
        services.followup_cancel(followup=followup, by=worker.user)
    assert code_of(excinfo) == "followup_not_due"
    assert audit("case.followup_cancelled").get().person_id == str(case.person_id)


# --- Closing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "bored"])
def test_closing_needs_a_known_reason(worker, case, reason):
    with pytest.raises(ApplicationError) as excinfo:
        close(case, worker.user, reason=reason)
    assert code_of(excinfo) == "case_close_invalid"
    assert list(excinfo.value.fields) == ["reason"]
    assert fresh(case).status == "open"


def test_closing_for_another_reason_needs_the_summary(worker, case):
    with pytest.raises(ApplicationError) as excinfo:
        close(case, worker.user, reason="other", summary="   ")
    assert list(excinfo.value.fields) == ["summary"]
    closed = close(case, worker.user, reason="other", summary="Went abroad", tell_referrer=False)
    assert (closed.closing_reason, closed.closing_summary) == ("other", "Went abroad")


def test_closing_with_follow_ups_due_asks_first_and_changes_nothing(worker, case):
    FollowUpFactory(case=case, due_on=today(1))
    FollowUpFactory(case=case, due_on=today(8))
    done = FollowUpFactory(case=case, due_on=today(-1), status="done", completed_at=at_ten(-1))
    version = fresh(case).version

    with pytest.raises(OpenFollowUps) as excinfo:
        close(case, worker.user, version=version)

    assert code_of(excinfo) == "case_open_followups"
    assert excinfo.value.count == 2
    assert "cancel_followups" in excinfo.value.fields
    now = fresh(case)
    assert (now.status, now.version, now.closed_at) == ("open", version, None)
    assert FollowUp.objects.filter(status="due").count() == 2
    assert fresh(done).status == "done"
    assert not CaseEvent.objects.exists()
    assert not audit("case.closed").exists()


@pytest.mark.parametrize("start", ["open", "active", "paused"])
def test_closing_cancels_confirmed_follow_ups_and_steps_through_closing(
    worker, case, start, django_capture_on_commit_callbacks
):
    Case.objects.filter(pk=case.pk).update(status=start)
    due = FollowUpFactory(case=case, due_on=today(1))
    when = at_ten()

    with django_capture_on_commit_callbacks(execute=True):
        closed = close(
            case,
            worker.user,
            reason="goals_met",
            summary="Back at work",
            cancel_followups=True,
            goals_reviewed=True,
            final_questionnaire_offered=True,
            at=when,
        )

    case = fresh(case)
    assert closed.status == case.status == "closed"
    assert (case.closed_at, case.closing_reason, case.closing_summary) == (
        when,
        "goals_met",
        "Back at work",
    )
    assert case.goals_reviewed and case.final_questionnaire_offered
    due = fresh(due)
    assert (due.status, due.completed_at, due.completed_by) == ("cancelled", when, worker.user)
    events = list(CaseEvent.objects.filter(case=case).order_by("id"))
    assert [(e.from_status, e.to_status) for e in events] == [
        (start, "closing"),
        ("closing", "closed"),
    ]
    assert events[-1].reason == "Goals met"
    entry = audit("case.closed").get()
    assert entry.data == {"reason": "goals_met", "followups_cancelled": 1, "tell_referrer": True}
    assert entry.person_id == str(case.person_id)


def test_closing_a_case_already_closing_adds_one_event(worker, case):
    Case.objects.filter(pk=case.pk).update(status="closing")
    close(case, worker.user, tell_referrer=False)
    [event] = CaseEvent.objects.filter(case=case)
    assert (event.from_status, event.to_status) == ("closing", "closed")


def test_closing_with_a_stale_version_is_refused(worker, case):
    stale = fresh(case).version
    services.note_add(case=case, by=worker.user, text="Called")
    with pytest.raises(EditConflict):
        close(case, worker.user, version=stale)
    assert fresh(case).status == "open"


def share_with_referrer(case, by):
    return consent_record(
        person=case.person, scope=ConsentScope.SHARE_REFERRER, method="verbal", by=by
    )


def test_the_referrer_is_told_the_outcome_after_commit_when_the_person_agreed(
    worker, case, outbox, django_capture_on_commit_callbacks
):
    share_with_referrer(case, worker.user)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        close(case, worker.user, reason="moved_away", summary="Private: new flat in Leeds")
    assert outbox == []  # nothing leaves before the close is committed
    assert fresh(case).referrer_told_at is None

    for callback in callbacks:
        callback()
    assert outbox == []  # queued in the outbox, for its background task
    messages_send_due()

    [message] = outbox
    assert message.to_email == "dr.example@practice.example.test"
    assert "871731000000106" in message.body
    assert "moved away" in message.body
    assert case.person.full_name in message.body
    assert "Leeds" not in message.body  # the closing summary stays with the scheme
    assert fresh(case).referrer_told_at is not None
    entry = audit("case.referrer_told").get()
    assert entry.data == {"reason": "moved_away", "snomed_code": "871731000000106"}
    assert entry.person_id == str(case.person_id)
    assert entry.actor is None


def test_the_referrer_is_not_told_without_consent(
    worker, case, outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        close(case, worker.user)
    assert outbox == []
    assert fresh(case).referrer_told_at is None
    entry = audit("case.referrer_not_told").get()
    assert entry.person_id == str(case.person_id)
    assert "consent" in entry.data["why"]
    assert not audit("case.referrer_told").exists()


def test_the_referrer_is_not_told_once_consent_is_withdrawn(
    worker, case, outbox, django_capture_on_commit_callbacks
):
    consent_withdraw(consent=share_with_referrer(case, worker.user), by=worker.user)
    with django_capture_on_commit_callbacks(execute=True):
        close(case, worker.user)
    assert outbox == []
    assert audit("case.referrer_not_told").count() == 1


def test_the_closer_may_choose_not_to_tell_the_referrer(
    worker, case, outbox, django_capture_on_commit_callbacks
):
    share_with_referrer(case, worker.user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        close(case, worker.user, tell_referrer=False)
    assert callbacks == []
    assert outbox == []


def test_a_refused_close_sends_nothing(worker, case, outbox, django_capture_on_commit_callbacks):
    share_with_referrer(case, worker.user)
    FollowUpFactory(case=case)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(OpenFollowUps),
    ):
        close(case, worker.user)
    assert callbacks == []
    assert outbox == []


# --- The closed case and reopening -----------------------------------------------------------

WRITES = {
    "move": lambda c, f, g, a, u: services.case_move(case=c, to="active", by=u),
    "assign": lambda c, f, g, a, u: services.case_assign(case=c, to=u, by=u),
    "household": lambda c, f, g, a, u: services.case_set_household(case=c, members=[], by=u),
    "contact": lambda c, f, g, a, u: record(c, u),
    "note": lambda c, f, g, a, u: services.note_add(case=c, by=u, text="Late note"),
    "need": lambda c, f, g, a, u: services.need_set(case=c, area=area("food"), severity=1, by=u),
    "assessment_start": lambda c, f, g, a, u: services.assessment_start(case=c, by=u),
    "assessment_complete": lambda c, f, g, a, u: services.assessment_complete(
        assessment=a, what_matters="Words", by=u
    ),
    "goal_add": lambda c, f, g, a, u: services.goal_add(case=c, text="New goal", by=u),
    "goal_update": lambda c, f, g, a, u: services.goal_update(
        goal=g, by=u, version=None, progress=5
    ),
    "support": lambda c, f, g, a, u: services.support_record(
        case=c, by=u, decision="chosen", name="Choir"
    ),
    "followup_schedule": lambda c, f, g, a, u: services.followup_schedule(
        case=c, plan=FollowUpPlan(due_on=today(2)), by=u
    ),
    "followup_complete": lambda c, f, g, a, u: services.followup_complete(followup=f, by=u),
    "followup_cancel": lambda c, f, g, a, u: services.followup_cancel(followup=f, by=u),
    "close": lambda c, f, g, a, u: close(c, u),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_on_a_closed_case_is_refused(worker, case, write):
    goal = services.goal_add(case=case, text="Old goal", by=worker.user)
    assessment = services.assessment_start(case=case, by=worker.user)
    close(case, worker.user, tell_referrer=False)
    # A follow-up left due by some other route (closing cancels those it knows of).
    followup = FollowUpFactory(case=case, due_on=today(1))
    before = fresh(case)
    entries = LogEntry.objects.count()

    with pytest.raises(ApplicationError) as excinfo:
        WRITES[write](case, followup, goal, assessment, worker.user)

    assert code_of(excinfo) == "case_closed"
    after = fresh(case)
    assert (after.status, after.version) == ("closed", before.version)
    assert LogEntry.objects.count() == entries
    assert fresh(followup).status == "due"


def test_reopening_needs_a_reason_and_is_audited(worker, case):
    close(case, worker.user, reason="not_engaging", tell_referrer=False)
    with pytest.raises(ApplicationError) as excinfo:
        services.case_reopen(case=case, by=worker.user, reason="  ")
    assert code_of(excinfo) == "case_reopen_reason"
    assert fresh(case).status == "closed"
    version = fresh(case).version

    reopened = services.case_reopen(case=case, by=worker.user, reason="She rang back")

    case = fresh(case)
    assert reopened.status == case.status == "active"
    assert (case.closed_at, case.closing_reason) == (None, "")
    assert case.version == version + 1
    event = CaseEvent.objects.filter(case=case).order_by("-id").first()
    assert (event.from_status, event.to_status, event.reason) == (
        "closed",
        "active",
        "She rang back",
    )
    entry = audit("case.reopened").get()
    assert entry.person_id == str(case.person_id)
    assert "She rang back" not in json.dumps(entry.data)
    services.note_add(case=case, by=worker.user, text="Working again")  # writable again


def test_only_a_closed_case_is_reopened(worker, case):
    with pytest.raises(ApplicationError) as excinfo:
        services.case_reopen(case=case, by=worker.user, reason="Why not")
    assert code_of(excinfo) == "case_not_closed"


def test_reopening_is_refused_while_another_case_of_the_person_is_open(scheme, worker, case):
    close(case, worker.user, tell_referrer=False)
    referral = contacted_referral(scheme, person=case.person, assigned_to=worker.user)
    services.case_open(referral=referral, by=worker.user)
    with pytest.raises(ApplicationError) as excinfo:
        services.case_reopen(case=case, by=worker.user, reason="Old one")
    assert code_of(excinfo) == "case_already_open"
    assert fresh(case).status == "closed"


# --- Scoped reads ----------------------------------------------------------------------------


def test_another_schemes_cases_are_invisible(scheme, other_scheme, worker, member, case):
    theirs = CaseFactory(scheme=other_scheme)
    assert list(selectors.cases_for(worker)) == [case]
    assert list(selectors.cases_for(member(of=other_scheme))) == [theirs]
    with pytest.raises(Http404):
        selectors.case_get(membership=worker, case_id=theirs.pk)
    with pytest.raises(Http404):
        selectors.case_detail(membership=worker, case_id=theirs.pk)
    assert not audit("case.viewed").exists()


def test_a_member_limited_to_sites_sees_those_sites_cases_and_unsited_ones(scheme, member):
    north, south = scheme.sites.get(name="North"), scheme.sites.get(name="South")
    in_north = CaseFactory(scheme=scheme, site=north)
    in_south = CaseFactory(scheme=scheme, site=south)
    unsited = CaseFactory(scheme=scheme, site=None)
    limited = member(Role.LINK_WORKER)
    limited.sites.set([north])
    everywhere = member(Role.MANAGER)

    assert set(selectors.cases_for(limited)) == {in_north, unsited}
    assert set(selectors.cases_for(everywhere)) == {in_north, in_south, unsited}
    with pytest.raises(Http404):
        selectors.case_get(membership=limited, case_id=in_south.pk)


def test_a_site_limited_worker_sees_a_case_they_hold_at_another_site(scheme, member):
    north, south = scheme.sites.get(name="North"), scheme.sites.get(name="South")
    limited = member(Role.LINK_WORKER)
    limited.sites.set([north])
    covering = CaseFactory(scheme=scheme, site=south, worker=limited.user)
    CaseFactory(scheme=scheme, site=south)

    assert list(selectors.cases_for(limited)) == [covering]
    assert selectors.case_get(membership=limited, case_id=covering.pk) == covering


@pytest.mark.parametrize("role", [Role.REFERRER, Role.PROVIDER, Role.COMMISSIONER, Role.ADMIN])
def test_roles_without_a_caseload_are_refused_cases(member, case, role):
    with pytest.raises(PermissionDenied):
        selectors.cases_for(member(role))
    with pytest.raises(PermissionDenied):
        selectors.case_detail(membership=member(role), case_id=case.pk)


def test_a_member_who_has_left_is_refused_cases(member, case):
    with pytest.raises(PermissionDenied):
        selectors.cases_for(member(Role.LINK_WORKER, is_active=False))


def test_reading_a_case_record_is_audited(worker, case):
    assert selectors.case_detail(membership=worker, case_id=case.pk) == case
    entry = audit("case.viewed").get()
    assert (entry.actor, entry.person_id) == (worker.user, str(case.person_id))
    assert selectors.case_get(membership=worker, case_id=case.pk) == case
    assert audit("case.viewed").count() == 1  # case_get is for writes, which audit themselves


def test_the_plan_groups_supports_by_the_persons_choice(worker, case):
    need = services.need_set(case=case, area=area("housing"), severity=3, by=worker.user)
    goal = services.goal_add(case=case, text="Warm flat", by=worker.user, needs=[need])
    services.goal_update(goal=goal, by=worker.user, version=1, progress=4)
    done = services.goal_add(case=case, text="See the GP", by=worker.user)
    services.goal_update(goal=done, by=worker.user, version=1, status="achieved")
    for decision, name, words in [
        ("chosen", "Housing advice", ""),
        ("considering", "Choir", ""),
        ("declined", "Food bank", "Proud"),
    ]:
        services.support_record(
            case=case, by=worker.user, decision=decision, name=name, in_their_words=words
        )

    plan = case_plan(case)

    assert plan.needs == [need]
    assert [g.text for g in plan.open_goals] == ["Warm flat"]
    warm = plan.goals[0]
    assert [n.area.name for n in warm.needs.all()] == ["Housing"]
    assert [h.progress for h in warm.history.all()] == [0, 4]
    assert [s.label for s in plan.chosen] == ["Housing advice"]
    assert [s.label for s in plan.considering] == ["Choir"]
    assert [s.label for s in plan.declined] == ["Food bank"]


def test_reading_the_plan_takes_the_same_queries_however_big_it_is(worker, case):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            plan = case_plan(fresh(case))
            for g in plan.goals:
                list(g.needs.all()), list(g.history.all())
            for s in plan.supports:
                _ = s.label
        return len(ctx.captured_queries)

    services.goal_add(case=case, text="One", by=worker.user)
    services.support_record(case=case, by=worker.user, decision="chosen", service=ServiceFactory())
    small = queries()
    for code in ("housing", "food", "carers"):
        need = services.need_set(case=case, area=area(code), severity=2, by=worker.user)
        goal = services.goal_add(case=case, text=code, by=worker.user, needs=[need])
        services.goal_update(goal=goal, by=worker.user, version=1, progress=3)
        services.support_record(
            case=case, by=worker.user, decision="chosen", service=ServiceFactory()
        )
    assert queries() == small


# --- The audit trail -------------------------------------------------------------------------

SECRET = "zebra-crossing-confidence"


def test_every_write_is_audited_against_the_person_with_no_free_text(
    scheme, worker, member, manager, django_capture_on_commit_callbacks
):
    referral = contacted_referral(scheme, assigned_to=worker.user)
    person = referral.person
    case = services.case_open(referral=referral, by=worker.user)
    share_with_referrer(case, worker.user)
    case = services.case_move(case=case, to="paused", by=worker.user, reason=f"{SECRET} move")
    case = services.case_move(case=case, to="active", by=worker.user)
    case = services.case_assign(
        case=case, to=member(Role.LINK_WORKER).user, by=manager.user, reason=f"{SECRET} assign"
    )
    services.contact_record(
        case=case,
        by=worker.user,
        at=at_ten(-1),
        method="phone",
        who_was_there=f"{SECRET} who",
        notes=f"{SECRET} notes",
        outcome=f"{SECRET} outcome",
        next_step=f"{SECRET} next",
        followup=FollowUpPlan(due_on=today(7), purpose=f"{SECRET} purpose", recurrence="weekly"),
    )
    services.note_add(case=case, by=worker.user, text=f"{SECRET} note", is_safeguarding=True)
    need = services.need_set(
        case=case,
        area=area("housing"),
        severity=2,
        in_their_words=f"{SECRET} words",
        by=worker.user,
    )
    services.need_set(
        case=case,
        area=area("housing"),
        severity=3,
        in_their_words=f"{SECRET} again",
        by=worker.user,
        version=need.version,
    )
    assessment = services.assessment_start(case=case, by=worker.user)
    services.assessment_complete(
        assessment=assessment, what_matters=f"{SECRET} matters", by=worker.user
    )
    goal = services.goal_add(case=case, text=f"{SECRET} goal", by=worker.user)
    services.goal_update(
        goal=goal,
        by=worker.user,
        version=1,
        progress=5,
        note=f"{SECRET} progress",
        text=f"{SECRET} reworded",
    )
    services.support_record(
        case=case,
        by=worker.user,
        decision="declined",
        name="Choir",
        in_their_words=f"{SECRET} declined",
    )
    followup = FollowUp.objects.get(case=case)
    services.followup_complete(followup=followup, by=worker.user, at=at_ten())
    services.followup_cancel(followup=FollowUp.objects.get(case=case, status="due"), by=worker.user)
    services.followup_schedule(case=case, plan=FollowUpPlan(due_on=today(3)), by=worker.user)
    with django_capture_on_commit_callbacks(execute=True):
        case = services.case_close(
            case=case,
            by=worker.user,
            version=None,
            reason="other",
            summary=f"{SECRET} summary",
            cancel_followups=True,
        )
    messages_send_due()  # the letter to the referrer goes, and is recorded as told
    services.case_reopen(case=case, by=worker.user, reason=f"{SECRET} reopen")
    selectors.case_detail(membership=worker, case_id=case.pk)

    entries = LogEntry.objects.filter(action__startswith="case.")
    actions = set(entries.values_list("action", flat=True))
    assert actions >= {
        "case.opened",
        "case.moved",
        "case.assigned",
        "case.contact_recorded",
        "case.note_added",
        "case.need_recorded",
        "case.need_changed",
        "case.assessment_started",
        "case.assessment_completed",
        "case.goal_added",
        "case.goal_changed",
        "case.support_recorded",
        "case.followup_scheduled",
        "case.followup_done",
        "case.followup_cancelled",
        "case.closed",
        "case.referrer_told",
        "case.reopened",
        "case.viewed",
    }
    for entry in entries:
        assert entry.person_id == str(person.pk), entry.action
        assert entry.scheme_id == scheme.pk, entry.action
        assert SECRET not in json.dumps(entry.data), entry.action
        assert SECRET not in entry.object_label, entry.action
