"""Nobody is left waiting silently (`manage.py send_referral_nudges`, run each morning).

1. A referral sent to a service that has not answered after the scheme's number of working days
   (default 5) gets one reminder to the service's referral address. The connection records when,
   so a second run does not remind again.
2. A referral still unanswered after the scheme's number of days (default 14) expires, and its
   link worker is told by email, with a link to find another service for the person. The email
   names nobody: the name is behind the sign-in.
Nudges go through the outbox (`linkwell.notify.outbox`): sent in the background and retried; one
that cannot be delivered is shown to the case's link worker. Every nudge is audited.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from linkwell import notify
from linkwell.connections.messages import queue_about
from linkwell.connections.models import Connection
from linkwell.connections.services import connection_move, rules_for
from linkwell.connections.states import Kind, Status
from linkwell.core.audit import ACTIONS, log_action

logger = logging.getLogger("linkwell.connections")
PROVIDER_INBOX = "provider_inbox:inbox"  # where a provider answers referrals

ACTIONS.update(
    {
        "connection.provider_reminded": "Reminded a service of a referral it has not answered",
        "connection.provider_not_reminded": "Could not remind a service of a referral",
        "connection.expired": "A referral had no answer in time and expired",
        "connection.worker_told": "Told a link worker a referral expired",
    }
)


def working_days_between(start: date, end: date) -> int:
    """Monday-to-Friday days after `start` up to and including `end`."""
    days = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days += 1
    return days


def provider_address(connection: Connection) -> str:
    service = connection.service
    return service.referral_email or service.email or service.organization.email


@dataclass
class NudgeReport:
    reminded: int = 0
    not_reminded: int = 0
    expired: int = 0
    told: int = 0

    def summary(self) -> str:
        return (
            f"Queued reminders to {self.reminded} services ({self.not_reminded} could not be "
            f"reminded); {self.expired} referrals expired, {self.told} link workers told."
        )


def _reminder(connection: Connection, to: str) -> notify.Message:
    sent = timezone.localtime(connection.sent_at).date()
    inbox = settings.LINKWELL_BASE_URL + reverse(PROVIDER_INBOX)
    return notify.Message(
        to_email=to,
        subject=f"A referral to {connection.service.name} is waiting for your answer",
        body=(
            f"A social prescribing referral to {connection.service.name} was sent on "
            f"{sent:%A} {sent.day} {sent:%B} and has not been answered yet. Please accept or "
            f"decline it: {inbox}\n\nIf nobody answers, the referral will expire and the person "
            "will be offered another service."
        ),
        reference=f"connection-reminder-{connection.pk}",
        kind="connection.provider_reminder",
        personalisation={
            "service": connection.service.name,
            "sent_on": f"{sent:%A} {sent.day} {sent:%B}",
            "link": inbox,
        },
    )


def _expired_notice(connection: Connection, days: int) -> notify.Message:
    link = settings.LINKWELL_BASE_URL + reverse("matching:find_support", args=[connection.case_id])
    return notify.Message(
        to_email=connection.case.worker.email,
        subject=f"A referral to {connection.service.name} had no answer",
        body=(
            f"The referral you sent to {connection.service.name} had no answer in {days} days "
            f"and has expired. Find another service with the person: {link}"
        ),
        reference=f"connection-expired-{connection.pk}",
        kind="connection.expired",
        personalisation={"service": connection.service.name, "days": str(days), "link": link},
    )


def nudges_run(*, now: datetime | None = None, dry_run: bool = False) -> NudgeReport:
    """Remind services that have not answered, and expire referrals nobody answered."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    report = NudgeReport()
    waiting = (
        Connection.objects.filter(kind=Kind.REFERRAL, status=Status.SENT)
        .select_related("service__organization", "case__worker", "case__scheme")
        .order_by("sent_at", "id")
    )
    rules_by_scheme: dict = {}
    for connection in waiting.iterator(chunk_size=500):
        rules = rules_by_scheme.get(connection.scheme_id)
        if rules is None:
            rules = rules_by_scheme[connection.scheme_id] = rules_for(connection.case.scheme)
        sent = timezone.localtime(connection.sent_at).date()
        if (today - sent).days >= rules.expire_after_days:
            _expire(connection, rules.expire_after_days, now, report, dry_run)
        elif (
            connection.reminded_at is None
            and working_days_between(sent, today) >= rules.remind_after_working_days
        ):
            _remind(connection, now, report, dry_run)
    return report


def _remind(connection: Connection, now, report: NudgeReport, dry_run: bool) -> None:
    to = provider_address(connection)
    if not to:
        report.not_reminded += 1
        if not dry_run:
            log_action(
                None,
                "connection.provider_not_reminded",
                connection,
                {"reason": "the service has no email address"},
                actor_label="Linkwell",
            )
        return
    if dry_run:
        report.reminded += 1
        return
    with transaction.atomic():
        # Sent for the case's link worker: they see it if it cannot be delivered.
        queue_about(connection, _reminder(connection, to), sender=connection.case.worker)
        Connection.objects.filter(pk=connection.pk).update(reminded_at=now)
    report.reminded += 1
    log_action(None, "connection.provider_reminded", connection, actor_label="Linkwell")


def _worker_to_tell(connection: Connection):
    worker = connection.case.worker
    return worker if worker is not None and worker.email else None


def _expire(connection: Connection, days: int, now, report: NudgeReport, dry_run: bool) -> None:
    report.expired += 1
    if dry_run:
        report.told += _worker_to_tell(connection) is not None
        return
    with transaction.atomic():
        _expire_now(connection, days, now, report)


def _expire_now(connection: Connection, days: int, now, report: NudgeReport) -> None:
    connection_move(
        connection=connection,
        to=Status.EXPIRED,
        by_label="Linkwell",
        note=f"No answer in {days} days.",
        expected=Status.SENT,
        at=now,
    )
    log_action(None, "connection.expired", connection, {"days": days}, actor_label="Linkwell")
    worker = _worker_to_tell(connection)
    if worker is None:
        return
    queue_about(connection, _expired_notice(connection, days), sender=worker)
    report.told += 1
    log_action(None, "connection.worker_told", connection, actor_label="Linkwell")
