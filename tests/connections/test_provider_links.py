"""Signed, expiring email links for providers without an account: only a digest is stored; the
link shows and answers its own referral only, through the same state machine and audit; an
expired link (410) or an unknown one (404) changes nothing; CSRF stays on."""

import datetime
import hashlib
import re

import pytest
from django.test import Client
from django.utils import timezone

from linkwell.casework.models import Need
from linkwell.connections import services
from linkwell.connections.models import Connection, ProviderLink
from linkwell.connections.provider_links import (
    digest,
    provider_link_create,
    provider_link_send,
)
from linkwell.connections.states import Kind, Status
from linkwell.core.audit import LogEntry
from linkwell.core.errors import ApplicationError
from linkwell.directory.models import ReferralRoute
from linkwell.notify import backends
from linkwell.notify.outbox import messages_send_due
from tests.connections.conftest import sharing_case
from tests.directory.factories import OrganizationFactory, default_term, listed_service

PROVIDER = "bookings@arts.example.test"


def _service(name="Art group"):
    return listed_service(
        organization=OrganizationFactory(name="Riverside Arts"),
        name=name,
        referral_route=ReferralRoute.LINKWELL,
    )


def _sent(case, service, worker):
    connection = services.connection_offer(
        case=case, service=service, kind=Kind.REFERRAL, by=worker, message="She paints."
    )
    return services.connection_send(connection=connection, by=worker)


@pytest.fixture
def referral(case, worker):
    Need.objects.create(case=case, area=default_term("loneliness"), severity=2)
    return _sent(case, _service(), worker)


@pytest.fixture
def secret(referral):
    return provider_link_create(connection=referral, sent_to=PROVIDER)


def _url(secret):
    return f"/r/{secret}/"


def _answer(client, secret, connection, to, expected, **extra):
    return client.post(
        _url(secret),
        {"connection": str(connection.pk), "to": to, "expected": expected, **extra},
    )


def _status(connection):
    return Connection.objects.get(pk=connection.pk).status


def test_only_a_digest_is_kept_and_the_link_expires(referral):
    before = timezone.now()
    secret = provider_link_create(connection=referral, sent_to=PROVIDER, days=7)

    link = ProviderLink.objects.get(digest=digest(secret))
    assert link.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(list(ProviderLink.objects.values()))
    assert before + datetime.timedelta(days=7) <= link.expires_at
    assert link.expires_at <= timezone.now() + datetime.timedelta(days=7)
    assert (link.connection_id, link.sent_to, link.last_used_at) == (referral.pk, PROVIDER, None)
    entries = LogEntry.objects.filter(action="connection.link_created")
    assert [e.data["to"] for e in entries if e.data["link"] == link.pk] == [PROVIDER]
    assert not any(secret in str(entry.data) for entry in entries)


def test_a_link_is_only_for_a_sent_referral(case, worker):
    proposed = services.connection_offer(
        case=case, service=_service(), kind=Kind.REFERRAL, by=worker
    )
    with pytest.raises(ApplicationError) as caught:
        provider_link_create(connection=proposed, sent_to=PROVIDER)
    assert caught.value.code == "connection_link_not_sent"
    with pytest.raises(ApplicationError):
        provider_link_create(connection=proposed, sent_to="not an address")
    assert not ProviderLink.objects.exists()


def test_the_link_page_shows_the_referral_and_is_audited(secret, referral, case):
    response = Client().get(_url(secret))

    assert response.status_code == 200
    text = response.content.decode()
    assert "Carol" in text
    assert "carol@example.org" in text
    assert "She paints." in text
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "same-origin"
    entry = LogEntry.objects.get(action="connection.link_viewed")
    assert (entry.actor, entry.actor_label) == (None, PROVIDER)
    assert entry.object_id == str(referral.pk)
    assert entry.person_id == str(case.person_id)
    assert ProviderLink.objects.get(digest=digest(secret)).last_used_at is not None


def test_the_link_page_shows_only_what_was_shared(secret, referral):
    Connection.objects.filter(pk=referral.pk).update(shared=["needs"])
    text = Client().get(_url(secret)).content.decode()
    assert "Carol" not in text
    assert "carol@example.org" not in text
    assert "Loneliness" in text


def test_accepting_by_link(secret, referral):
    client = Client()
    response = _answer(client, secret, referral, Status.ACCEPTED, Status.SENT)

    assert response.status_code == 302
    assert response.url == _url(secret)
    connection = Connection.objects.get(pk=referral.pk)
    assert connection.status == Status.ACCEPTED
    event = connection.events.last()
    assert (event.by, event.by_label) == (None, PROVIDER)
    entry = LogEntry.objects.get(action="connection.moved")
    assert entry.data == {"from": "sent", "to": "accepted", "by_provider": True, "by_link": True}
    assert "Thank you" in client.get(_url(secret)).content.decode()


def test_later_moves_by_the_same_link(secret, referral):
    client = Client()
    for seen, to in [
        ("sent", "accepted"),
        ("accepted", "started"),
        ("started", "attended_some"),
        ("attended_some", "completed"),
    ]:
        assert _answer(client, secret, referral, to, seen).status_code == 302
    assert _status(referral) == Status.COMPLETED
    assert "nothing more to do" in client.get(_url(secret)).content.decode()


