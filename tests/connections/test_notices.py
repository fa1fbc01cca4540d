"""A sent referral tells the service: staff with accounts are pointed to their inbox; a service
with no accounts gets a private link to answer that referral. Nobody is named. The messages go
through the outbox, in the same transaction as the send, for the link worker who sent it; the
worker can tell the service again while the referral waits."""

import pytest
from django.test import Client
from django.urls import reverse

from linkwell.connections import services
from linkwell.connections.models import ProviderLink
from linkwell.connections.states import Kind, Status
from linkwell.core.errors import ApplicationError
from linkwell.notify.backends import outbox
from linkwell.notify.models import OutgoingMessage, OutgoingStatus
from linkwell.notify.outbox import messages_send_due
from tests.conftest import sign_in
from tests.connections.test_services import _service
from tests.factories import OutgoingMessageFactory, UserFactory


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
    assert len(callbacks) == 1  # the message's task is queued once the send is committed
    assert sent.not_told == ""
    link = ProviderLink.objects.get(connection=sent)
    assert link.sent_to == "referrals@artgroup.example"
    stored = OutgoingMessage.objects.get()
    assert (stored.kind, stored.sender, stored.secret) == ("connection.provider_link", worker, True)
    assert stored.about_id == str(sent.pk)
    assert outbox == []  # nothing leaves until the background task runs
    assert messages_send_due() == {OutgoingStatus.SENT: 1}
    assert [m.to_email for m in outbox] == ["referrals@artgroup.example"]
    assert "/r/" in outbox[0].body
    assert outbox[0].personalisation["link"] in outbox[0].body
    assert case.person.given_name not in outbox[0].body
    stored.refresh_from_db()
    # The private link is not kept once the email has gone: only its digest is.
    assert stored.status == OutgoingStatus.SENT and stored.body == ""
    assert stored.personalisation == {}


def test_staff_with_accounts_are_pointed_to_their_inbox(
    case, worker, django_capture_on_commit_callbacks
):
    service = _service(referral_email="referrals@artgroup.example")
    staff = UserFactory(email="tom@artgroup.example")
    service.organization.staff.add(staff)
    _send(case, worker, service, django_capture_on_commit_callbacks)
    messages_send_due()
    assert [m.to_email for m in outbox] == ["tom@artgroup.example"]
    assert outbox[0].kind == "connection.provider_notice"
    assert "/provider/referrals/" in outbox[0].body
    assert not ProviderLink.objects.exists()
    # Once sent, its words are not kept either.
    assert OutgoingMessage.objects.get().body == ""


def test_a_service_with_no_address_is_not_told_and_the_sender_hears_why(
    case, worker, django_capture_on_commit_callbacks
):
    service = _service(referral_email="", email="")
    service.organization.email = ""
    service.organization.save()
    sent, _ = _send(case, worker, service, django_capture_on_commit_callbacks)
    assert sent.status == Status.SENT
    assert sent.not_told == "the service has no email address"
    assert not OutgoingMessage.objects.exists()
    # The link worker sees it on the referral's page, with a way to try again later.
    page = sign_in(Client(), worker).get(
        reverse("case_connections:detail", args=[case.pk, sent.pk])
    )
    assert 'data-testid="service-not-told"' in page.content.decode()


def test_telling_again_makes_a_new_link_and_only_while_the_referral_waits(
    case, worker, django_capture_on_commit_callbacks
):
    service = _service(referral_email="referrals@artgroup.example")
    sent, _ = _send(case, worker, service, django_capture_on_commit_callbacks)
    web = sign_in(Client(), worker)
    url = reverse("case_connections:tell_provider", args=[case.pk, sent.pk])
    response = web.post(url)
    assert response.status_code == 302
    assert ProviderLink.objects.filter(connection=sent).count() == 2
    assert OutgoingMessage.objects.filter(kind="connection.provider_link").count() == 2
    services.connection_move(connection=sent, to=Status.ACCEPTED, by=worker)
    with pytest.raises(ApplicationError, match="waiting for the service's answer"):
        services.connection_tell_provider(connection=sent, by=worker)
    assert OutgoingMessage.objects.count() == 2


def test_a_notice_for_a_referral_answered_before_it_went_is_not_sent(
    case, worker, django_capture_on_commit_callbacks
):
    service = _service(referral_email="referrals@artgroup.example")
    sent, _ = _send(case, worker, service, django_capture_on_commit_callbacks)
    services.connection_move(connection=sent, to=Status.WITHDRAWN, by=worker, reason="Moved")
    assert messages_send_due() == {OutgoingStatus.CANCELLED: 1}
    assert outbox == []
    row = OutgoingMessage.objects.get()
    assert "no longer waiting" in row.last_error and row.body == ""


