"""The outbox, against the stand-in GOV.UK Notify on 127.0.0.1 (tests/notify/conftest.py): a
message is stored in the caller's transaction and sent by a background task; a failure that may
pass is tried again after each delay; a refusal, or running out of tries, leaves it "not sent",
shown to the person it was sent for (and their managers), who can try it again. A message that
held a private link keeps nothing of it once it ends."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django_tasks_db.models import DBTaskResult

from linkwell import notify
from linkwell.core.audit import LogEntry
from linkwell.core.models import Role
from linkwell.notify.models import OutgoingMessage, OutgoingStatus
from linkwell.notify.outbox import (
    message_deliver,
    message_queue,
    message_retry,
    messages_send_due,
)
from linkwell.notify.selectors import messages_not_sent
from tests.conftest import sign_in
from tests.factories import MembershipFactory
from tests.notify.conftest import BROKEN_EMAIL, REFUSED_PHONE

DELAYS = [60, 300]


@pytest.fixture(autouse=True)
def _delays(settings):
    settings.NOTIFY_RETRY_DELAYS = DELAYS


@pytest.fixture
def worker(scheme):
    return MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)


def _queue(worker, django_capture_on_commit_callbacks, **message):
    message.setdefault("to_email", "art@example.test")
    message.setdefault("subject", "A new referral to Art group")
    message.setdefault("body", "Please accept or decline it")
    with django_capture_on_commit_callbacks(execute=True):
        return message_queue(
            notify.Message(kind="test.notice", **message),
            scheme_id=worker.scheme_id,
            about=worker.scheme,
            link="/cases/",
            sender=worker.user,
        )


def _task_runs(row) -> list:
    return list(
        DBTaskResult.objects.filter(args_kwargs__args=[str(row.pk)]).values_list(
            "run_after", flat=True
        )
    )


def test_a_message_is_stored_then_sent_by_its_task(
    stand_in, worker, django_capture_on_commit_callbacks
):
    row = _queue(worker, django_capture_on_commit_callbacks)
    assert row.status == OutgoingStatus.QUEUED and stand_in.requests == []
    assert len(_task_runs(row)) == 1  # queued for the worker once the transaction committed
    assert message_deliver(row.pk) == OutgoingStatus.SENT
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutgoingStatus.SENT, 1)
    assert row.sent_at is not None and row.provider_id
    [request] = stand_in.requests
    assert request["body"]["email_address"] == "art@example.test"
    assert LogEntry.objects.filter(action="message.sent", object_id=str(row.pk)).exists()
    # A second delivery of the same message (a task run twice) sends nothing.
    assert message_deliver(row.pk) == ""
    assert len(stand_in.requests) == 1


def test_a_message_with_no_address_is_refused_and_nothing_is_stored(worker):
    with pytest.raises(ValueError, match="needs an address"):
        message_queue(notify.Message(subject="x", body="y"), scheme_id=worker.scheme_id)
    assert not OutgoingMessage.objects.exists()


def test_a_message_queued_in_a_transaction_that_fails_is_not_kept(worker):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        message_queue(notify.Message(to_email="a@example.test", body="y"), scheme_id=None)
        raise RuntimeError("the send it belonged to failed")
    assert not OutgoingMessage.objects.exists()


def test_notify_down_is_tried_again_after_each_delay_then_shown_as_not_sent(
    stand_in, worker, django_capture_on_commit_callbacks
):
    row = _queue(worker, django_capture_on_commit_callbacks)
    stand_in.fail_next = 10
    start = timezone.now()
    assert message_deliver(row.pk, now=start) == OutgoingStatus.QUEUED
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutgoingStatus.QUEUED, 1)
    assert row.next_attempt_at == start + datetime.timedelta(seconds=60)
    assert "503" in row.last_error
    assert start + datetime.timedelta(seconds=60) in _task_runs(row)  # the retry's task
    # Not due yet: nothing is tried.
    assert messages_send_due(now=start + datetime.timedelta(seconds=30)) == {}
    assert messages_send_due(now=start + datetime.timedelta(seconds=61)) == {"queued": 1}
    row.refresh_from_db()
    assert row.next_attempt_at == start + datetime.timedelta(seconds=361)
    assert messages_send_due(now=start + datetime.timedelta(seconds=400)) == {"failed": 1}
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutgoingStatus.FAILED, 3)  # one more than the delays
    assert len(stand_in.requests) == 3
    assert LogEntry.objects.filter(action="message.not_sent", object_id=str(row.pk)).exists()
    assert [m.pk for m in messages_not_sent(membership=worker)] == [row.pk]


def test_a_refusal_is_not_tried_again(stand_in, worker, django_capture_on_commit_callbacks):
    row = _queue(worker, django_capture_on_commit_callbacks, to_email="", to_phone=REFUSED_PHONE)
    assert message_deliver(row.pk) == OutgoingStatus.FAILED
    row.refresh_from_db()
    assert row.attempts == 1 and "team-only API key" in row.last_error
    assert len(_task_runs(row)) == 1  # only the first: no retry was queued
    assert row.next_attempt_at is None


def test_a_message_that_held_a_secret_keeps_nothing_of_it(
    stand_in, worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        row = message_queue(
            notify.Message(
                to_email="art@example.test",
                body="Open http://x/r/SECRET/",
                personalisation={"link": "http://x/r/SECRET/"},
            ),
            scheme_id=worker.scheme_id,
            sender=worker.user,
            secret=True,
        )
        failed = message_queue(
            notify.Message(to_phone=REFUSED_PHONE, body="Open http://x/r/OTHER/"),
            scheme_id=worker.scheme_id,
            sender=worker.user,
            secret=True,
        )
    message_deliver(row.pk)
    message_deliver(failed.pk)
    assert "SECRET" in stand_in.requests[0]["body"]["personalisation"]["body"]
    kept = str(list(OutgoingMessage.objects.values()))
    assert "SECRET" not in kept and "OTHER" not in kept
    failed.refresh_from_db()
    # It cannot be tried again as it was; it has to be made again from its page.
    from linkwell.core.errors import ApplicationError

    with pytest.raises(ApplicationError, match="private link"):
        message_retry(message=failed, by=worker.user)


def test_a_worker_that_stopped_mid_send_is_taken_back(
    stand_in, worker, django_capture_on_commit_callbacks
):
    row = _queue(worker, django_capture_on_commit_callbacks)
    now = timezone.now()
    OutgoingMessage.objects.filter(pk=row.pk).update(
        status=OutgoingStatus.SENDING,
        attempts=1,
        next_attempt_at=now + datetime.timedelta(minutes=15),
    )
    assert messages_send_due(now=now + datetime.timedelta(minutes=5)) == {}  # still leased
    assert messages_send_due(now=now + datetime.timedelta(minutes=16)) == {"sent": 1}
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutgoingStatus.SENT, 2)


def _failed(worker, stand_in, django_capture_on_commit_callbacks, **message):
    message.setdefault("to_email", BROKEN_EMAIL)
    row = _queue(worker, django_capture_on_commit_callbacks, **message)
    OutgoingMessage.objects.filter(pk=row.pk).update(attempts=len(DELAYS))
    message_deliver(row.pk)
    row.refresh_from_db()
    assert row.status == OutgoingStatus.FAILED
    return row


def test_the_sender_sees_a_failed_message_and_tries_it_again(
    stand_in, worker, scheme, django_capture_on_commit_callbacks
):
    row = _failed(worker, stand_in, django_capture_on_commit_callbacks)
    other = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    manager = MembershipFactory(scheme=scheme, role=Role.MANAGER)
    web = sign_in(Client(), worker.user)
    dashboard = web.get(reverse("core:dashboard")).content.decode()
    assert "1 message could not be delivered" in dashboard
    page = web.get(reverse("notify:not_sent"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "A new referral to Art group" in html and BROKEN_EMAIL in html and "(500)" in html
    assert "A message left here for 30 days is taken off the list" in html
    # Another link worker does not see it and cannot try it; the manager sees the team's.
    assert messages_not_sent(membership=other) == []
    assert (
        sign_in(Client(), other.user).post(reverse("notify:retry", args=[row.pk])).status_code
        == 404
    )
    assert [m.pk for m in messages_not_sent(membership=manager)] == [row.pk]
    team_page = sign_in(Client(), manager.user).get(reverse("notify:not_sent")).content.decode()
    assert f"for {escape(worker.user.full_name)}" in team_page  # whom it was sent for, by name
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(reverse("notify:retry", args=[row.pk]), {"next": "/cases/"})
    assert response.status_code == 302 and response["Location"] == "/cases/"
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutgoingStatus.QUEUED, 0)
    assert LogEntry.objects.filter(action="message.retried", actor=worker.user).exists()
    # A fresh round of tries: still broken, so it waits to be tried again, off the list.
    assert message_deliver(row.pk) == OutgoingStatus.QUEUED
    assert messages_not_sent(membership=worker) == []


def test_another_schemes_message_is_a_404(
    stand_in, worker, other_scheme, django_capture_on_commit_callbacks
):
    row = _failed(worker, stand_in, django_capture_on_commit_callbacks)
    outsider = MembershipFactory(scheme=other_scheme, role=Role.MANAGER)
    web = sign_in(Client(), outsider.user)
    assert web.post(reverse("notify:retry", args=[row.pk])).status_code == 404
    assert BROKEN_EMAIL not in web.get(reverse("notify:not_sent")).content.decode()
    row.refresh_from_db()
    assert row.status == OutgoingStatus.FAILED


def test_a_task_that_runs_early_or_twice_keeps_to_the_retry_delays(
    stand_in, worker, django_capture_on_commit_callbacks
):
    row = _queue(worker, django_capture_on_commit_callbacks)
    stand_in.fail_next = 10
    start = timezone.now()
    message_deliver(row.pk, now=start)
    # A second task for the same message (the sweep raced the retry) runs before the delay.
    assert message_deliver(row.pk, now=start + datetime.timedelta(seconds=5)) == ""
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutgoingStatus.QUEUED, 1)
    assert len(stand_in.requests) == 1


def test_an_unforeseen_error_is_tried_again_and_a_stalled_send_ends_as_not_sent(
    settings, worker, django_capture_on_commit_callbacks
):
    settings.NOTIFY_BACKEND = "linkwell.no_such.Backend"  # importing it fails: not a NotifyError
    row = _queue(worker, django_capture_on_commit_callbacks)
    start = timezone.now()
    assert message_deliver(row.pk, now=start) == OutgoingStatus.QUEUED
    row.refresh_from_db()
    assert row.attempts == 1 and row.last_error.startswith("Unexpected error")
    # A worker that stopped mid-send on its last try: the sweep says it was not sent.
    OutgoingMessage.objects.filter(pk=row.pk).update(
        status=OutgoingStatus.SENDING, attempts=len(DELAYS) + 1, next_attempt_at=start
    )
    assert messages_send_due(now=start + datetime.timedelta(seconds=1)) == {}
    row.refresh_from_db()
    assert row.status == OutgoingStatus.FAILED
    assert "stopped while sending" in row.last_error


def test_a_sent_message_keeps_no_words_and_a_dismissed_one_leaves_the_list(
    stand_in, worker, django_capture_on_commit_callbacks
):
    sent = _queue(worker, django_capture_on_commit_callbacks, body="Carol Evans has finished")
    message_deliver(sent.pk)
    sent.refresh_from_db()
    assert sent.status == OutgoingStatus.SENT and sent.body == ""
    failed = _failed(worker, stand_in, django_capture_on_commit_callbacks, body="Carol Evans")
    web = sign_in(Client(), worker.user)
    response = web.post(reverse("notify:dismiss", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == OutgoingStatus.CANCELLED and failed.body == ""
    assert messages_not_sent(membership=worker) == []
    assert LogEntry.objects.filter(action="message.cancelled", actor=worker.user).exists()


def test_a_manager_limited_to_some_sites_sees_only_their_own(
    stand_in, worker, scheme, django_capture_on_commit_callbacks
):
    from linkwell.core.models import Site

    row = _failed(worker, stand_in, django_capture_on_commit_callbacks)
    limited = MembershipFactory(scheme=scheme, role=Role.MANAGER)
    limited.sites.add(Site.objects.create(scheme=scheme, name="North surgery"))
    assert messages_not_sent(membership=limited) == []
    assert (
        sign_in(Client(), limited.user).post(reverse("notify:retry", args=[row.pk])).status_code
        == 404
    )


def test_retrying_a_message_that_is_not_failed_changes_nothing(
    stand_in, worker, django_capture_on_commit_callbacks
):
    row = _queue(worker, django_capture_on_commit_callbacks)
    web = sign_in(Client(), worker.user)
    response = web.post(reverse("notify:retry", args=[row.pk]), follow=True)
    assert "not waiting to be tried again" in response.content.decode()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutgoingStatus.QUEUED, 0)
    assert not LogEntry.objects.filter(action="message.retried").exists()


def test_a_message_left_not_sent_for_the_set_days_is_forgotten(
    stand_in, worker, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_FORGET_FAILED_DAYS = 30
    old = _failed(worker, stand_in, django_capture_on_commit_callbacks, body="Carol Evans")
    recent = _failed(worker, stand_in, django_capture_on_commit_callbacks, body="Aled Jones")
    assert old.failed_at is not None and old.body == "Carol Evans"
    now = timezone.now()
    OutgoingMessage.objects.filter(pk=old.pk).update(failed_at=now - datetime.timedelta(days=31))
    OutgoingMessage.objects.filter(pk=recent.pk).update(failed_at=now - datetime.timedelta(days=29))

    out = StringIO()
    call_command("send_waiting_messages", stdout=out)

    assert "1 not sent for 30 days forgotten" in out.getvalue()
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, old.body) == (OutgoingStatus.CANCELLED, "")
    assert old.last_error.startswith("Not tried again or dismissed in 30 days")
    assert (recent.status, recent.body) == (OutgoingStatus.FAILED, "Aled Jones")
    assert [m.pk for m in messages_not_sent(membership=worker)] == [recent.pk]
    assert LogEntry.objects.filter(action="message.cancelled", object_id=str(old.pk)).exists()
    # Trying a message again starts its clock again.
    with django_capture_on_commit_callbacks(execute=True):
        message_retry(message=recent, by=worker.user)
    recent.refresh_from_db()
    assert recent.failed_at is None


def test_a_referral_given_to_another_worker_takes_its_unsent_letters_with_it(scheme, worker):
    from linkwell.referrals.services import referral_assign
    from tests.factories import OutgoingMessageFactory, ReferralFactory

    referral = ReferralFactory(scheme=scheme, assigned_to=worker.user, status="waiting")
    elsewhere = ReferralFactory(scheme=scheme, assigned_to=worker.user, status="waiting")

    def letter(about, **state):
        return OutgoingMessageFactory(
            scheme=scheme,
            kind="referral.feedback",
            to_address="gp@example.test",
            about=about,
            sender=worker.user,
            **state,
        )

    failed = letter(referral, failed=True)
    sent = letter(referral, sent=True)
    theirs = letter(elsewhere, failed=True)
    newcomer = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    manager = MembershipFactory(scheme=scheme, role=Role.MANAGER)

    referral_assign(referral=referral, to=newcomer.user, by=manager.user)

    assert [m.pk for m in messages_not_sent(membership=newcomer)] == [failed.pk]
    assert [m.pk for m in messages_not_sent(membership=worker)] == [theirs.pk]
    sent.refresh_from_db()
    assert sent.sender == worker.user
    entry = LogEntry.objects.get(action="message.handed_over")
    assert (entry.object_id, entry.data["messages"]) == (str(referral.pk), [str(failed.pk)])