def test_did_not_attend_by_link(secret, referral):
    client = Client()
    _answer(client, secret, referral, Status.ACCEPTED, Status.SENT)
    _answer(client, secret, referral, Status.DID_NOT_ATTEND, Status.ACCEPTED)
    assert _status(referral) == Status.DID_NOT_ATTEND


def test_declining_by_link_needs_a_reason(secret, referral):
    client = Client()
    form = client.get(_url(secret), {"to": "declined"})
    assert 'name="reason"' in form.content.decode()

    missing = _answer(client, secret, referral, Status.DECLINED, Status.SENT, reason="")
    assert missing.status_code == 400
    assert "Say why" in missing.content.decode()
    assert _status(referral) == Status.SENT

    done = _answer(client, secret, referral, Status.DECLINED, Status.SENT, reason="We are full")
    assert done.status_code == 302
    connection = Connection.objects.get(pk=referral.pk)
    assert (connection.status, connection.status_reason) == (Status.DECLINED, "We are full")


def test_a_second_answer_racing_the_first_by_link_changes_nothing(secret, referral):
    first = _answer(Client(), secret, referral, Status.ACCEPTED, Status.SENT)
    second = _answer(Client(), secret, referral, Status.DECLINED, Status.SENT, reason="Full")

    assert first.status_code == 302
    assert second.status_code == 409
    assert "changed by someone else" in second.content.decode()
    connection = Connection.objects.get(pk=referral.pk)
    assert (connection.status, connection.status_reason) == (Status.ACCEPTED, "")
    assert LogEntry.objects.filter(action="connection.moved").count() == 1


def test_an_expired_link_answers_410_and_changes_nothing(secret, referral):
    ProviderLink.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    client = Client()

    page = client.get(_url(secret))
    answer = _answer(client, secret, referral, Status.ACCEPTED, Status.SENT)

    assert (page.status_code, answer.status_code) == (410, 410)
    assert "This link has expired" in page.content.decode()
    assert "Carol" not in page.content.decode()
    assert _status(referral) == Status.SENT
    assert not LogEntry.objects.filter(
        action__in=["connection.moved", "connection.link_viewed"]
    ).exists()
    assert ProviderLink.objects.get(digest=digest(secret)).last_used_at is None


def test_an_unknown_link_answers_404(referral):
    client = Client()
    assert client.get(_url("x" * 43)).status_code == 404
    answer = _answer(client, "x" * 43, referral, Status.ACCEPTED, Status.SENT)
    assert answer.status_code == 404
    assert "could not find this link" in answer.content.decode()
    assert _status(referral) == Status.SENT


def test_a_link_cannot_act_on_another_referral(secret, referral, scheme, worker):
    other = _sent(sharing_case(scheme, worker, given_name="Aled"), _service("Choir"), worker)

    response = _answer(Client(), secret, other, Status.ACCEPTED, Status.SENT)

    assert response.status_code == 404
    assert (_status(referral), _status(other)) == (Status.SENT, Status.SENT)
    assert not LogEntry.objects.filter(action="connection.moved").exists()
    # And the link to the other referral does not open this one.
    their_secret = provider_link_create(connection=other, sent_to="choir@example.test")
    assert _answer(Client(), their_secret, referral, "accepted", "sent").status_code == 404
    assert _status(referral) == Status.SENT


@pytest.mark.parametrize("to", [Status.WITHDRAWN, Status.EXPIRED, "nonsense"])
def test_a_link_cannot_make_the_teams_moves(secret, referral, to):
    response = _answer(Client(), secret, referral, to, Status.SENT, reason="Gone")
    assert response.status_code == 400
    assert _status(referral) == Status.SENT


def test_csrf_stays_on(secret, referral):
    client = Client(enforce_csrf_checks=True)
    refused = _answer(client, secret, referral, Status.ACCEPTED, Status.SENT)
    assert refused.status_code == 403
    assert _status(referral) == Status.SENT

    page = client.get(_url(secret))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    accepted = _answer(
        client, secret, referral, Status.ACCEPTED, Status.SENT, csrfmiddlewaretoken=token.group(1)
    )
    assert accepted.status_code == 302
    assert _status(referral) == Status.ACCEPTED


def test_a_withdrawn_referral_no_longer_shows_the_person(secret, referral, worker):
    services.connection_move(
        connection=referral, to=Status.WITHDRAWN, by=worker, reason="Changed their mind"
    )
    text = Client().get(_url(secret)).content.decode()
    assert "Carol" not in text
    assert "Withdrawn" in text
    assert "Your answer" not in text


def test_sending_a_link_by_email_names_nobody(settings, referral):
    settings.NOTIFY_BACKEND = "memory"
    backends.outbox.clear()

    assert provider_link_send(connection=referral, sent_to=PROVIDER) == ""
    messages_send_due()

    [message] = [m for m in backends.outbox if m.to_email == PROVIDER]
    assert message.to_email == PROVIDER
    assert "Carol" not in message.body + message.subject
    secret = re.search(r"/r/([A-Za-z0-9_-]+)/", message.body).group(1)
    assert Client().get(_url(secret)).status_code == 200
    assert LogEntry.objects.filter(action="connection.link_sent", data__to=PROVIDER).count() == 1
    backends.outbox.clear()