def test_a_directory_address_that_is_not_one_does_not_stop_the_send_and_is_shown(
    case, worker, django_capture_on_commit_callbacks
):
    service = _service(referral_email="not an address")
    web = sign_in(Client(), worker)
    prefix = f"s-{service.pk}-"
    response = web.post(
        reverse("case_connections:new", args=[case.pk]),
        {
            "action": "send",
            "service": [str(service.pk)],
            prefix + "include": "on",
            prefix + "kind": "referral",
            prefix + "message": "Carol would like to join",
        },
        follow=True,
    )
    html = response.content.decode()
    assert "Sent 1 referral" in html
    assert "was not told about the referral" in html and "is not valid" in html
    sent = case.connections.get()
    assert sent.status == Status.SENT and not OutgoingMessage.objects.exists()
    page = web.get(reverse("case_connections:detail", args=[case.pk, sent.pk]))
    assert 'data-testid="service-not-told"' in page.content.decode()


def test_telling_again_replaces_a_failed_link_and_the_old_link_stops_working(
    case, worker, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    service = _service(referral_email="referrals@artgroup.example")
    sent, _ = _send(case, worker, service, django_capture_on_commit_callbacks)
    first = OutgoingMessage.objects.get()
    OutgoingMessage.objects.filter(pk=first.pk).update(
        status=OutgoingStatus.FAILED,
        failed_at=timezone.now(),
        attempts=1,
        last_error="Not a valid email address",
        body="",
    )
    services.connection_tell_provider(connection=sent, by=worker)
    first.refresh_from_db()
    assert first.status == OutgoingStatus.CANCELLED  # off the "not sent" list
    links = ProviderLink.objects.filter(connection=sent).order_by("created_at")
    assert [link.expires_at <= timezone.now() for link in links] == [True, False]


def test_a_case_given_to_another_worker_takes_its_unsent_messages_with_it(
    scheme, case, worker, member, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from linkwell.casework.services import case_assign
    from linkwell.core.audit import LogEntry
    from linkwell.core.models import Membership, Role
    from linkwell.notify.selectors import messages_about, messages_not_sent
    from tests.connections.conftest import sharing_case

    def fail(row):
        OutgoingMessage.objects.filter(pk=row.pk).update(
            status=OutgoingStatus.FAILED, failed_at=timezone.now(), last_error="Refused"
        )

    art = _service(referral_email="art@example.test")
    _send(case, worker, art, django_capture_on_commit_callbacks)
    failed = OutgoingMessage.objects.get()
    fail(failed)
    choir = _service(name="Choir", referral_email="choir@example.test")
    _send(case, worker, choir, django_capture_on_commit_callbacks)
    waiting = OutgoingMessage.objects.get(to_address="choir@example.test")
    sent_already = OutgoingMessageFactory(
        scheme=scheme,
        kind="test.sent",
        to_address="x@example.test",
        about=case,
        sender=worker,
        sent=True,
    )
    # The worker's other case keeps its own failed message.
    other_case = sharing_case(scheme, worker)
    gym = _service(name="Gym", referral_email="gym@example.test")
    _send(other_case, worker, gym, django_capture_on_commit_callbacks)
    theirs = OutgoingMessage.objects.get(to_address="gym@example.test")
    fail(theirs)
    newcomer = member(Role.LINK_WORKER)
    manager = member(Role.MANAGER)
    previous = Membership.objects.get(user=worker, scheme=scheme)

    case_assign(case=case, to=newcomer.user, by=manager.user)

    assert [m.pk for m in messages_not_sent(membership=newcomer)] == [failed.pk]
    assert [m.pk for m in messages_not_sent(membership=previous)] == [theirs.pk]
    senders = dict(OutgoingMessage.objects.values_list("pk", "sender"))
    assert senders[waiting.pk] == newcomer.user.pk  # a later failure reaches the new worker
    assert senders[sent_already.pk] == worker.pk  # what was sent stays as it was
    entry = LogEntry.objects.get(action="message.handed_over")
    assert entry.actor == manager.user and sorted(entry.data["messages"]) == sorted(
        [str(failed.pk), str(waiting.pk)]
    )
    # The new worker is told on their dashboard, and may act on it from the referral's page.
    web = sign_in(Client(), newcomer.user)
    dashboard = web.get(reverse("core:dashboard")).content.decode()
    assert "1 message could not be delivered" in dashboard
    connection = case.connections.get(service=art)
    [row] = messages_about(connection, membership=newcomer, failed_only=True)
    assert row.pk == failed.pk and row.may_act
    [row] = messages_about(connection, membership=previous, failed_only=True)
    assert not row.may_act
