"""A sent referral tells the service: staff with accounts are pointed to their inbox; a service
with no accounts gets a private link to answer that referral. Nobody is named."""

import pytest

from linkwell.connections import services
from linkwell.connections.models import ProviderLink
from linkwell.connections.notices import tell_provider
from linkwell.connections.states import Kind
from linkwell.notify.backends import outbox
from tests.connections.test_services import _service
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _memory_outbox(settings):
    settings.NOTIFY_BACKEND = "memory"
    outbox.clear()


def _send(case, worker, service, django_capture_on_commit_callbacks):
    offered = services.connection_offer(case=case, service=service, kind=Kind.REFERRAL, by=worker)
    with django_capture_on_commit_callbacks() as callbacks:
        sent = services.connection_send(connection=offered, by=worker)
    return sent, callbacks


def test_a_service_with_no_accounts_gets_a_private_link(
    case, worker, django_capture_on_commit_callbacks
):
    service = _service(referral_email="referrals@artgroup.example")
    sent, callbacks = _send(case, worker, service, django_capture_on_commit_callbacks)
    assert len(callbacks) == 1  # the task is queued once the send is committed
    assert tell_provider(connection_id=sent.pk) == ""
    link = ProviderLink.objects.get(connection=sent)
    assert link.sent_to == "referrals@artgroup.example"
    assert [m.to_email for m in outbox] == ["referrals@artgroup.example"]
    assert "/r/" in outbox[0].body
    assert case.person.given_name not in outbox[0].body


def test_staff_with_accounts_are_pointed_to_their_inbox(
    case, worker, django_capture_on_commit_callbacks
):
    service = _service(referral_email="referrals@artgroup.example")
    staff = UserFactory(email="tom@artgroup.example")
    service.organization.staff.add(staff)
    sent, _ = _send(case, worker, service, django_capture_on_commit_callbacks)
    assert tell_provider(connection_id=sent.pk) == ""
    assert [m.to_email for m in outbox] == ["tom@artgroup.example"]
    assert "/provider/referrals/" in outbox[0].body
    assert not ProviderLink.objects.exists()


def test_a_referral_no_longer_waiting_is_not_announced(case, worker):
    offered = services.connection_offer(
        case=case, service=_service(), kind=Kind.REFERRAL, by=worker
    )
    assert tell_provider(connection_id=offered.pk) != ""
    assert outbox == []
