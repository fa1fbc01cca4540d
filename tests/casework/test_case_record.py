"""The case record: the page, its timeline (order, paging, constant queries), recording a contact
with HTMX (and the next follow-up in the same step), notes and who sees safeguarding notes, status
changes that race, a closed case, and the family view."""

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linkwell.casework import services
from linkwell.casework.models import (
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
from linkwell.casework.selectors_timeline import PAGE_SIZE, SOURCES, case_timeline
from linkwell.connections import services as connection_services
from linkwell.connections.states import Kind as ConnectionKind
from linkwell.core.models import LogEntry, Role
from linkwell.directory.models import ReferralRoute, TaxonomyTerm
from linkwell.directory.taxonomy import term_id
from linkwell.people.models import Household
from linkwell.referrals.models import ContactAttempt, ReferralEvent
from tests.conftest import sign_in
from tests.connections.conftest import sharing_case
from tests.directory.factories import listed_service
from tests.factories import CaseFactory, MembershipFactory, PersonFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def _at(days_ago: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment `days_ago` days back, at 10:00 local time by default."""
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _case(scheme, worker, **kwargs):
    """An active case held by `worker`, its referral received a month ago."""
    kwargs.setdefault("referral__received_at", _at(30))
    kwargs.setdefault("opened_at", _at(29))
    return CaseFactory(scheme=scheme, worker=worker, **kwargs)


def _contact_post(**overrides):
    at = _at(1)
    data = {
        "at_date": at.date().isoformat(),
        "at_time": "10:00",
        "method": "phone",
        "duration_minutes": "25",
        "who_was_there": "Carol and her sister",
        "notes": "Talked about the art group.",
        "outcome": "Wants to try the art group",
        "next_step": "Call the art group",
    }
    data.update(overrides)
    return data


def _url(case, name=""):
    return f"/cases/{case.pk}/{name}"


# --- The page -----------------------------------------------------------------------------------


def test_the_worker_and_another_worker_of_the_scheme_see_the_record(client_as, member, scheme):
    worker = member(Role.LINK_WORKER)
    person = PersonFactory(
        scheme=scheme,
        given_name="Carol",
        family_name="Jenkins",
        nhs_number="9434765919",
        phone="+447700900123",
        household=Household.objects.create(scheme=scheme, name="Jenkins family"),
    )
    case = _case(
        scheme,
        worker.user,
        person=person,
        referral__lives_alone=True,
        site=scheme.sites.get(name="North"),
    )
    Contact.objects.create(case=case, at=_at(2), method="phone", notes="Talked about the week.")
    for client in (sign_in(Client(), worker.user), client_as(Role.LINK_WORKER)):
        response = client.get(_url(case))
        assert response.status_code == 200
        page = response.content.decode()
        for text in (
            "Carol Jenkins",
            "943 476 5919",
            "07700 900123",
            "Lives alone",
            "Jenkins family",
            "North",
            worker.user.full_name,
            "Talked about the week.",
        ):
            assert text in page, text
        assert 'data-testid="case-status">Active<' in page
    # Each read of the record is audited.
    assert LogEntry.objects.filter(action="case.viewed", object_id=str(case.pk)).count() == 2


def test_another_schemes_case_is_404(client_as, other_scheme):
    theirs = CaseFactory(scheme=other_scheme)
    for name in ("", "family/", "timeline/?before=2026-01-01T10:00:00%2B00:00"):
        assert client_as(Role.LINK_WORKER).get(_url(theirs, name)).status_code == 404, name
    response = client_as(Role.LINK_WORKER).post(_url(theirs, "contacts/"), _contact_post())
    assert response.status_code == 404 and not Contact.objects.exists()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.REFERRER, Role.PROVIDER, Role.COMMISSIONER])
def test_only_those_who_carry_cases_open_the_record(client_as, scheme, role):
    case = _case(scheme, MembershipFactory(scheme=scheme).user)
    client = client_as(role)
    for name in ("", "family/", "timeline/?before=2026-01-01T10:00:00%2B00:00"):
        assert client.get(_url(case, name)).status_code == 403, name
    assert client.post(_url(case, "notes/"), {"note-text": "Hello"}).status_code == 403
    assert not Note.objects.exists()


def test_links_to_the_other_case_pages_and_the_managers_reassign_form(client_as, scheme):
    manager = client_as(Role.MANAGER)
    case = _case(scheme, MembershipFactory(scheme=scheme).user)
    page = manager.get(_url(case)).content.decode()
    for href in ("what-matters/", "goals/", "supports/", "follow-ups/", "close/", "assign/"):
        assert f'"/cases/{case.pk}/{href}"' in page, href
    assert 'data-testid="assign-form"' in page
    worker_page = client_as(Role.LINK_WORKER).get(_url(case)).content.decode()
    assert 'data-testid="assign-form"' not in worker_page


def test_the_forms_for_other_pages_post_what_those_pages_expect(client_as, member, scheme):
    """The reassign form (caseload pages) and the reopen form (closing pages), as rendered here."""
    manager = client_as(Role.MANAGER)
    other = member(Role.LINK_WORKER)
    case = _case(scheme, MembershipFactory(scheme=scheme).user)
    page = manager.get(_url(case)).content.decode()
    for name in ("assign-to", "assign-reason", "assign-version"):
        assert f'name="{name}"' in page, name
    post = {"assign-to": str(other.user.pk), "assign-reason": "Balancing", "assign-version": 1}
    assert manager.post(_url(case, "assign/"), post).status_code == 302
    case.refresh_from_db()
    assert case.worker == other.user
    assert "Given to " + other.user.full_name in manager.get(_url(case)).content.decode()
    services.case_close(
        case=case, by=manager.membership.user, version=case.version, reason="moved_away"
    )
    page = manager.get(_url(case)).content.decode()
    assert 'name="reason"' in page and 'data-testid="assign-form"' not in page
    assert manager.post(_url(case, "reopen/"), {"reason": "Moved back"}).status_code == 302
    case.refresh_from_db()
    assert case.status == "active"
    assert "Case reopened" in manager.get(_url(case)).content.decode()


# --- Recording a contact ------------------------------------------------------------------------


def test_recording_a_contact_with_htmx_answers_the_panels_and_saves(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    case = _case(scheme, client.membership.user, status="open")
    version = case.version
    response = client.post(_url(case, "contacts/"), _contact_post(), **HTMX)
    assert response.status_code == 200
    contact = Contact.objects.get(case=case)
    assert (contact.method, contact.duration_minutes, contact.at) == ("phone", 25, _at(1))
    assert contact.who_was_there == "Carol and her sister"
    assert contact.by == client.membership.user
    html = response.content.decode()
    # The fresh form, with a message that takes the focus...
    assert html.index('id="contact-panel"') < html.index('id="timeline"')
    banner = html.split('data-testid="contact-saved"')[0].rsplit("<div", 1)[1]
    assert 'role="alert"' in banner and "autofocus" in banner
    assert 'name="notes"' in html and "Talked about the art group." in html  # in the timeline
    # ...and the timeline, follow-ups, summary and status swapped in out of band.
    assert f'id="contact-{contact.pk}"' in html
    for panel in ("timeline", "followups-panel", "case-summary", "case-status"):
        assert f'id="{panel}" hx-swap-oob="true"' in html, panel
    # The first contact makes the case active; the status form carries the new version.
    case.refresh_from_db()
    assert case.status == "active" and case.version == version + 1
    assert f'name="move-version" value="{case.version}"' in html
    assert 'data-testid="case-status">Active<' in html


def test_the_forms_addresses_lead_back_to_the_record(client_as, scheme):
    """A page re-shown after an error has the form's address; panels on it link "back" there."""
    client = client_as(Role.LINK_WORKER)
    case = _case(scheme, client.membership.user)
    for name in ("contacts/", "notes/", "status/"):
        response = client.get(_url(case, name))
        assert response.status_code == 302 and response["Location"] == _url(case), name


def test_recording_a_contact_without_javascript_redirects_back(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    case = _case(scheme, client.membership.user)
    response = client.post(_url(case, "contacts/"), _contact_post(method="home_visit"))
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/#timeline"
    assert Contact.objects.get(case=case).method == "home_visit"
    assert "Contact recorded." in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"at_date": (timezone.localdate() + timedelta(days=1)).isoformat()},
            "The contact cannot be in the future.",
        ),
        ({"duration_minutes": "780"}, "A contact lasts between 0 minutes and 12 hours."),
        ({"duration_minutes": "-5"}, "A contact lasts between 0 minutes and 12 hours."),
        ({"method": ""}, "Choose how the contact happened"),
        ({"at_date": "2026-02-30"}, "Enter a real date"),
    ],
)
def test_bad_contacts_are_refused_with_clear_errors_and_nothing_saved(
    client_as, scheme, overrides, message
):
    client = client_as(Role.LINK_WORKER)
    case = _case(scheme, client.membership.user)
    version = case.version
    post = _contact_post(schedule_followup="on", **overrides)
    post["followup_due_on"] = (timezone.localdate() + timedelta(days=7)).isoformat()
    # With HTMX: the form again, with its errors, in the panel.
    response = client.post(_url(case, "contacts/"), post, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "nhsuk-error-summary" in html and "nhsuk-form-group--error" in html
    assert 'data-testid="contact-saved"' not in html
    assert "Talked about the art group." in html  # what they typed is kept
    # Without: the whole page, with the error summary, status 400.
    response = client.post(_url(case, "contacts/"), post)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.content.decode().count("There is a problem") == 1
    assert not Contact.objects.filter(case=case).exists()
    assert not FollowUp.objects.filter(case=case).exists()
    case.refresh_from_db()
    assert case.version == version


def test_a_contact_schedules_the_next_follow_up_in_the_same_step(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    case = _case(scheme, client.membership.user)
    due = timezone.localdate() + timedelta(days=7)
    post = _contact_post(
        schedule_followup="on",
        followup_due_on=due.isoformat(),
        followup_kind="check_referral",
        followup_purpose="Is the art group place confirmed?",
        followup_recurrence="weekly",
    )
    response = client.post(_url(case, "contacts/"), post, **HTMX)
    assert response.status_code == 200
    followup = FollowUp.objects.get(case=case)
    assert (followup.due_on, followup.kind, followup.recurrence, followup.status) == (
        due,
        "check_referral",
        "weekly",
        "due",
    )
    assert followup.purpose == "Is the art group place confirmed?"
    assert followup.worker == client.membership.user
    html = response.content.decode()
    assert f"Next follow-up due {due:%-d %B %Y}" in html
    panel = html.split('id="followups-panel" hx-swap-oob="true"')[1]
    assert "Is the art group place confirmed?" in panel


def test_ticking_schedule_without_a_date_saves_nothing(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    case = _case(scheme, client.membership.user)
    response = client.post(_url(case, "contacts/"), _contact_post(schedule_followup="on"), **HTMX)
    assert "Give the date the follow-up is due." in response.content.decode()
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    post = _contact_post(schedule_followup="on", followup_due_on=yesterday)
    response = client.post(_url(case, "contacts/"), post, **HTMX)
    assert "A new follow-up cannot be due in the past." in response.content.decode()
    assert not Contact.objects.exists() and not FollowUp.objects.exists()


def test_a_contact_can_answer_the_follow_up_that_was_due(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    case = _case(scheme, client.membership.user)
    due = FollowUp.objects.create(
        case=case,
        worker=case.worker,
        due_on=timezone.localdate(),
        kind="support_call",
        recurrence="fortnightly",
    )
    page = client.get(_url(case)).content.decode()
    assert f'value="{due.pk}"' in page
    response = client.post(_url(case, "contacts/"), _contact_post(completes=str(due.pk)), **HTMX)
    assert response.status_code == 200
    due.refresh_from_db()
    assert due.status == "done" and due.contact == Contact.objects.get(case=case)
    following = FollowUp.objects.get(case=case, status="due")
    assert following.due_on == due.due_on + timedelta(days=14)


def test_a_closed_case_shows_why_and_offers_only_reopening(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    case = _case(scheme, client.membership.user)
    services.case_close(
        case=case,
        by=client.membership.user,
        version=case.version,
        reason="goals_met",
        summary="Carol is settled at the art group.",
        tell_referrer=False,
    )
    page = client.get(_url(case)).content.decode()
    assert 'data-testid="case-closed"' in page
    assert "goals met" in page and "Carol is settled at the art group." in page
    assert f'action="/cases/{case.pk}/reopen/"' in page and 'name="reason"' in page
    for form in ("contact-form", "note-form", "move-form", "assign-form"):
        assert f'data-testid="{form}"' not in page, form
    assert f'href="/cases/{case.pk}/goals/"' not in page
    # Posting anyway is refused.
    response = client.post(_url(case, "contacts/"), _contact_post())
    assert response.status_code == 400
    assert "This case is closed" in response.content.decode()
    assert not Contact.objects.exists()


# --- Notes and who may read safeguarding notes ------------------------------------------------


def test_notes_are_added_and_safeguarding_notes_marked(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    case = _case(scheme, client.membership.user)
    response = client.post(
        _url(case, "notes/"),
        {"note-text": "Worried about her neighbour.", "note-is_safeguarding": "on"},
        **HTMX,
    )
    assert response.status_code == 200
    note = Note.objects.get(case=case)
    assert note.is_safeguarding and note.text == "Worried about her neighbour."
    html = response.content.decode()
    assert "Safeguarding note added." in html
    entry = html.split(f'id="note-{note.pk}"')[1].split("</li>")[0]
    assert "nhsuk-tag--red" in entry and "Safeguarding" in entry
    # An empty note is refused; without JavaScript, the page again with the error.
    response = client.post(_url(case, "notes/"), {"note-text": "  "})
    assert response.status_code == 400
    assert "Write the note." in response.content.decode()
    response = client.post(_url(case, "notes/"), {"note-text": "Called back."})
    assert response.status_code == 302
    assert Note.objects.filter(case=case).count() == 2


def test_safeguarding_notes_are_for_the_cases_workers_and_managers(client_as, member, scheme):
    holder = member(Role.LINK_WORKER)
    earlier = member(Role.LINK_WORKER)
    case = _case(scheme, holder.user)
    CaseAssignment.objects.create(case=case, worker=earlier.user, at=_at(20))
    Note.objects.create(case=case, text="Ordinary note.", at=_at(3))
    Note.objects.create(case=case, text="Concern about the son.", is_safeguarding=True, at=_at(2))

    def page_as(membership):
        return sign_in(Client(), membership.user).get(_url(case)).content.decode()

    for allowed in (holder, earlier, member(Role.MANAGER)):
        page = page_as(allowed)
        assert "Concern about the son." in page and "Ordinary note." in page
    page = page_as(member(Role.LINK_WORKER))
    assert "Ordinary note." in page
    assert "Concern about the son." not in page and "Safeguarding note" not in page
    # Nor through "show older".
    older = sign_in(Client(), member(Role.LINK_WORKER).user).get(
        _url(case, "timeline/"), {"before": _at(0).isoformat()}
    )
    assert "Concern about the son." not in older.content.decode()


# --- The timeline -----------------------------------------------------------------------------


def _history(case, count: int, *, start_days_ago: int = 400):
    """`count` entries across the timeline's sources, each at its own time, oldest first."""
    moments = [_at(start_days_ago) + timedelta(minutes=7 * i) for i in range(count)]
    area = TaxonomyTerm.objects.get(pk=term_id("loneliness"))
    goal = Goal.objects.create(case=case, text="Get out twice a week", created_at=moments[0])
    GoalProgress.objects.create(goal=goal, progress=0, status="open", at=moments[0])
    Need.objects.create(case=case, area=area, severity=2, recorded_at=moments[0])
    rows = {k: [] for k in ("contact", "note", "event", "progress", "followup", "attempt")}
    for i, at in enumerate(moments[1:]):
        kind = list(rows)[i % len(rows)]
        if kind == "contact":
            rows[kind].append(Contact(case=case, at=at, method="phone", notes=f"Call {i}"))
        elif kind == "note":
            rows[kind].append(Note(case=case, at=at, text=f"Note {i}"))
        elif kind == "event":
            rows[kind].append(CaseEvent(case=case, at=at, from_status="active", to_status="active"))
        elif kind == "progress":
            rows[kind].append(GoalProgress(goal=goal, progress=i % 11, status="open", at=at))
        elif kind == "followup":
            rows[kind].append(
                FollowUp(
                    case=case,
                    due_on=at.date(),
                    kind="support_call",
                    status="done",
                    completed_at=at,
                )
            )
        else:
            rows[kind].append(
                ContactAttempt(referral=case.referral, at=at, method="phone", outcome="no_answer")
            )
    for model, objs in (
        (Contact, rows["contact"]),
        (Note, rows["note"]),
        (CaseEvent, rows["event"]),
        (GoalProgress, rows["progress"]),
        (FollowUp, rows["followup"]),
        (ContactAttempt, rows["attempt"]),
    ):
        model.objects.bulk_create(objs)
    return moments


def test_the_timeline_is_newest_first_and_pages_older_entries(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    case = _case(scheme, client.membership.user)
    _history(case, 70)
    page = case_timeline(membership=client.membership, case=case)
    times = [e.at for e in page.entries]
    assert len(times) == PAGE_SIZE and times == sorted(times, reverse=True)
    assert page.has_older and page.older_than == times[-1]
    # Walk every page through the view, with HTMX: each entry exactly once, in order.
    response = client.get(_url(case))
    html = response.content.decode()
    seen = [e.anchor for e in page.entries]
    assert html.index(seen[0]) < html.index(seen[1]) < html.index(seen[-1])
    cursor = page.older_than
    while cursor is not None:
        response = client.get(_url(case, "timeline/"), {"before": cursor.isoformat()}, **HTMX)
        assert response.status_code == 200
        html = response.content.decode()
        assert 'hx-swap-oob="beforeend:#timeline-entries"' in html
        older = case_timeline(membership=client.membership, case=case, before=cursor)
        for entry in older.entries:
            assert f'id="{entry.anchor}"' in html
        seen += [e.anchor for e in older.entries]
        assert all(e.at < cursor for e in older.entries)
        cursor = older.older_than
        if cursor is None:
            assert "Show older entries" not in html and "That is everything" in html
    total = sum(len(source.fetch(case, client.membership, None, 10_000)) for source in SOURCES)
    assert len(seen) == len(set(seen)) == total
    # Without JavaScript, "show older" is a page of its own.
    response = client.get(_url(case, "timeline/"), {"before": page.older_than.isoformat()})
    assert response.status_code == 200
    assert "<h1>Older timeline entries</h1>" in response.content.decode()


def test_entries_at_the_same_moment_are_never_split_across_pages(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    case = _case(scheme, client.membership.user)
    same = _at(5)
    Contact.objects.bulk_create(
        Contact(case=case, at=_at(4) + timedelta(minutes=i), method="phone")
        for i in range(PAGE_SIZE - 2)
    )
    Note.objects.bulk_create(Note(case=case, at=same, text=f"Same {i}") for i in range(4))
    Contact.objects.create(case=case, at=_at(6), method="letter")
    first = case_timeline(membership=client.membership, case=case)
    assert len(first.entries) == PAGE_SIZE + 2
    assert sum(1 for e in first.entries if e.at == same) == 4
    second = case_timeline(membership=client.membership, case=case, before=first.older_than)
    assert [e.obj.method for e in second.entries if e.kind == "contact"] == ["letter"]
    assert not any(e.at == same for e in second.entries)


def test_the_record_page_runs_the_same_queries_for_5_or_500_entries(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    small = _case(scheme, client.membership.user)
    large = _case(scheme, client.membership.user)
    _history(small, 5)
    _history(large, 500)
    client.get(_url(small))  # warm the session and the site's caches
    counts = []
    for case in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url(case)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    older = []
    for case in (small, large):
        with CaptureQueriesContext(connection) as queries:
            client.get(_url(case, "timeline/"), {"before": _at(1).isoformat()}, **HTMX)
        older.append(len(queries))
    assert older[0] == older[1], older


def _offer_supports(case, worker, n: int) -> None:
    """`n` connections on the case: referrals sent, and every third a signpost."""
    for i in range(n):
        service = listed_service(name=f"Support {n}-{i}", referral_route=ReferralRoute.LINKWELL)
        kind = ConnectionKind.SIGNPOST if i % 3 == 2 else ConnectionKind.REFERRAL
        offered = connection_services.connection_offer(
            case=case, service=service, kind=kind, by=worker
        )
        if kind == ConnectionKind.REFERRAL:
            connection_services.connection_send(connection=offered, by=worker)


def test_the_plan_panel_lists_supports_offered_with_the_same_queries_for_1_or_4(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    worker = client.membership.user
    counts = []
    for n in (1, 4):
        case = sharing_case(scheme, worker, given_name=f"P{n}")
        _offer_supports(case, worker, n)
        client.get(_url(case))  # warm the session and the site's caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_url(case))
        assert response.status_code == 200
        counts.append(len(queries))
        offered = response.context["offered"]
        assert [c.service.name for c in offered] == [
            c.service.name for c in case.connections.order_by("-created_at", "pk")
        ]
        assert len(offered) == n
        html = response.content.decode()
        assert html.count('data-testid="connection"') == n
        # The panel is drawn from what the view passed in: it asks nothing of its own.
        context = {k: response.context[k] for k in ("case", "person", "plan", "offered")}
        with CaptureQueriesContext(connection) as panel:
            render_to_string("casework/partials/plan_panel.html", context)
        assert panel.captured_queries == []
    assert counts[0] == counts[1], counts


def test_each_source_reads_with_one_query(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    case = Case.objects.select_related("referral").get(pk=_case(scheme, client.membership.user).pk)
    _history(case, 40)
    PlanSupport.objects.create(case=case, name="Art group", decision="chosen")
    services.assessment_start(case=case, by=client.membership.user)
    for source in SOURCES:
        with CaptureQueriesContext(connection) as queries:
            source.fetch(case, client.membership, None, PAGE_SIZE + 1)
        # Notes first ask whether this member may read safeguarding notes.
        assert len(queries) <= (2 if source.kind == "note" else 1), source.kind
    kinds = {e.kind for e in case_timeline(membership=client.membership, case=case).entries}
    assert {"contact", "note", "goal_progress", "followup", "support", "assessment"} <= kinds


def test_the_timeline_tells_the_referral_and_the_case_story(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    case = _case(scheme, client.membership.user)
    ReferralEvent.objects.create(referral=case.referral, to_status="received", at=_at(30))
    ReferralEvent.objects.create(
        referral=case.referral, from_status="contacted", to_status="accepted", at=_at(29)
    )
    CaseEvent.objects.create(case=case, to_status="open", at=_at(29))
    CaseAssignment.objects.create(case=case, worker=case.worker, at=_at(29))
    services.case_move(case=case, to="paused", by=client.membership.user, reason="In hospital")
    html = client.get(_url(case)).content.decode()
    order = ["Case paused", "In hospital", "Held by", "Case opened", "Referral: accepted"]
    order.append("Referral received")
    positions = [html.index(text) for text in order]
    assert positions == sorted(positions)


# --- Status changes, and two edits racing --------------------------------------------------


def test_pausing_and_resuming(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    case = _case(scheme, client.membership.user)
    post = {"move-to": "paused", "move-reason": "Away for a month", "move-version": case.version}
    response = client.post(_url(case, "status/"), post)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "paused"
    page = client.get(_url(case)).content.decode()
    assert "The case is paused." in page and 'value="active"' in page
    response = client.post(_url(case, "status/"), {"move-to": "active", "move-version": 1})
    assert response.status_code == 409  # the version seen before the pause


def test_a_racing_status_change_is_told_and_shown_the_latest(client_as, member, scheme):
    client = client_as(Role.LINK_WORKER)
    case = _case(scheme, client.membership.user)
    page = client.get(_url(case)).content.decode()
    seen = case.version
    assert f'name="move-version" value="{seen}"' in page
    # Meanwhile a colleague pauses it.
    colleague = member(Role.MANAGER)
    services.case_move(case=case, to="paused", by=colleague.user, version=seen, reason="Away")
    response = client.post(
        _url(case, "status/"), {"move-to": "closing", "move-reason": "", "move-version": seen}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this case while you were editing it" in html
    assert "<title>Error: " in html
    case.refresh_from_db()
    assert case.status == "paused"  # nothing overwritten
    assert 'data-testid="case-status">Paused<' in html
    assert f'name="move-version" value="{case.version}"' in html
    assert not CaseEvent.objects.filter(case=case, to_status="closing").exists()


def test_an_illegal_move_is_explained(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    case = _case(scheme, client.membership.user)
    post = {"move-to": "active", "move-version": case.version}
    response = client.post(_url(case, "status/"), post)
    assert response.status_code == 400
    assert "cannot become" in response.content.decode()


# --- The family view --------------------------------------------------------------------------


def test_the_family_view_shows_the_household_and_chooses_who_is_involved(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    household = Household.objects.create(scheme=scheme, name="Morgan family")
    tess = PersonFactory(
        scheme=scheme, given_name="Tess", family_name="Morgan", household=household
    )
    child = PersonFactory(
        scheme=scheme,
        given_name="Alfie",
        family_name="Morgan",
        household=household,
        household_role="child",
    )
    sister = PersonFactory(
        scheme=scheme, given_name="Jo", family_name="Morgan", household=household
    )
    PersonFactory(scheme=scheme, given_name="Stranger", family_name="Danger")
    case = _case(scheme, client.membership.user, person=tess)
    sisters_case = _case(scheme, MembershipFactory(scheme=scheme).user, person=sister)
    response = client.get(_url(case, "family/"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Morgan family" in html and "Alfie Morgan" in html and "Stranger" not in html
    assert f'href="/cases/{sisters_case.pk}/"' in html
    assert LogEntry.objects.filter(action="case.household_viewed").exists()
    response = client.post(_url(case, "family/"), {"household-members": [str(child.pk)]})
    assert response.status_code == 302
    assert list(case.household_members.all()) == [child]
    assert "this case also involves Alfie Morgan" in client.get(_url(case)).content.decode()
    # Someone from outside the household cannot be chosen.
    outsider = PersonFactory(scheme=scheme)
    response = client.post(_url(case, "family/"), {"household-members": [str(outsider.pk)]})
    assert response.status_code == 400
    assert list(case.household_members.all()) == [child]


def test_the_family_view_constant_queries(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    counts = []
    for size in (1, 6):
        household = Household.objects.create(scheme=scheme, name=f"Family {size}")
        people = [PersonFactory(scheme=scheme, household=household) for _ in range(size + 1)]
        case = _case(scheme, client.membership.user, person=people[0])
        for other in people[1:]:
            _case(scheme, client.membership.user, person=other, status="active")
        client.get(_url(case, "family/"))
        with CaptureQueriesContext(connection) as queries:
            client.get(_url(case, "family/"))
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_no_household_points_to_the_referral(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    case = _case(scheme, client.membership.user)
    html = client.get(_url(case, "family/")).content.decode()
    assert "is not linked to a household" in html
    assert f'href="/referrals/{case.referral_id}/"' in html


def test_the_record_names_the_referral_and_its_reasons_without_its_old_urgency(client_as, scheme):
    client = client_as(Role.MANAGER)
    case = CaseFactory(scheme=scheme)
    case.referral.urgency = "soon"
    case.referral.save()
    case.referral.reasons.set([TaxonomyTerm.objects.get(pk=term_id("digital-skills"))])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'href="/referrals/{case.referral.pk}/" data-testid="case-referral"' in page
    assert "Digital skills; urgency when referred: soon (within a week)" in page
    assert 'nhsuk-tag--orange">Soon<' not in page


def test_only_the_page_s_own_menu_item_is_current(client_as):
    client = client_as(Role.LINK_WORKER)
    navigation = client.get("/cases/follow-ups/").context["navigation"]
    assert [i["label"] for i in navigation if i["current"]] == ["Follow-ups"]
    navigation = client.get("/cases/").context["navigation"]
    assert [i["label"] for i in navigation if i["current"]] == ["Caseload"]


def test_the_contact_form_offers_the_follow_up_due_today_as_answered(client_as, scheme):
    from linkwell.casework.forms_case import ContactForm
    from tests.factories import FollowUpFactory

    case = CaseFactory(scheme=scheme)
    later = FollowUpFactory(case=case, due_on=timezone.localdate() + timedelta(days=7))
    assert ContactForm.fresh(due_followups=[later])["completes"].value() == ""
    today = FollowUpFactory(case=case, due_on=timezone.localdate())
    assert ContactForm.fresh(due_followups=[today, later])["completes"].value() == str(today.pk)
