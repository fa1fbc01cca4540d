"""The caseload pages: a link worker's caseload sorted by what is due, with filters; the
team's caseloads for a manager; giving cases to another link worker."""

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from linkwell.casework.models import Case, CaseAssignment, FollowUp
from linkwell.core.models import LogEntry, Role
from tests.factories import (
    CaseFactory,
    ContactFactory,
    FollowUpFactory,
    MembershipFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

CASELOAD = "/cases/"
TEAM = "/cases/team/"
REASSIGN = "/cases/team/reassign/"


def _days_ago(days: int) -> datetime:
    """10:00 local time `days` days ago (never near midnight)."""
    day = timezone.localdate() - timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def _today(days: int = 0):
    return timezone.localdate() + timedelta(days=days)


def _case(scheme, worker, name: str, **kwargs) -> Case:
    person = PersonFactory(scheme=scheme, given_name=name, family_name="Testperson")
    kwargs.setdefault("opened_at", _days_ago(60))
    return CaseFactory(scheme=scheme, person=person, worker=worker, **kwargs)


def _names(response) -> list[str]:
    return [row.case.person.given_name for row in response.context["caseload"].rows]


# --- The link worker's caseload ---------------------------------------------------------------


def test_caseload_is_sorted_by_what_is_due(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    me = client.membership.user
    overdue = _case(scheme, me, "Olwen")
    FollowUpFactory(case=overdue, due_on=_today(-3), purpose="Check the art group started")
    FollowUpFactory(case=overdue, due_on=_today(5))
    soon = _case(scheme, me, "Sion")
    FollowUpFactory(case=soon, due_on=_today(2))
    # A follow-up already done does not count as the next action.
    FollowUpFactory(case=soon, due_on=_today(-10), status="done", completed_at=_days_ago(10))
    today = _case(scheme, me, "Tegwen")
    FollowUpFactory(case=today, due_on=_today())
    _case(scheme, me, "Nia")  # nothing scheduled, never contacted
    long_quiet = _case(scheme, me, "Lowri")  # nothing scheduled, contact 40 days ago
    ContactFactory(case=long_quiet, at=_days_ago(40))
    quiet = _case(scheme, me, "Dai")  # nothing scheduled, contact 10 days ago
    ContactFactory(case=quiet, at=_days_ago(10))
    ContactFactory(case=quiet, at=_days_ago(30))
    _case(scheme, me, "Cled", status="closed", closed_at=_days_ago(1), closing_reason="other")

    response = client.get(CASELOAD)

    assert response.status_code == 200
    assert _names(response) == ["Olwen", "Tegwen", "Sion", "Nia", "Lowri", "Dai"]
    rows = {row.case.person.given_name: row for row in response.context["caseload"].rows}
    assert rows["Olwen"].overdue and rows["Olwen"].next_due_on == _today(-3)
    assert rows["Olwen"].next_action == "Check the art group started"
    assert rows["Dai"].days_since_contact == 10
    assert rows["Dai"].last_contact_on == _today(-10)
    assert rows["Nia"].days_since_contact is None
    html = response.content.decode()
    assert html.count(">Overdue</strong>") == 1
    assert f"{_today(-3):%-d %b %Y}" in html
    assert "6 cases on your caseload, 1 overdue." in html
    assert "Cled" not in html
    assert reverse("casework:detail", args=[overdue.pk]) in html


def test_next_action_names_the_kind_when_there_is_no_purpose(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    case = _case(scheme, client.membership.user, "Aled")
    FollowUpFactory(case=case, due_on=_today(1), kind="review", purpose="")
    FollowUpFactory(case=case, due_on=_today(3), purpose="Later call")

    response = client.get(CASELOAD)

    [row] = response.context["caseload"].rows
    assert row.next_action == "Review the plan"
    assert "Review the plan" in response.content.decode()


def test_risk_flags_come_from_the_referral(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    _case(
        scheme,
        client.membership.user,
        "Bea",
        referral__safeguarding_concern=True,
        referral__recent_bereavement=True,
    )

    response = client.get(CASELOAD)

    [row] = response.context["caseload"].rows
    assert row.flags == ["safeguarding_concern", "recent_bereavement"]
    html = response.content.decode()
    assert "Safeguarding</strong>" in html and "Recently bereaved</strong>" in html
    assert "Lives alone</strong>" not in html


@pytest.fixture
def filtered(client_as, scheme):
    """A worker's caseload with one case that each filter keeps."""
    client = client_as(Role.LINK_WORKER)
    me = client.membership.user
    north = scheme.sites.get(name="North")
    late = _case(scheme, me, "Late")
    FollowUpFactory(case=late, due_on=_today(-1))
    booked = _case(scheme, me, "Booked", status="paused")
    FollowUpFactory(case=booked, due_on=_today(4))
    _case(scheme, me, "Alone", referral__lives_alone=True, site=north)
    _case(scheme, me, "Carol", status="open")
    return client, north


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["Late", "Booked", "Alone", "Carol"]),
        ({"due": "overdue"}, ["Late"]),
        ({"due": "unscheduled"}, ["Alone", "Carol"]),
        ({"status": "paused"}, ["Booked"]),
        ({"status": "open"}, ["Carol"]),
        ({"flag": "lives_alone"}, ["Alone"]),
        ({"q": "caro"}, ["Carol"]),
        ({"q": "carol testperson"}, ["Carol"]),
        ({"q": "nobody"}, []),
        ({"site": "north"}, ["Alone"]),
    ],
)
def test_filters(filtered, query, expected):
    client, north = filtered
    if query.get("site") == "north":
        query = {"site": str(north.pk)}

    response = client.get(CASELOAD, query)

    assert sorted(_names(response)) == sorted(expected)
    # The counts are of the whole caseload; the filters say how many they left.
    html = response.content.decode()
    assert "4 cases on your caseload, 1 overdue" in html
    if query:
        assert f"{len(expected)} match" in html


def test_a_filter_value_that_is_not_offered_is_an_error_not_a_filter(filtered):
    client, _ = filtered
    response = client.get(CASELOAD, {"status": "closed"})
    assert len(_names(response)) == 4
    assert response.context["form"].errors["status"]


def test_other_workers_and_other_schemes_cases_are_not_on_my_list(
    client_as, scheme, other_scheme, member
):
    client = client_as(Role.LINK_WORKER)
    _case(scheme, client.membership.user, "Mine")
    _case(scheme, member(Role.LINK_WORKER).user, "Colleagues")
    elsewhere = MembershipFactory(scheme=other_scheme, role=Role.LINK_WORKER).user
    _case(other_scheme, elsewhere, "Elsewhere")

    response = client.get(CASELOAD)

    assert _names(response) == ["Mine"]
    html = response.content.decode()
    assert "Colleagues" not in html and "Elsewhere" not in html
    # A link worker gets no checkboxes and no reassignment form.
    assert 'name="case"' not in html and "reassign_form" not in response.context


def test_the_caseload_is_paginated_by_50(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    me = client.membership.user
    for n in range(51):
        case = _case(scheme, me, f"P{n:02d}")
        FollowUpFactory(case=case, due_on=_today(n))

    first = client.get(CASELOAD, {"due": ""})
    second = client.get(CASELOAD, {"due": "", "page": 2})

    assert _names(first) == [f"P{n:02d}" for n in range(50)]
    assert _names(second) == ["P50"]
    assert "page=2" in first.content.decode()
    assert "51 cases on your caseload, 0 overdue" in second.content.decode()


def test_each_view_of_the_caseload_is_audited_once_naming_the_people_listed(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    shown = _case(scheme, client.membership.user, "Shown")
    before = LogEntry.objects.count()

    client.get(CASELOAD)

    assert LogEntry.objects.count() == before + 1
    entry = LogEntry.objects.latest("id")
    assert entry.action == "case.caseload_viewed"
    assert entry.scheme_id == scheme.pk
    assert entry.actor_id == client.membership.user_id
    assert entry.data["people"] == [str(shown.person_id)]
    assert entry.data["worker"] == str(client.membership.user_id)


def _big_caseload(scheme, worker, count: int):
    for n in range(count):
        case = _case(
            scheme,
            worker,
            f"Q{n}",
            site=scheme.sites.first(),
            referral__lives_alone=n % 2 == 0,
        )
        FollowUpFactory(case=case, due_on=_today(n - 2))
        FollowUpFactory(case=case, due_on=_today(n + 7), purpose="Later")
        ContactFactory(case=case, at=_days_ago(n + 1))
        ContactFactory(case=case, at=_days_ago(n + 20))


@pytest.mark.parametrize("role", [Role.LINK_WORKER, Role.MANAGER])
def test_caseload_query_count_does_not_grow_with_the_caseload(client_as, scheme, member, role):
    client = client_as(role)
    me = client.membership.user
    other = member(Role.LINK_WORKER).user
    _big_caseload(scheme, me, 3)
    client.get(CASELOAD)  # warm the session and caches
    with CaptureQueriesContext(connection) as small:
        response = client.get(CASELOAD)
    assert len(response.context["caseload"].rows) == 3

    _big_caseload(scheme, me, 27)
    _big_caseload(scheme, other, 10)  # more data elsewhere in the database
    with CaptureQueriesContext(connection) as large:
        response = client.get(CASELOAD)

    assert len(response.context["caseload"].rows) == 30
    assert len(large.captured_queries) == len(small.captured_queries)


# --- A manager's view ------------------------------------------------------------------------


def test_manager_sees_another_workers_caseload_with_checkboxes(client_as, scheme, member):
    client = client_as(Role.MANAGER)
    worker = member(Role.LINK_WORKER, user__full_name="Sam Worker").user
    theirs = _case(scheme, worker, "Theirs")
    _case(scheme, client.membership.user, "Managers")

    response = client.get(CASELOAD, {"worker": worker.pk})

    assert response.status_code == 200
    assert _names(response) == ["Theirs"]
    html = response.content.decode()
    assert "<h1>Sam Worker's caseload</h1>" in html
    assert f'value="{theirs.pk}"' in html and 'name="case"' in html
    # The worker being viewed is not offered as the one to give the cases to.
    choices = [v for v, _ in response.context["reassign_form"].fields["to"].choices]
    assert str(worker.pk) not in choices and str(client.membership.user_id) in choices


def test_a_former_worker_who_still_holds_cases_can_be_viewed(client_as, scheme, member):
    client = client_as(Role.MANAGER)
    left = member(Role.LINK_WORKER, is_active=False).user
    _case(scheme, left, "Orphaned")
    response = client.get(CASELOAD, {"worker": left.pk})
    assert _names(response) == ["Orphaned"]


@pytest.mark.parametrize("who", ["other_scheme", "nobody", "not-an-id"])
def test_manager_cannot_view_someone_outside_the_scheme(client_as, other_scheme, who):
    client = client_as(Role.MANAGER)
    outsider = MembershipFactory(scheme=other_scheme, role=Role.LINK_WORKER).user
    _case(other_scheme, outsider, "Outsider")
    worker_id = {
        "other_scheme": str(outsider.pk),
        "nobody": "2b1f0c7e-0000-4000-8000-000000000000",
        "not-an-id": "42",
    }[who]
    response = client.get(CASELOAD, {"worker": worker_id})
    assert response.status_code == 404
    assert b"Outsider" not in response.content


def test_link_worker_cannot_see_another_caseload_or_the_team_pages(client_as, scheme, member):
    client = client_as(Role.LINK_WORKER)
    colleague = member(Role.LINK_WORKER).user
    case = _case(scheme, colleague, "Colleagues")

    assert client.get(CASELOAD, {"worker": colleague.pk}).status_code == 403
    assert client.get(CASELOAD, {"worker": client.membership.user_id}).status_code == 200
    assert client.get(TEAM).status_code == 403
    mine = member(Role.LINK_WORKER).user
    response = client.post(
        REASSIGN, {"case": [case.pk], "reassign-to": mine.pk, "reassign-reason": "x"}
    )
    assert response.status_code == 403
    response = client.post(
        reverse("casework:assign", args=[case.pk]),
        {"assign-to": mine.pk, "assign-reason": "x", "assign-version": case.version},
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.worker == colleague


def test_team_page_counts_each_workers_caseload(client_as, scheme, member):
    client = client_as(Role.MANAGER)
    ann = member(Role.LINK_WORKER, user__full_name="Ann Worker").user
    bob = member(Role.LINK_WORKER, user__full_name="Bob Worker").user
    left = member(Role.LINK_WORKER, user__full_name="Cai Left", is_active=False).user
    member(Role.LINK_WORKER, user__full_name="Dee Ended", is_active=False)  # holds nothing
    member(Role.REFERRER, user__full_name="Eve Referrer")
    stale = _case(scheme, ann, "Stale")  # opened 60 days ago, last contact 30 days ago
    ContactFactory(case=stale, at=_days_ago(30))
    FollowUpFactory(case=stale, due_on=_today(-2))
    FollowUpFactory(case=stale, due_on=_today(-1))
    FollowUpFactory(case=stale, due_on=_today(3))
    talked = _case(scheme, ann, "Talked")
    ContactFactory(case=talked, at=_days_ago(5))
    _case(scheme, ann, "Silent")  # opened 60 days ago, never contacted
    _case(scheme, ann, "New", opened_at=_days_ago(3))  # too new to count as no contact
    _case(scheme, ann, "Done", status="closed", closed_at=_days_ago(1), closing_reason="other")
    _case(scheme, bob, "Bobs")
    _case(scheme, left, "Orphaned")

    response = client.get(TEAM)

    assert response.status_code == 200
    loads = {w.user.full_name: w for w in response.context["loads"]}
    assert set(loads) == {"Ann Worker", "Bob Worker", "Cai Left", client.membership.user.full_name}
    assert (loads["Ann Worker"].cases, loads["Ann Worker"].overdue_followups) == (4, 2)
    assert loads["Ann Worker"].no_recent_contact == 2
    assert (loads["Bob Worker"].cases, loads["Bob Worker"].overdue_followups) == (1, 0)
    assert loads["Cai Left"].cases == 1 and not loads["Cai Left"].current
    html = response.content.decode()
    assert f"?worker={ann.pk}" in html
    assert "No longer a link worker here" in html
    assert response.context["totals"]["cases"] == 6


def test_team_page_query_count_does_not_grow_with_the_team(client_as, scheme, member):
    client = client_as(Role.MANAGER)

    def add_workers(n):
        for _ in range(n):
            worker = member(Role.LINK_WORKER).user
            case = _case(scheme, worker, "W")
            FollowUpFactory(case=case, due_on=_today(-1))
            ContactFactory(case=case, at=_days_ago(2))

    add_workers(2)
    client.get(TEAM)
    with CaptureQueriesContext(connection) as small:
        client.get(TEAM)
    add_workers(6)
    with CaptureQueriesContext(connection) as large:
        response = client.get(TEAM)
    assert len(response.context["loads"]) == 9
    assert len(large.captured_queries) == len(small.captured_queries)


# --- Giving cases to another worker ------------------------------------------------------------


def test_reassign_moves_the_cases_and_their_due_followups(client_as, scheme, member):
    client = client_as(Role.MANAGER)
    manager = client.membership.user
    ann = member(Role.LINK_WORKER).user
    bob = member(Role.LINK_WORKER).user
    first = _case(scheme, ann, "First")
    second = _case(scheme, ann, "Second")
    stays = _case(scheme, ann, "Stays")
    due = FollowUpFactory(case=first, due_on=_today(2))
    done = FollowUpFactory(case=first, due_on=_today(-5), status="done", completed_at=_days_ago(5))
    next_url = f"/cases/?worker={ann.pk}&due=overdue"

    response = client.post(
        REASSIGN,
        {
            "case": [first.pk, second.pk],
            "from_worker": ann.pk,
            "reassign-to": bob.pk,
            "reassign-reason": "Ann is on leave",
            "next": next_url,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == next_url
    for case in (first, second, stays):
        case.refresh_from_db()
    assert (first.worker, second.worker, stays.worker) == (bob, bob, ann)
    assert FollowUp.objects.get(pk=due.pk).worker == bob
    assert FollowUp.objects.get(pk=done.pk).worker == ann
    moves = CaseAssignment.objects.filter(case__in=[first, second], previous_worker=ann)
    assert moves.count() == 2
    assert {(m.worker, m.reason, m.by) for m in moves} == {(bob, "Ann is on leave", manager)}
    entries = LogEntry.objects.filter(action="case.assigned", actor=manager)
    assert sorted(e.object_id for e in entries) == sorted([str(first.pk), str(second.pk)])
    followed = client.get(response["Location"])
    assert "2 cases given to" in followed.content.decode()


def test_reassign_of_another_schemes_case_is_refused_and_nothing_changes(
    client_as, scheme, other_scheme, member
):
    client = client_as(Role.MANAGER)
    ann = member(Role.LINK_WORKER).user
    bob = member(Role.LINK_WORKER).user
    mine = _case(scheme, ann, "Mine")
    theirs_worker = MembershipFactory(scheme=other_scheme, role=Role.LINK_WORKER).user
    theirs = _case(other_scheme, theirs_worker, "Theirs")

    response = client.post(
        REASSIGN,
        {
            "case": [mine.pk, theirs.pk],
            "from_worker": ann.pk,
            "reassign-to": bob.pk,
            "reassign-reason": "Balancing",
        },
    )

    assert response.status_code == 404
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.worker, theirs.worker) == (ann, theirs_worker)
    assert not CaseAssignment.objects.filter(case__in=[mine, theirs]).exists()
    assert not LogEntry.objects.filter(action="case.assigned").exists()


def test_reassign_to_someone_of_another_scheme_is_refused(client_as, scheme, other_scheme, member):
    client = client_as(Role.MANAGER)
    ann = member(Role.LINK_WORKER).user
    case = _case(scheme, ann, "Mine")
    outsider = MembershipFactory(scheme=other_scheme, role=Role.LINK_WORKER).user

    response = client.post(
        REASSIGN,
        {
            "case": [case.pk],
            "from_worker": ann.pk,
            "reassign-to": outsider.pk,
            "reassign-reason": "Balancing",
        },
    )

    assert response.status_code == 400
    assert response.context["reassign_form"].errors["to"]
    case.refresh_from_db()
    assert case.worker == ann


def test_reassign_asks_for_cases_a_worker_and_a_reason(client_as, scheme, member):
    client = client_as(Role.MANAGER)
    ann = member(Role.LINK_WORKER).user
    case = _case(scheme, ann, "Kept")

    response = client.post(REASSIGN, {"from_worker": ann.pk, "case": [case.pk]})

    assert response.status_code == 400
    form = response.context["reassign_form"]
    assert form.errors["to"] == ["Choose the link worker to give the cases to"]
    assert form.errors["reason"] == ["Say why the cases are moving"]
    html = response.content.decode()
    assert "There is a problem" in html
    assert f'value="{case.pk}" checked' in html  # the ticked case stays ticked
    assert _names(response) == ["Kept"]

    response = client.post(
        REASSIGN,
        {"from_worker": ann.pk, "reassign-to": client.membership.user_id, "reassign-reason": "x"},
    )
    assert response.status_code == 400
    assert "Select at least one case" in response.content.decode()
    case.refresh_from_db()
    assert case.worker == ann
    assert not CaseAssignment.objects.filter(case=case).exists()


def test_reassign_of_a_closed_case_changes_nothing(client_as, scheme, member):
    client = client_as(Role.MANAGER)
    ann = member(Role.LINK_WORKER).user
    bob = member(Role.LINK_WORKER).user
    open_case = _case(scheme, ann, "Open")
    closed = _case(
        scheme, ann, "Shut", status="closed", closed_at=_days_ago(1), closing_reason="other"
    )

    response = client.post(
        REASSIGN,
        {
            "case": [open_case.pk, closed.pk],
            "from_worker": ann.pk,
            "reassign-to": bob.pk,
            "reassign-reason": "Balancing",
        },
    )

    assert response.status_code == 400
    assert "This case is closed" in response.content.decode()
    open_case.refresh_from_db()
    assert open_case.worker == ann
    assert not CaseAssignment.objects.filter(case__in=[open_case, closed]).exists()


# --- Giving one case to another worker, from the case record ------------------------------------


def test_assign_one_case(client_as, scheme, member):
    client = client_as(Role.MANAGER)
    ann = member(Role.LINK_WORKER).user
    bob = member(Role.LINK_WORKER).user
    case = _case(scheme, ann, "One")
    FollowUpFactory(case=case, due_on=_today(1))

    response = client.post(
        reverse("casework:assign", args=[case.pk]),
        {"assign-to": bob.pk, "assign-reason": "Closer to home", "assign-version": case.version},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("casework:detail", args=[case.pk])
    case.refresh_from_db()
    assert case.worker == bob and case.version == 2
    assert case.followups.get().worker == bob
    move = CaseAssignment.objects.get(case=case)
    assert (move.previous_worker, move.worker, move.reason) == (ann, bob, "Closer to home")


def test_assign_with_an_old_version_changes_nothing_and_says_so(client_as, scheme, member):
    client = client_as(Role.MANAGER)
    ann = member(Role.LINK_WORKER).user
    bob = member(Role.LINK_WORKER).user
    case = _case(scheme, ann, "Raced")
    seen = case.version
    Case.objects.filter(pk=case.pk).update(version=seen + 1)  # someone else changed it

    response = client.post(
        reverse("casework:assign", args=[case.pk]),
        {"assign-to": bob.pk, "assign-reason": "Balancing", "assign-version": seen},
        follow=False,
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("casework:detail", args=[case.pk])
    case.refresh_from_db()
    assert case.worker == ann and case.version == seen + 1
    assert not CaseAssignment.objects.filter(case=case).exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("Someone else changed this case" in m for m in messages)


def test_assign_needs_a_worker_of_this_scheme(client_as, scheme, other_scheme, member):
    client = client_as(Role.MANAGER)
    ann = member(Role.LINK_WORKER).user
    case = _case(scheme, ann, "Stay")
    outsider = MembershipFactory(scheme=other_scheme, role=Role.LINK_WORKER).user

    response = client.post(
        reverse("casework:assign", args=[case.pk]),
        {"assign-to": outsider.pk, "assign-reason": "x", "assign-version": case.version},
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.worker == ann
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Choose a link worker of this scheme"]


def test_the_assign_form_for_the_case_record_posts_the_version(client_as, scheme, member):
    from django.template.loader import render_to_string

    from linkwell.casework.forms_caseload import case_assign_form

    client = client_as(Role.MANAGER)
    ann = member(Role.LINK_WORKER).user
    case = _case(scheme, ann, "Form")
    form = case_assign_form(membership=client.membership, case=case)
    html = render_to_string(
        "casework/partials/assign_form.html", {"case": case, "assign_form": form}
    )

    assert f'action="{reverse("casework:assign", args=[case.pk])}"' in html
    assert 'name="assign-version" value="1"' in html
    assert form.initial["to"] == str(ann.pk)
    # Giving it to the worker who has it already changes nothing.
    response = client.post(
        reverse("casework:assign", args=[case.pk]),
        {"assign-to": ann.pk, "assign-reason": "x", "assign-version": case.version},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.version == 1 and not CaseAssignment.objects.filter(case=case).exists()
