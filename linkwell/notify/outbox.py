"""The outbox: messages sent on someone's behalf in the background.

`message_queue` stores a message in the caller's transaction and, once that commits, queues a
background task (`tasks.deliver_message`) to send it. The task claims the message if it is due,
asks its kind whether it is still wanted (`register_kind`: consent to share, the referral still
waiting...), sends it once, and then:
- marks it sent, with the backend's id for it, and runs its kind's `on_sent` (so "the referrer
  was told" is recorded when they were, not when the letter was queued);
- or, when the failure may pass (Notify down, busy or unreachable, or an error nobody foresaw),
  waits and tries again after each of NOTIFY_RETRY_DELAYS;
- or marks it not sent, with the reason, when it was refused or ran out of tries. It is then
  shown to the person it was sent for (`selectors.messages_not_sent`) until they try it again
  or dismiss it;
- or, when it is no longer wanted, marks it "not needed", with why.

`messages_send_due` (`manage.py send_waiting_messages`) sends whatever is due whose task was
lost, and takes back a message left "being sent" by a worker that stopped. The same command
forgets the words of messages left "not sent" for NOTIFY_FORGET_FAILED_DAYS
(`messages_forget_failed`).
A message's words are not kept once it is sent or not needed (they may name the person); a
message holding a secret (a private link) keeps nothing of it once it ends, so it is made again
("Tell the service again") rather than tried again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from linkwell import notify
from linkwell.core.audit import ACTIONS, log_action
from linkwell.core.errors import ApplicationError
from linkwell.notify.models import OutgoingMessage, OutgoingStatus

logger = logging.getLogger("linkwell.notify")

# A worker that claims a message has this long to send it before the sweep takes it back.
LEASE = timedelta(minutes=15)

# Per kind of message (by prefix, e.g. "connection."): `still_wanted(row) -> why_not`, asked just
# before each try, so consent and the state of what it is about are checked at the moment of
# use; and `on_sent(row)`, run once it has been sent (to record that someone was told).
_CHECKS: dict[str, Callable[[OutgoingMessage], str]] = {}
_ON_SENT: dict[str, Callable[[OutgoingMessage], None]] = {}
_ON_NOT_SENT: dict[str, Callable[[OutgoingMessage, str], None]] = {}


def register_kind(prefix: str, *, still_wanted=None, on_sent=None, on_not_sent=None) -> None:
    """Say how to check a kind of message is still wanted, what to do once it is sent, and
    what to do when it ends unsent (`on_not_sent(row, why)`: failed, or no longer wanted)."""
    if still_wanted is not None:
        _CHECKS[prefix] = still_wanted
    if on_sent is not None:
        _ON_SENT[prefix] = on_sent
    if on_not_sent is not None:
        _ON_NOT_SENT[prefix] = on_not_sent


def _not_sent_hook(row: OutgoingMessage, why: str) -> None:
    hook = _for_kind(_ON_NOT_SENT, row.kind)
    if hook is not None:
        hook(row, why)


def _for_kind(table: dict, kind: str):
    matches = [prefix for prefix in table if kind.startswith(prefix)]
    return table[max(matches, key=len)] if matches else None


ACTIONS.update(
    {
        "message.sent": "Sent a message",
        "message.not_sent": "A message could not be sent",
        "message.retried": "Tried a message again",
        "message.cancelled": "A message was not needed any more, or was dismissed",
        "message.handed_over": "Messages not yet sent went with a record to its new holder",
    }
)


def message_queue(
    message: notify.Message,
    *,
    scheme_id=None,
    about=None,
    link: str = "",
    sender=None,
    sender_id=None,
    secret: bool = False,
    now: datetime | None = None,
) -> OutgoingMessage:
    """Store a message to be sent in the background. Raises ValueError for a message with no
    address (nothing is stored). `scheme_id` is the scheme it is sent in; `about` the record it
    concerns and `link` the page of it; `sender` is who it is sent for, who sees it if it
    cannot be sent."""
    notify.check(message)
    row = OutgoingMessage.objects.create(
        scheme_id=scheme_id,
        kind=message.kind or "message",
        channel=message.channel,
        to_address=message.to,
        subject=message.subject[:200],
        body=message.body,
        personalisation=dict(message.personalisation),
        reference=message.reference[:100],
        secret=secret,
        about_type=about._meta.label_lower if about is not None else "",
        about_id=str(about.pk) if about is not None else "",
        link=link[:300],
        sender=sender if getattr(sender, "is_authenticated", False) else None,
        **({"sender_id": sender_id} if sender_id is not None else {}),
        created_at=now or timezone.now(),
        next_attempt_at=now or timezone.now(),
    )
    transaction.on_commit(lambda: schedule_delivery(row.pk))
    return row


def schedule_delivery(message_id, run_after: datetime | None = None) -> None:
    """Queue the background task that sends this message (at `run_after`, else now)."""
    from linkwell.notify.tasks import deliver_message

    task = deliver_message.using(run_after=run_after) if run_after else deliver_message
    task.enqueue(str(message_id))


def _as_message(row: OutgoingMessage) -> notify.Message:
    address = {"to_phone": row.to_address} if row.channel == "sms" else {"to_email": row.to_address}
    return notify.Message(
        **address,
        channel=row.channel,
        subject=row.subject,
        body=row.body,
        reference=row.reference,
        kind=row.kind,
        personalisation=row.personalisation or {},
    )


def _wiped(row: OutgoingMessage, *, sent: bool) -> dict:
    """What is not kept once a message ends: its words, when sent or no longer needed (they
    may name the person), and a private link always."""
    return {"body": "", "personalisation": {}} if sent or row.secret else {}


def _due(now: datetime) -> Q:
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def message_deliver(message_id, *, now: datetime | None = None) -> str:
    """Try to send one message once, if it is due; returns its status afterwards ("" if it was
    not waiting, or not due: a task that runs early or twice sends nothing)."""
    now = now or timezone.now()
    claimed = (
        OutgoingMessage.objects.filter(pk=message_id, status=OutgoingStatus.QUEUED)
        .filter(_due(now))
        .update(
            status=OutgoingStatus.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + LEASE,
        )
    )
    if not claimed:
        return ""
    row = OutgoingMessage.objects.get(pk=message_id)
    check = _for_kind(_CHECKS, row.kind)
    why_not = check(row) if check is not None else ""
    if why_not:
        return _cancel(row, why_not, by=None)
    try:
        provider_id = notify.send(_as_message(row))
    except (notify.NotifyError, ValueError) as error:
        return _failed(row, error, now)
    except Exception as error:  # a bug or an outage we did not foresee: try again later
        logger.exception("Message %s: unexpected error while sending", row.pk)
        return _failed(row, notify.NotifyError(f"Unexpected error: {error}", temporary=True), now)
    OutgoingMessage.objects.filter(pk=row.pk).update(
        status=OutgoingStatus.SENT,
        sent_at=now,
        next_attempt_at=None,
        provider_id=str(provider_id)[:100],
        **_wiped(row, sent=True),
    )
    log_action(
        None,
        "message.sent",
        row,
        {"kind": row.kind, "to": row.to_address, "attempt": row.attempts, "about": _about(row)},
        scheme=row.scheme,
        actor_label="Linkwell",
    )
    after = _for_kind(_ON_SENT, row.kind)
    if after is not None:
        after(row)
    return OutgoingStatus.SENT


def _cancel(row: OutgoingMessage, why: str, *, by) -> str:
    OutgoingMessage.objects.filter(pk=row.pk).update(
        status=OutgoingStatus.CANCELLED,
        last_error=why[:500],
        next_attempt_at=None,
        **_wiped(row, sent=True),
    )
    log_action(
        by,
        "message.cancelled",
        row,
        {"kind": row.kind, "to": row.to_address, "why": why[:300], "about": _about(row)},
        scheme=row.scheme,
        actor_label="" if getattr(by, "is_authenticated", False) else "Linkwell",
    )
    _not_sent_hook(row, why)
    return OutgoingStatus.CANCELLED


def _about(row: OutgoingMessage) -> str:
    return f"{row.about_type}:{row.about_id}" if row.about_type else ""


def _failed(row: OutgoingMessage, error: Exception, now: datetime) -> str:
    reason = (getattr(error, "message", "") or str(error))[:500]
    delays = settings.NOTIFY_RETRY_DELAYS
    if getattr(error, "temporary", False) and row.attempts <= len(delays):
        retry_at = now + timedelta(seconds=delays[row.attempts - 1])
        OutgoingMessage.objects.filter(pk=row.pk).update(
            status=OutgoingStatus.QUEUED, last_error=reason, next_attempt_at=retry_at
        )
        logger.warning(
            "Message %s not sent (try %s), trying again: %s", row.pk, row.attempts, reason
        )
        schedule_delivery(row.pk, run_after=retry_at)
        return OutgoingStatus.QUEUED
    OutgoingMessage.objects.filter(pk=row.pk).update(
        status=OutgoingStatus.FAILED,
        last_error=reason,
        next_attempt_at=None,
        failed_at=now,
        **_wiped(row, sent=False),
    )
    log_action(
        None,
        "message.not_sent",
        row,
        {"kind": row.kind, "to": row.to_address, "error": reason, "about": _about(row)},
        scheme=row.scheme,
        actor_label="Linkwell",
    )
    logger.warning("Message %s not sent after %s tries: %s", row.pk, row.attempts, reason)
    _not_sent_hook(row, f"the message could not be sent: {reason}")
    return OutgoingStatus.FAILED


def messages_send_due(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Send the messages that are due (their task was lost or never ran), after taking back any
    left "being sent" longer than the lease: tried again if it has tries left, else "not sent"
    (it may have gone: the worker stopped before it could say). Returns how many ended in each
    status; one message's error does not stop the rest."""
    now = now or timezone.now()
    stalled = OutgoingMessage.objects.filter(status=OutgoingStatus.SENDING, next_attempt_at__lt=now)
    for row in stalled.filter(attempts__gt=len(settings.NOTIFY_RETRY_DELAYS)):
        _failed(row, notify.NotifyError("The sender stopped while sending it."), now)
    stalled.update(status=OutgoingStatus.QUEUED)
    due = list(
        OutgoingMessage.objects.filter(status=OutgoingStatus.QUEUED)
        .filter(_due(now))
        .order_by("next_attempt_at", "created_at")
        .values_list("pk", flat=True)[:limit]
    )
    counts: dict[str, int] = {}
    for message_id in due:
        try:
            status = message_deliver(message_id, now=now)
        except Exception:
            logger.exception("Message %s could not be handled", message_id)
            continue
        if status:
            counts[status] = counts.get(status, 0) + 1
    return counts


