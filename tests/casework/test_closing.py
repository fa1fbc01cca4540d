"""A case's two ends: opening it from a contacted referral, and closing it from the checklist
(follow-ups still due, the letter to the referrer as consent allows, a closed case refusing
changes until it is reopened, explicitly and audited)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from linkwell.casework import feedback, services
from linkwell.casework.models import Case, CaseEvent, FollowUp, Goal
from linkwell.casework.views_util import case_url
from linkwell.core.models import LogEntry, Role
from linkwell.notify import backends
from linkwell.notify.outbox import messages_send_due
from linkwell.people.models import Consent
from linkwell.people.services import consent_withdraw
from tests.conftest import sign_in
from tests.factories import CaseFactory, FollowUpFactory, PersonFactory, ReferralFactory

pytestmark = pytest.mark.django_db


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
def client(worker):
    return sign_in(Client(), worker.user)


@pytest.fixture
def case(scheme, worker):
    person = PersonFactory(scheme=scheme, given_name="Carol", family_name="Evans")
    return CaseFactory(scheme=scheme, person=person, worker=worker.user)


def share_with_referrer(person):
    return Consent.objects.create(person=person, scope="share_referrer", method="verbal")


def close_url(case):
    return reverse("casework:close", args=[case.pk])


def closing(case, **data):
    return {"version": case.version, "reason": "goals_met", "tell_referrer": "on", **data}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- The checklist -------------------------------------------------------------------------------


def test_the_checklist_shows_goals_follow_ups_and_whether_the_referrer_can_be_told(client, case):
    goal = Goal.objects.create(
        case=case, text="Get back to painting", status="achieved", progress=8
    )
    FollowUpFactory(case=case, purpose="Check the art group")

    page = client.get(close_url(case)).content.decode()

    assert "Get back to painting" in page
    assert "Achieved, 8 out of 10" in page
    assert reverse("casework:goal_edit", args=[case.pk, goal.pk]) in page
    assert "Check the art group" in page
    assert "Cancel these follow-ups and close the case" in page
    assert "has not agreed (or no longer agrees)" in page
    assert f'name="version" value="{case.version}"' in page
    share_with_referrer(case.person)
    page = client.get(close_url(case)).content.decode()
    assert "the outcome can be sent now to gp@example.test" in page


def test_closing_a_case(client, case, worker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            close_url(case),
            closing(
                case,
                summary="Painting again, weekly.",
                final_questionnaire_offered="on",
                goals_reviewed="on",
            ),
        )

    assert response.status_code == 302
    assert response.url == case_url(case)
    case.refresh_from_db()
    assert case.status == "closed"
    assert case.closing_reason == "goals_met"
    assert case.closing_summary == "Painting again, weekly."
    assert case.final_questionnaire_offered and case.goals_reviewed
    assert CaseEvent.objects.filter(case=case, to_status="closed", by=worker.user).exists()
    [entry] = LogEntry.objects.filter(action="case.closed")
    assert entry.actor == worker.user
    assert entry.data == {"reason": "goals_met", "followups_cancelled": 0, "tell_referrer": True}
    assert "Painting" not in str(entry.data)


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"reason": ""}, "reason", "Choose why the case is closing"),
        ({"reason": "other", "summary": " "}, "summary", "Say why in the closing summary"),
    ],
)
def test_a_close_without_its_reason_is_refused(client, case, data, field, error):
    response = client.post(close_url(case), closing(case, **data))
    assert response.status_code == 400
    assert any(error in e for e in response.context["form"].errors[field])
    case.refresh_from_db()
    assert case.status == "active"


def test_closing_with_follow_ups_due_asks_first_and_then_cancels_them(client, case, worker):
    calls = [FollowUpFactory(case=case), FollowUpFactory(case=case, recurrence="weekly")]

    response = client.post(close_url(case), closing(case))

    assert response.status_code == 400
    page = response.content.decode()
    assert "2 follow-ups are still due" in page
    assert 'data-testid="open-followups"' in page
    case.refresh_from_db()
    assert case.status == "active"
    assert set(FollowUp.objects.filter(case=case).values_list("status", flat=True)) == {"due"}

    response = client.post(close_url(case), closing(case, cancel_followups="on"))

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "closed"
    for call in calls:
        call.refresh_from_db()
        assert call.status == "cancelled"
        assert call.completed_by == worker.user
    assert not FollowUp.objects.filter(case=case, status="due").exists()
    cancelled = LogEntry.objects.filter(action="case.followup_cancelled")
    assert {e.data["why"] for e in cancelled} == {"case closed"}
    assert cancelled.count() == 2


def test_a_close_racing_another_edit_is_told_and_shown_the_latest(client, case, worker):
    seen = case.version
    services.note_add(case=case, by=worker.user, text="Called; doing well.")
    case.refresh_from_db()

    response = client.post(close_url(case), closing(case, version=seen))

    assert response.status_code == 400
    assert "Someone else changed this case" in response.content.decode()
    assert response.context["form"]["version"].value() == str(case.version)
    assert response.context["form"]["reason"].value() == "goals_met"
    case.refresh_from_db()
    assert case.status == "active"
    response = client.post(close_url(case), response.context["form"].data)
    assert response.status_code == 302


# --- Telling the referrer -------------------------------------------------------------------------


def test_the_referrer_is_sent_the_outcome_with_the_snomed_code_when_the_person_agreed(
    client, case, outbox, django_capture_on_commit_callbacks
):
    share_with_referrer(case.person)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(close_url(case), closing(case, summary="Private detail."))
    assert response.status_code == 302
    messages_send_due()  # the outbox's background task

    [message] = outbox
    assert message.to_email == "gp@example.test"
    assert "871731000000106" in message.body
    assert "Outcome: goals met." in message.body
    assert "Carol Evans" in message.body
    assert "Private detail" not in message.body
    case.refresh_from_db()
    assert case.referrer_told_at is not None
    [entry] = LogEntry.objects.filter(action="case.referrer_told")
    assert entry.data == {"reason": "goals_met", "snomed_code": "871731000000106"}


def test_the_success_message_says_whether_the_referrer_will_be_told(client, case):
    share_with_referrer(case.person)
    response = client.post(close_url(case), closing(case), follow=True)
    assert messages_of(response) == ["Case closed. The referrer will be told the outcome."]


def test_without_consent_the_referrer_is_not_told_and_that_is_audited(
    client, case, outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(close_url(case), closing(case), follow=True)
    assert "The referrer will not be told: Carol has not agreed" in messages_of(response)[0]
    assert outbox == []
    [entry] = LogEntry.objects.filter(action="case.referrer_not_told")
    assert entry.data == {"why": "no consent to share with the referrer"}
    case.refresh_from_db()
    assert case.referrer_told_at is None


def test_consent_withdrawn_before_the_letter_goes_stops_it(
    case, worker, outbox, django_capture_on_commit_callbacks
):
    consent = share_with_referrer(case.person)
    with django_capture_on_commit_callbacks() as callbacks:
        services.case_close(case=case, by=worker.user, version=case.version, reason="moved_away")
    consent_withdraw(consent=consent, by=worker.user, reason="Changed their mind")
    for callback in callbacks:
        callback()
    assert outbox == []
    assert LogEntry.objects.filter(action="case.referrer_not_told").exists()
    assert not LogEntry.objects.filter(action="case.referrer_told").exists()


def test_the_closer_can_choose_not_to_tell_the_referrer(
    client, case, outbox, django_capture_on_commit_callbacks
):
    share_with_referrer(case.person)
    data = closing(case)
    del data["tell_referrer"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(close_url(case), data, follow=True)
    assert "will not be sent the outcome, as you chose" in messages_of(response)[0]
    assert outbox == []


def test_the_closing_letter_names_the_outcome(case, worker):
    share_with_referrer(case.person)
    case.status = "closed"
    case.closing_reason = "statutory"
    case.closed_at = timezone.now()
    case.save()
    message = feedback.closing_message(case)
    assert "Outcome: referred to a statutory service." in message.body
    assert "SNOMED CT: 871731000000106" in message.body


# --- A closed case, and reopening it --------------------------------------------------------------


@pytest.fixture
def closed(case, worker):
    return services.case_close(
        case=case,
        by=worker.user,
        version=case.version,
        reason="other",
        summary="Moved in with family",
        tell_referrer=False,
    )


def test_a_closed_case_refuses_changes(client, closed, worker):
    today = timezone.localdate()
    response = client.post(
        reverse("casework:followup_add", args=[closed.pk]),
        {"due_on": (today + timedelta(days=1)).isoformat(), "kind": "review"},
    )
    assert response.status_code == 400
    assert "This case is closed" in response.content.decode()

    response = client.post(close_url(closed), closing(closed), follow=True)
    assert "already closed" in messages_of(response)[0]

    with pytest.raises(services.ApplicationError) as refused:
        services.note_add(case=closed, by=worker.user, text="More")
    assert refused.value.code == "case_closed"


def test_a_closed_case_shows_how_it_closed_and_offers_to_reopen(client, closed):
    page = client.get(close_url(closed)).content.decode()
    assert "This case is closed" in page
    assert "Moved in with family" in page
    assert reverse("casework:reopen", args=[closed.pk]) in page


def test_reopening_needs_a_reason_and_is_audited(client, closed, worker):
    url = reverse("casework:reopen", args=[closed.pk])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400
    assert "Say why the case is reopened" in response.content.decode()
    closed.refresh_from_db()
    assert closed.status == "closed"

    response = client.post(url, {"reason": "New housing worry"})

    assert response.status_code == 302
    closed.refresh_from_db()
    assert closed.status == "active"
    assert closed.closed_at is None
    assert CaseEvent.objects.filter(
        case=closed, from_status="closed", to_status="active", reason="New housing worry"
    ).exists()
    [entry] = LogEntry.objects.filter(action="case.reopened")
    assert entry.actor == worker.user
    note = services.note_add(case=closed, by=worker.user, text="Back in touch")
    assert note.pk


def test_a_case_is_not_reopened_beside_another_open_one(client, closed, scheme):
    CaseFactory(
        scheme=scheme,
        person=closed.person,
        referral=ReferralFactory(scheme=scheme, person=closed.person, status="accepted"),
    )
    response = client.post(reverse("casework:reopen", args=[closed.pk]), {"reason": "Again"})
    assert response.status_code == 400
    assert "has another open case" in response.content.decode()
    closed.refresh_from_db()
    assert closed.status == "closed"


def test_reopening_an_open_case_is_refused(client, case):
    response = client.post(
        reverse("casework:reopen", args=[case.pk]), {"reason": "Why not"}, follow=True
    )
    assert "This case is not closed" in messages_of(response)[0]
    assert not LogEntry.objects.filter(action="case.reopened").exists()


# --- Opening a case from a referral ---------------------------------------------------------------


def open_url(referral):
    return reverse("referrals:open_case", args=[referral.pk])


@pytest.fixture
def contacted(scheme, worker):
    return ReferralFactory(scheme=scheme, status="contacted", assigned_to=worker.user)


def test_a_contacted_referral_offers_to_open_a_case_with_its_link_worker(client, contacted, worker):
    page = client.get(reverse("referrals:detail", args=[contacted.pk])).content.decode()
    assert "Accept and open a case" in page
    assert f'<option value="{worker.user.pk}" selected>' in page


def test_opening_a_case_accepts_the_referral(client, contacted, member, scheme):
    other = member(Role.LINK_WORKER)
    response = client.post(open_url(contacted), {"open_case-assigned_to": str(other.user.pk)})

    case = Case.objects.get(referral=contacted)
    assert response.status_code == 302
    assert response.url == case_url(case)
    assert case.worker == other.user
    assert case.person == contacted.person
    assert case.status == "open"
    contacted.refresh_from_db()
    assert contacted.status == "accepted"
    assert LogEntry.objects.filter(action="case.opened", object_id=str(case.pk)).exists()

    page = client.get(reverse("referrals:detail", args=[contacted.pk])).content.decode()
    assert "Accept and open a case" not in page
    assert 'data-testid="referral-case"' in page
    assert reverse("casework:detail", args=[case.pk]) in page
    assert other.user.full_name in page


def test_a_person_with_an_open_case_gets_no_second_one(client, contacted, scheme, worker):
    CaseFactory(
        scheme=scheme,
        person=contacted.person,
        referral=ReferralFactory(scheme=scheme, person=contacted.person, status="accepted"),
    )
    response = client.post(open_url(contacted), {"open_case-assigned_to": str(worker.user.pk)})
    assert response.status_code == 400
    assert "already has an open case" in response.content.decode()
    contacted.refresh_from_db()
    assert contacted.status == "contacted"
    assert Case.objects.filter(person=contacted.person).count() == 1


def test_only_a_contacted_referral_can_be_accepted(client, scheme, worker):
    waiting = ReferralFactory(scheme=scheme, status="waiting", assigned_to=worker.user)
    response = client.post(open_url(waiting), {"open_case-assigned_to": str(worker.user.pk)})
    assert response.status_code == 400
    assert not Case.objects.filter(referral=waiting).exists()
    waiting.refresh_from_db()
    assert waiting.status == "waiting"


def test_the_case_must_go_to_a_link_worker_of_the_scheme(client, contacted, member, other_scheme):
    outsider = member(Role.LINK_WORKER, of=other_scheme)
    response = client.post(open_url(contacted), {"open_case-assigned_to": str(outsider.user.pk)})
    assert response.status_code == 400
    assert not Case.objects.filter(referral=contacted).exists()


def test_a_referrer_cannot_open_a_case(member, contacted):
    referrer = sign_in(Client(), member(Role.REFERRER).user)
    response = referrer.post(open_url(contacted), {"open_case-assigned_to": ""})
    assert response.status_code == 403
