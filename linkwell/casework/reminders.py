"""The daily follow-up reminders (`manage.py send_followup_reminders`, run from cron each morning).

1. Each link worker with follow-ups due today or overdue gets one digest email: how many, and
   a link to their list. It names nobody: the names are behind the sign-in.
2. Each person with an appointment tomorrow, whose link worker asked for a reminder, gets a short
   text message or email, but only by a route their consent to be contacted allows at the moment
   of sending. The follow-up records when it was queued, so a second run does not send it again.
Both go through the outbox (`linkwell.notify.outbox`): sent in the background, retried when
Notify is down, consent checked again just before each try, and one that cannot be sent is
shown to its link worker. Every reminder sent or not sent is audited with the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from linkwell import notify
from linkwell.casework.models import FollowUp
from linkwell.casework.states import CaseStatus, FollowUpKind, FollowUpStatus
from linkwell.core.audit import log_action
from linkwell.core.models import Membership
from linkwell.notify.outbox import message_queue, register_kind
from linkwell.people.models import ConsentScope, Person
from linkwell.people.selectors import has_consent, message_route

logger = logging.getLogger("linkwell.casework")


# --- How to reach the person -------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    channel: str = ""
    to: str = ""
    why_not: str = ""

    def __bool__(self) -> bool:
        return bool(self.channel)


def reminder_route(person: Person) -> Route:
    """How a reminder can reach the person now: their preferred way first, then the other, each
    needing an address and their consent to be contacted that way."""
    if not has_consent(person, ConsentScope.CONTACT):
        return Route(why_not="no consent to be contacted")
    found = message_route(person)
    return Route(channel=found.channel, to=found.to, why_not="; ".join(found.reasons))


# --- Wording -----------------------------------------------------------------------------------


def say_day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def say_time(at: time) -> str:
    hour = at.hour % 12 or 12
    suffix = "am" if at.hour < 12 else "pm"
    return f"{hour}{suffix}" if at.minute == 0 else f"{hour}:{at.minute:02d}{suffix}"


def reminder_message(followup: FollowUp, route: Route) -> notify.Message:
    """A short reminder: who with, which day, what time. Nothing about why."""
    person = followup.case.person
    when = say_day(followup.due_on)
    if followup.due_time is not None:
        when += f" at {say_time(followup.due_time)}"
    sentence = f"You have an appointment with {followup.case.scheme.name} on {when}."
    reference = f"followup-reminder-{followup.pk}"
    if route.channel == notify.Channel.SMS:
        return notify.Message(
            to_phone=route.to,
            subject="Appointment reminder",
            body=f"Hello {person.given_name}. {sentence}",
            reference=reference,
            kind="case.appointment_reminder",
            personalisation={"when": when, "scheme": followup.case.scheme.name},
        )
    return notify.Message(
        to_email=route.to,
        subject=f"Appointment reminder: {say_day(followup.due_on)}",
        body="\n\n".join(
            [
                f"Hello {person.given_name},",
                sentence,
                "If you cannot come, please let your link worker know.",
            ]
        ),
        reference=reference,
        kind="case.appointment_reminder",
        personalisation={"when": when, "scheme": followup.case.scheme.name},
    )


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


@dataclass
class Digest:
    """What one worker is told: counts per scheme, nothing more."""

    worker_id: object
    email: str
    name: str
    lines: list[tuple[str, int, int]] = field(default_factory=list)  # scheme, today, overdue

    @property
    def due_today(self) -> int:
        return sum(line[1] for line in self.lines)

    @property
    def overdue(self) -> int:
        return sum(line[2] for line in self.lines)

    def message(self, today: date) -> notify.Message:
        url = f"{settings.LINKWELL_BASE_URL}{reverse('casework:followups')}"
        counts = (
            f"{_plural(self.due_today, 'follow-up', 'follow-ups')} due today and "
            f"{self.overdue} overdue"
        )
        body = [f"Hello {self.name or self.email},", f"You have {counts}."]
        if len(self.lines) > 1:
            body.append(
                "\n".join(
                    f"{name}: {due} due today, {late} overdue" for name, due, late in self.lines
                )
            )
        body += [f"See your list: {url}", "Sign in to see who they are for."]
        return notify.Message(
            to_email=self.email,
            subject=f"Your follow-ups for {say_day(today)}: {counts}",
            body="\n\n".join(body),
            reference=f"followup-digest-{self.worker_id}-{today.isoformat()}",
            kind="case.followup_digest",
            personalisation={
                "due_today": str(self.due_today),
                "overdue": str(self.overdue),
                "link": url,
            },
        )


# --- Finding what to send ----------------------------------------------------------------------


def worker_digests(today: date) -> list[Digest]:
    """One query: per link worker (still active in the case's scheme) and scheme, how many
    follow-ups are due today and how many are overdue."""
    active_member = Membership.objects.filter(
        user_id=OuterRef("worker_id"), scheme_id=OuterRef("case__scheme_id"), is_active=True
    )
    rows = (
        FollowUp.objects.filter(
            status=FollowUpStatus.DUE,
            due_on__lte=today,
            worker__isnull=False,
            worker__is_active=True,
        )
        .exclude(case__status=CaseStatus.CLOSED)
        .filter(Exists(active_member))
        .values("worker_id", "worker__email", "worker__full_name", "case__scheme__name")
        .annotate(
            due_today=Count("pk", filter=Q(due_on=today)),
            overdue=Count("pk", filter=Q(due_on__lt=today)),
        )
        .order_by("worker__email", "case__scheme__name")
    )
    digests: dict[object, Digest] = {}
    for row in rows:
        digest = digests.setdefault(
            row["worker_id"],
            Digest(
                worker_id=row["worker_id"],
                email=row["worker__email"],
                name=row["worker__full_name"],
            ),
        )
        digest.lines.append((row["case__scheme__name"], row["due_today"], row["overdue"]))
    return list(digests.values())


def appointments_to_remind(today: date):
    """Appointments tomorrow with a reminder asked for and not yet sent."""
    return (
        FollowUp.objects.filter(
            kind=FollowUpKind.APPOINTMENT,
            status=FollowUpStatus.DUE,
            due_on=today + timedelta(days=1),
            remind_person=True,
            reminder_sent_at__isnull=True,
        )
        .exclude(case__status=CaseStatus.CLOSED)
        .select_related("case__person", "case__scheme")
        .order_by("due_time", "pk")
    )


# --- Sending -----------------------------------------------------------------------------------


@dataclass
class Summary:
    today: date
    dry_run: bool = False
    digests_sent: int = 0
    digests_failed: int = 0
    reminders_sent: int = 0
    reminders_not_sent: int = 0

    def line(self) -> str:
        verb = "would be sent" if self.dry_run else "queued to send"
        text = (
            f"Follow-ups for {self.today.isoformat()}: "
            f"{_plural(self.digests_sent, 'worker digest', 'worker digests')} {verb}"
        )
        if self.digests_failed:
            text += f" ({self.digests_failed} failed)"
        text += (
            f"; {_plural(self.reminders_sent, 'appointment reminder', 'appointment reminders')} "
            f"{verb}, {self.reminders_not_sent} not sent"
        )
        return text + (" (dry run: nothing was sent or recorded)." if self.dry_run else ".")


def _not_sent(followup: FollowUp, why: str) -> None:
    log_action(
        None,
        "case.reminder_not_sent",
        followup,
        {"why": why[:300], "due_on": followup.due_on.isoformat()},
        actor_label="Linkwell",
    )


def _send_digests(summary: Summary, today: date) -> None:
    for digest in worker_digests(today):
        if summary.dry_run:
            summary.digests_sent += 1
            continue
        try:
            # A digest belongs to no one scheme: its worker sees it if it cannot be sent.
            message_queue(digest.message(today), sender_id=digest.worker_id)
        except ValueError as error:
            summary.digests_failed += 1
            logger.warning("Follow-up digest to %s not sent: %s", digest.email, error)
        else:
            summary.digests_sent += 1


def _send_reminder(summary: Summary, followup: FollowUp) -> None:
    route = reminder_route(followup.case.person)
    if not route:
        summary.reminders_not_sent += 1
        if not summary.dry_run:
            _not_sent(followup, route.why_not)
        return
    if summary.dry_run:
        summary.reminders_sent += 1
        return
    with transaction.atomic():
        # Claim the reminder first, so two runs at once never both queue it.
        claimed = FollowUp.objects.filter(pk=followup.pk, reminder_sent_at__isnull=True).update(
            reminder_sent_at=timezone.now()
        )
        if not claimed:
            return
        case = followup.case
        message_queue(
            reminder_message(followup, route),
            scheme_id=case.scheme_id,
            about=followup,
            link=reverse("casework:detail", args=[case.pk]),
            sender_id=case.worker_id,
        )
    summary.reminders_sent += 1


def reminder_still_wanted(row) -> str:
    """Asked by the outbox before each try: the appointment is still due, and the person's
    consent to be contacted still allows this way (consent at the moment of use)."""
    followup = FollowUp.objects.select_related("case__person").filter(pk=row.about_id).first()
    if followup is None or followup.status != FollowUpStatus.DUE:
        return "the appointment was done or cancelled"
    route = reminder_route(followup.case.person)
    if not route:
        return route.why_not
    if route.channel != row.channel:
        return f"consent to contact no longer allows a {row.get_channel_display().lower()}"
    return ""


def _reminder_sent(row) -> None:
    followup = FollowUp.objects.filter(pk=row.about_id).first()
    if followup is not None:
        log_action(
            None,
            "case.reminder_sent",
            followup,
            {"channel": row.channel, "due_on": followup.due_on.isoformat()},
            actor_label="Linkwell",
        )


def _reminder_not_sent(row, why: str) -> None:
    followup = FollowUp.objects.filter(pk=row.about_id).first()
    if followup is not None:
        FollowUp.objects.filter(pk=followup.pk).update(reminder_sent_at=None)
        _not_sent(followup, why)


register_kind(
    "case.appointment_reminder",
    still_wanted=reminder_still_wanted,
    on_sent=_reminder_sent,
    on_not_sent=_reminder_not_sent,
)


def send_followup_reminders(*, today: date | None = None, dry_run: bool = False) -> Summary:
    """Send today's digests and tomorrow's appointment reminders; returns what happened."""
    today = today or timezone.localdate()
    summary = Summary(today=today, dry_run=dry_run)
    _send_digests(summary, today)
    for followup in appointments_to_remind(today):
        _send_reminder(summary, followup)
    return summary
