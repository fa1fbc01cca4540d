"""The referrer hears of the case's milestones as the person's consent allows at that moment:
first contact, the plan agreed (the first support offered) and, as before, the case closing."""

import pytest

from linkwell.connections import services
from linkwell.connections.states import Kind
from linkwell.core.audit import LogEntry
from linkwell.notify.backends import outbox
from linkwell.notify.models import OutgoingMessage
from linkwell.notify.outbox import messages_send_due
from linkwell.people.models import Consent, ConsentMethod, ConsentScope
from linkwell.referrals.services import contact_attempt_record
from tests.connections.test_services import _service
from tests.factories import ReferralFactory


@pytest.fixture(autouse=True)
def _memory_outbox(settings):
    settings.NOTIFY_BACKEND = "memory"
    outbox.clear()


def _agrees_to_updates(person):
    Consent.objects.create(
        person=person, scope=ConsentScope.SHARE_REFERRER, method=ConsentMethod.VERBAL
    )


def test_the_first_support_offered_tells_the_referrer_the_plan_is_agreed(
    case, worker, django_capture_on_commit_callbacks
):
    _agrees_to_updates(case.person)
    with django_capture_on_commit_callbacks(execute=True):
        services.connection_offer(case=case, service=_service(), kind=Kind.SIGNPOST, by=worker)
    messages_send_due()
    assert [m.to_email for m in outbox] == ["gp@example.test"]
    assert "agreed a plan of support" in outbox[0].body
    assert "871731000000106" in outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        services.connection_offer(
            case=case, service=_service(name="Choir"), kind=Kind.SIGNPOST, by=worker
        )
    messages_send_due()
    assert len(outbox) == 1  # only the first support is the milestone


def test_without_consent_to_updates_the_referrer_is_not_told(
    case, worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.connection_offer(case=case, service=_service(), kind=Kind.SIGNPOST, by=worker)
    assert outbox == []
    entry = LogEntry.objects.get(action="case.referrer_not_told")
    assert entry.data["about"] == "plan"


def test_first_contact_tells_the_referrer(scheme, worker, django_capture_on_commit_callbacks):
    referral = ReferralFactory(scheme=scheme, status="waiting", assigned_to=worker)
    _agrees_to_updates(referral.person)
    with django_capture_on_commit_callbacks(execute=True):
        contact_attempt_record(referral=referral, method="phone", outcome="reached", by=worker)
    messages_send_due()
    assert [m.to_email for m in outbox] == ["gp@example.test"]
    # Sent for the link worker the referral is assigned to, who sees it if it fails.
    assert OutgoingMessage.objects.get().sender == worker
    assert "is now: contacted" in outbox[0].body


def test_a_letter_is_not_sent_if_consent_is_withdrawn_before_it_goes(
    case, worker, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    _agrees_to_updates(case.person)
    with django_capture_on_commit_callbacks(execute=True):
        services.connection_offer(case=case, service=_service(), kind=Kind.SIGNPOST, by=worker)
    Consent.objects.filter(person=case.person).update(withdrawn_at=timezone.now())
    messages_send_due()
    assert outbox == []
    row = OutgoingMessage.objects.get()
    assert row.status == "cancelled" and "no longer agrees" in row.last_error
    assert row.body == ""  # the letter named the person: not kept
    assert not LogEntry.objects.filter(action="case.referrer_told").exists()
