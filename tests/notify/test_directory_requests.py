"""Asking providers to check their listings goes through the outbox, against the stand-in
GOV.UK Notify: the email leaves in the background; one that cannot be delivered is shown to the
manager who asked, with the page to ask again from (its private link was not kept), and the
listing no longer counts as asked; one answered before it went is not sent."""

import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from linkwell.core.models import Role
from linkwell.directory.models import VerificationRequest
from linkwell.directory.services import verification_confirm, verification_requests_send
from linkwell.notify.models import OutgoingMessage, OutgoingStatus
from linkwell.notify.outbox import message_deliver, messages_send_due
from tests.conftest import sign_in
from tests.directory.factories import listed_service
from tests.notify.conftest import BROKEN_EMAIL


@pytest.fixture(autouse=True)
def _no_retries(settings):
    settings.NOTIFY_RETRY_DELAYS = []


@pytest.fixture
def manager(member):
    return member(Role.MANAGER)


def _stale(scheme, email):
    return listed_service(
        name="Old listing",
        owner_scheme=scheme,
        email=email,
        last_verified_at=timezone.now() - timedelta(days=400),
    )


def _ask(manager, service, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [request], _ = verification_requests_send(services=[service], membership=manager)
    return request


def test_the_request_is_sent_in_the_background_with_its_template_fields(
    stand_in, scheme, manager, django_capture_on_commit_callbacks, settings
):
    settings.NOTIFY_TEMPLATES = {"directory.verification_request": "listing-template"}
    service = _stale(scheme, "old@listing.example")
    _ask(manager, service, django_capture_on_commit_callbacks)
    assert stand_in.requests == []
    row = OutgoingMessage.objects.get()
    assert (row.kind, row.sender, row.secret) == (
        "directory.verification_request",
        manager.user,
        True,
    )
    assert messages_send_due() == {OutgoingStatus.SENT: 1}
    [sent] = stand_in.requests
    assert sent["body"]["template_id"] == "listing-template"
    assert sent["body"]["email_address"] == "old@listing.example"
    fields = sent["body"]["personalisation"]
    assert fields["service"] == "Old listing"
    assert "/directory/confirm/" in fields["link"]
    row.refresh_from_db()
    assert row.personalisation == {} and row.body == ""  # the private link is not kept


def test_an_undelivered_request_is_shown_to_the_manager_and_can_be_asked_again(
    stand_in, scheme, manager, django_capture_on_commit_callbacks
):
    service = _stale(scheme, BROKEN_EMAIL)
    request = _ask(manager, service, django_capture_on_commit_callbacks)
    web = sign_in(Client(), manager.user)
    queue = web.get(reverse("directory:freshness")).content.decode()
    assert "A request is waiting for an answer" in queue

    assert messages_send_due() == {OutgoingStatus.FAILED: 1}

    page = web.get(reverse("notify:not_sent")).content.decode()
    assert "Is your listing for Old listing still right?" in page
    assert BROKEN_EMAIL in page
    assert 'href="/directory/freshness/"' in page
    assert "send a new one from its page" in page
    assert reverse("notify:retry", args=[OutgoingMessage.objects.get().pk]) not in page
    # The link never reached anyone, so the listing is no longer waiting for an answer.
    request.refresh_from_db()
    assert request.expires_at <= timezone.now()
    assert "A request is waiting for an answer" not in (
        web.get(reverse("directory:freshness")).content.decode()
    )


def test_a_request_answered_before_its_email_went_is_not_sent(
    stand_in, scheme, manager, django_capture_on_commit_callbacks
):
    service = _stale(scheme, "old@listing.example")
    _ask(manager, service, django_capture_on_commit_callbacks)
    # The provider had a link from an earlier request (made here the same way) and used it.
    row = OutgoingMessage.objects.get()
    request = VerificationRequest.objects.get(pk=row.reference)
    secret = "known-secret"
    VerificationRequest.objects.filter(pk=request.pk).update(
        digest=hashlib.sha256(secret.encode()).hexdigest()
    )
    verification_confirm(secret=secret)

    assert message_deliver(row.pk) == OutgoingStatus.CANCELLED
    row.refresh_from_db()
    assert row.last_error == "The listing was confirmed already."
    assert stand_in.requests == []