def messages_forget_failed(*, now: datetime | None = None) -> int:
    """Messages left "not sent" for NOTIFY_FORGET_FAILED_DAYS (nobody tried them again or
    dismissed them) end "not needed": their words, which may name the person, are not kept
    for ever. Audited, one by one. Returns how many."""
    now = now or timezone.now()
    days = settings.NOTIFY_FORGET_FAILED_DAYS
    stale = OutgoingMessage.objects.filter(
        status=OutgoingStatus.FAILED, failed_at__lt=now - timedelta(days=days)
    )
    forgotten = 0
    for row in stale.order_by("failed_at")[:500]:
        _cancel(row, f"Not tried again or dismissed in {days} days: {row.last_error}", by=None)
        forgotten += 1
    return forgotten


def _locked_failed(message: OutgoingMessage, refusal: str) -> OutgoingMessage:
    """The message, locked, if it is still "not sent"; else a clear refusal."""
    row = OutgoingMessage.objects.select_for_update().get(pk=message.pk)
    if row.status != OutgoingStatus.FAILED:
        raise ApplicationError(
            "message_not_failed", f"{refusal} It was sent, or is being sent.", status=409
        )
    return row


def message_retry(*, message: OutgoingMessage, by) -> OutgoingMessage:
    """Send a message that could not be sent again (the caller has checked `by` may see it)."""
    with transaction.atomic():
        row = _locked_failed(message, "This message is not waiting to be tried again.")
        if row.secret:
            raise ApplicationError(
                "message_secret",
                "This message held a private link, which was not kept. Send a new one from "
                "the page it is about.",
                status=409,
            )
        now = timezone.now()
        OutgoingMessage.objects.filter(pk=row.pk).update(
            status=OutgoingStatus.QUEUED, attempts=0, next_attempt_at=now, failed_at=None
        )
        log_action(
            by,
            "message.retried",
            row,
            {"kind": row.kind, "to": row.to_address, "about": _about(row)},
            scheme=row.scheme,
        )
        transaction.on_commit(lambda: schedule_delivery(row.pk))
    row.refresh_from_db()
    return row


