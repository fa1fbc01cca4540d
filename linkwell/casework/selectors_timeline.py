"""The case record's timeline: everything that happened on a case, newest first, a page at a time.

Each kind of thing (referral events, contacts, notes, goals, ...) is a `Source`: one query that
returns its newest entries before a cursor, at most one page and one more. The sources' entries
are merged in Python and the newest page kept, so a page costs one query per source however long
the history is. Later parts of the service (connections, questionnaires) add their own `Source`
to `SOURCES`, with a template `casework/partials/timeline_entry_<kind>.html` for its entries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce

from linkwell.casework.models import (
    Assessment,
    Case,
    CaseAssignment,
    CaseEvent,
    Contact,
    FollowUp,
    Goal,
    GoalProgress,
    Need,
    PlanSupport,
)
from linkwell.casework.selectors import notes_visible
from linkwell.casework.states import CaseStatus, FollowUpStatus
from linkwell.connections.models import ConnectionEvent
from linkwell.connections.states import Kind as ConnectionKind
from linkwell.connections.states import Status as ConnectionStatus
from linkwell.core.models import Membership
from linkwell.referrals.models import ContactAttempt, ReferralEvent
from linkwell.referrals.states import Status as ReferralStatus

PAGE_SIZE = 30


@dataclass(frozen=True)
class Entry:
    """One thing on the timeline. `kind` names the template that shows it."""

    at: datetime
    kind: str
    title: str
    obj: Any
    by: Any = None
    safeguarding: bool = False

    @property
    def template(self) -> str:
        return f"casework/partials/timeline_entry_{self.kind}.html"

    @property
    def anchor(self) -> str:
        return f"{self.kind}-{self.obj.pk}"


@dataclass(frozen=True)
class Source:
    """Where entries of one kind come from: `fetch(case, membership, before, limit)` runs ONE
    query and returns at most `limit` entries older than `before` (all, when None), newest
    first."""

    kind: str
    fetch: Callable[[Case, Membership, datetime | None, int], list[Entry]]


@dataclass
class TimelinePage:
    entries: list[Entry]
    older_than: datetime | None = None  # the cursor for the next page; None when this is the last
    before: datetime | None = None  # the cursor this page was read with
    sources: list[str] = field(default_factory=list)

    @property
    def has_older(self) -> bool:
        return self.older_than is not None


def _before(qs, field_name: str, before: datetime | None):
    return qs.filter(**{f"{field_name}__lt": before}) if before is not None else qs


# --- The sources -------------------------------------------------------------------------------


def _referral_events(case, membership, before, limit):
    if not case.referral_id:
        return []
    qs = ReferralEvent.objects.filter(referral_id=case.referral_id).select_related("by")
    qs = _before(qs, "at", before).order_by("-at", "-id")[:limit]
    return [
        Entry(
            at=e.at,
            kind="referral_event",
            title=(
                "Referral received"
                if e.to_status == ReferralStatus.RECEIVED
                else f"Referral: {ReferralStatus(e.to_status).label.lower()}"
            ),
            obj=e,
            by=e.by,
        )
        for e in qs
    ]


def _contact_attempts(case, membership, before, limit):
    if not case.referral_id:
        return []
    qs = ContactAttempt.objects.filter(referral_id=case.referral_id).select_related("by")
    qs = _before(qs, "at", before).order_by("-at", "-id")[:limit]
    return [
        Entry(
            at=a.at,
            kind="contact_attempt",
            title=f"Tried to make first contact: {a.get_outcome_display().lower()}",
            obj=a,
            by=a.by,
        )
        for a in qs
    ]


def _case_event_title(e: CaseEvent) -> str:
    to = CaseStatus(e.to_status)
    if to == CaseStatus.OPEN:
        return "Case opened"
    if to == CaseStatus.ACTIVE:
        if e.from_status == CaseStatus.PAUSED:
            return "Case resumed"
        if e.from_status == CaseStatus.CLOSED:
            return "Case reopened"
        if e.from_status == CaseStatus.CLOSING:
            return "Case back to active: no longer closing"
        return "Case active"
    if to == CaseStatus.PAUSED:
        return "Case paused"
    if to == CaseStatus.CLOSING:
        return "Case closing"
    return "Case closed"


def _case_events(case, membership, before, limit):
    qs = CaseEvent.objects.filter(case=case).select_related("by")
    qs = _before(qs, "at", before).order_by("-at", "-id")[:limit]
    return [
        Entry(at=e.at, kind="case_event", title=_case_event_title(e), obj=e, by=e.by) for e in qs
    ]


def _assignments(case, membership, before, limit):
    qs = CaseAssignment.objects.filter(case=case).select_related("worker", "previous_worker", "by")
    qs = _before(qs, "at", before).order_by("-at", "-id")[:limit]
    entries = []
    for a in qs:
        name = a.worker.full_name if a.worker else "a link worker who has left"
        title = f"Given to {name}" if a.previous_worker_id else f"Held by {name}"
        entries.append(Entry(at=a.at, kind="assignment", title=title, obj=a, by=a.by))
    return entries


def _contacts(case, membership, before, limit):
    qs = Contact.objects.filter(case=case).select_related("by")
    qs = _before(qs, "at", before).order_by("-at", "-created_at")[:limit]
    return [
        Entry(
            at=c.at,
            kind="contact",
            title=f"Contact: {c.get_method_display().lower()}"
            + (f", {c.duration_minutes} minutes" if c.duration_minutes is not None else ""),
            obj=c,
            by=c.by,
        )
        for c in qs
    ]


def _notes(case, membership, before, limit):
    qs = notes_visible(membership=membership, case=case)
    qs = _before(qs, "at", before).order_by("-at")[:limit]
    return [
        Entry(
            at=n.at,
            kind="note",
            title="Safeguarding note" if n.is_safeguarding else "Note",
            obj=n,
            by=n.by,
            safeguarding=n.is_safeguarding,
        )
        for n in qs
    ]


def _needs(case, membership, before, limit):
    qs = Need.objects.filter(case=case).select_related("area", "by")
    qs = _before(qs, "recorded_at", before).order_by("-recorded_at")[:limit]
    return [
        Entry(
            at=n.recorded_at,
            kind="need",
            title=f"Need: {n.area.name}, {n.get_severity_display().lower()}",
            obj=n,
            by=n.by,
        )
        for n in qs
    ]


def _goals(case, membership, before, limit):
    qs = Goal.objects.filter(case=case).select_related("by")
    qs = _before(qs, "created_at", before).order_by("-created_at")[:limit]
    return [Entry(at=g.created_at, kind="goal", title="Goal added", obj=g, by=g.by) for g in qs]


def _goal_progress(case, membership, before, limit):
    # A goal's first score is made with the goal ("Goal added"): only later ones are shown.
    earlier = GoalProgress.objects.filter(goal_id=OuterRef("goal_id"), id__lt=OuterRef("id"))
    qs = (
        GoalProgress.objects.filter(goal__case=case)
        .filter(Exists(earlier))
        .select_related("goal", "by")
    )
    qs = _before(qs, "at", before).order_by("-at", "-id")[:limit]
    return [
        Entry(
            at=p.at,
            kind="goal_progress",
            title=f"Goal progress: {p.progress} out of 10, {p.get_status_display().lower()}",
            obj=p,
            by=p.by,
        )
        for p in qs
    ]


def _supports(case, membership, before, limit):
    qs = PlanSupport.objects.filter(case=case).select_related("service", "by")
    qs = _before(qs, "decided_at", before).order_by("-decided_at")[:limit]
    return [
        Entry(
            at=s.decided_at,
            kind="support",
            title=f"Support {s.get_decision_display().lower()}: {s.label}",
            obj=s,
            by=s.by,
        )
        for s in qs
    ]


def _followups(case, membership, before, limit):
    qs = FollowUp.objects.filter(
        case=case,
        status__in=[FollowUpStatus.DONE, FollowUpStatus.MISSED, FollowUpStatus.CANCELLED],
    ).select_related("completed_by")
    qs = _before(qs, "completed_at", before).order_by("-completed_at")[:limit]
    return [
        Entry(
            at=f.completed_at,
            kind="followup",
            title=f"Follow-up {f.get_status_display().lower()}: {f.get_kind_display().lower()}",
            obj=f,
            by=f.completed_by,
        )
        for f in qs
    ]


def _assessments(case, membership, before, limit):
    qs = (
        Assessment.objects.filter(case=case)
        .annotate(when=Coalesce("completed_at", "started_at"))
        .select_related("by")
    )
    qs = _before(qs, "when", before).order_by("-when")[:limit]
    return [
        Entry(
            at=a.when,
            kind="assessment",
            title=(
                "What-matters conversation"
                if a.completed_at
                else "What-matters conversation started"
            ),
            obj=a,
            by=a.by,
        )
        for a in qs
    ]


def _connection_title(e: ConnectionEvent) -> str:
    connection = e.connection
    name = connection.service.name
    to = ConnectionStatus(e.to_status)
    if connection.kind == ConnectionKind.SIGNPOST:
        if not e.from_status:
            return f"Signposted to {name}"
        return f"Signpost to {name}: {to.label.lower()}"
    if not e.from_status:
        return f"Referral to {name} proposed"
    if to == ConnectionStatus.SENT:
        return f"Referral sent to {name}"
    return f"Referral to {name}: {to.label.lower()}"


def _connection_events(case, membership, before, limit):
    qs = ConnectionEvent.objects.filter(connection__case=case).select_related(
        "connection__service", "by"
    )
    qs = _before(qs, "at", before).order_by("-at", "-id")[:limit]
    return [
        Entry(at=e.at, kind="connection", title=_connection_title(e), obj=e, by=e.by) for e in qs
    ]


# The timeline's sources, in the order ties are shown. Connections and questionnaires (later
# issues) append theirs here.
SOURCES: list[Source] = [
    Source("referral_event", _referral_events),
    Source("contact_attempt", _contact_attempts),
    Source("case_event", _case_events),
    Source("assignment", _assignments),
    Source("assessment", _assessments),
    Source("need", _needs),
    Source("goal", _goals),
    Source("goal_progress", _goal_progress),
    Source("support", _supports),
    Source("followup", _followups),
    Source("contact", _contacts),
    Source("note", _notes),
    Source("connection", _connection_events),
]


def case_timeline(
    *, membership: Membership, case: Case, before: datetime | None = None, size: int = PAGE_SIZE
) -> TimelinePage:
    """The newest `size` entries older than `before` (the newest of all, when None).

    Entries sharing the time of the page's last entry are kept together on this page, so the
    next page (everything older than that time) never skips one. The caller has already read
    the case through a scoped, audited selector."""
    fetched: list[tuple[datetime, int, int, Entry]] = []
    source_full = False
    for rank, source in enumerate(SOURCES):
        entries = source.fetch(case, membership, before, size + 1)
        source_full = source_full or len(entries) > size
        # Newest first; among equal times, later sources first, then each source's own order.
        fetched.extend((e.at, rank, -i, e) for i, e in enumerate(entries))
    fetched.sort(key=lambda item: item[:3], reverse=True)
    entries = [item[3] for item in fetched]
    page = entries[:size]
    if len(entries) > size:
        last = page[-1].at
        page += [e for e in entries[size:] if e.at == last]
    more = source_full or len(entries) > len(page)
    return TimelinePage(
        entries=page,
        older_than=page[-1].at if more and page else None,
        before=before,
        sources=[s.kind for s in SOURCES],
    )
