"""The weekly provider digest: one email per provider user with referrals waiting or under way,
counting them, naming nobody; nothing for a provider with nothing to do."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from linkwell.connections import services
from linkwell.connections.states import Kind, Status
from linkwell.core.audit import LogEntry
from linkwell.core.models import Role
from linkwell.notify.backends import outbox
from linkwell.notify.models import OutgoingMessage, OutgoingStatus
from linkwell.notify.outbox import messages_send_due
from linkwell.notify.selectors import messages_not_sent
from tests.connections.conftest import sharing_case
from tests.connections.test_services import _service
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def _memory_outbox(settings):
    settings.NOTIFY_BACKEND = "memory"
    outbox.clear()


def _sent(scheme, worker, service):
    case = sharing_case(scheme, worker)
    offered = services.connection_offer(case=case, service=service, kind=Kind.REFERRAL, by=worker)
    return services.connection_send(connection=offered, by=worker)


def test_each_provider_gets_counts_and_a_link_and_nobody_is_named(scheme, worker):
    service = _service()
    tom = UserFactory(email="tom@artgroup.example")
    idle = UserFactory(email="idle@other.example")
    service.organization.staff.add(tom)
    _service(name="Quiet group").organization.staff.add(idle)
    first = _sent(scheme, worker, service)
    _sent(scheme, worker, service)
    services.connection_move(connection=first, to=Status.ACCEPTED, by=worker)
    call_command("send_provider_digests")
    messages_send_due()
    digests = [m for m in outbox if m.kind == "connection.provider_digest"]
    assert [m.to_email for m in digests] == ["tom@artgroup.example"]
    body = digests[0].body
    assert "1 referral to your services is waiting" in body
    assert "1 is under way" in body
    assert "/provider/referrals/" in body
    assert first.case.person.given_name not in body
    assert LogEntry.objects.filter(action="connection.provider_digest_sent").count() == 1


def test_a_dry_run_sends_nothing(scheme, worker):
    service = _service()
    service.organization.staff.add(UserFactory())
    _sent(scheme, worker, service)
    call_command("send_provider_digests", "--dry-run")
    assert not OutgoingMessage.objects.filter(kind="connection.provider_digest").exists()


def test_a_digest_that_cannot_be_sent_is_shown_to_the_managers_of_the_providers_scheme(
    scheme, other_scheme, worker, member
):
    service = _service()
    tom = MembershipFactory(scheme=scheme, role=Role.PROVIDER, user__email="tom@art.example")
    both = MembershipFactory(scheme=scheme, role=Role.PROVIDER, user__email="ann@art.example")
    MembershipFactory(scheme=other_scheme, role=Role.PROVIDER, user=both.user)
    service.organization.staff.add(tom.user, both.user)
    _sent(scheme, worker, service)
    call_command("send_provider_digests")
    digests = OutgoingMessage.objects.filter(kind="connection.provider_digest")
    # Sent in Tom's one scheme; Ann works in two, so hers belongs to neither.
    assert dict(digests.values_list("to_address", "scheme_id")) == {
        "tom@art.example": scheme.pk,
        "ann@art.example": None,
    }
    digests.update(status=OutgoingStatus.FAILED, failed_at=timezone.now(), last_error="Bad address")
    manager = member(Role.MANAGER)
    assert [m.to_address for m in messages_not_sent(membership=manager)] == ["tom@art.example"]
    assert messages_not_sent(membership=member(Role.MANAGER, of=other_scheme)) == []