def message_dismiss(*, message: OutgoingMessage, by) -> OutgoingMessage:
    """Take a message that could not be sent off the list (the person was told another way, or
    the address is wrong for good). Its words are not kept. Audited."""
    with transaction.atomic():
        row = _locked_failed(message, "Only a message that could not be sent can be dismissed.")
        _cancel(row, f"Dismissed: {row.last_error}", by=by)
    row.refresh_from_db()
    return row


def messages_replaced(*, about, by, kinds: tuple[str, ...]) -> int:
    """Messages about `about` of these kinds that could not be sent are replaced by a new one:
    they leave the "not sent" list. Returns how many."""
    rows = OutgoingMessage.objects.filter(
        about_type=about._meta.label_lower,
        about_id=str(about.pk),
        kind__in=kinds,
        status=OutgoingStatus.FAILED,
    )
    for row in rows:
        _cancel(row, "Sent again.", by=by)
    return len(rows)


def messages_hand_over(*, abouts, previous, to, by, record) -> int:
    """A record changes hands (a case given to another link worker): the messages about it that
    have not ended (waiting, being sent, or not sent) and were sent for `previous` are now
    `to`'s, so a failure reaches whoever holds the record. `abouts` is an iterable of
    (model label, ids). Audited on `record`; returns how many."""
    if previous is None or previous.pk == to.pk:
        return 0
    about = Q(pk__in=[])
    for label, ids in abouts:
        about |= Q(about_type=label, about_id__in=[str(i) for i in ids])
    rows = OutgoingMessage.objects.filter(
        about,
        sender_id=previous.pk,
        status__in=[OutgoingStatus.QUEUED, OutgoingStatus.SENDING, OutgoingStatus.FAILED],
    )
    moved = [str(pk) for pk in rows.values_list("pk", flat=True)]
    if moved:
        OutgoingMessage.objects.filter(pk__in=moved).update(sender_id=to.pk)
        log_action(
            by,
            "message.handed_over",
            record,
            {"from": previous.email, "to": to.email, "messages": moved},
        )
    return len(moved)
