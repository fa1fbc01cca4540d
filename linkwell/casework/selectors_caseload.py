"""Reads of caseloads: a link worker's caseload sorted by what is due, and the team's
caseloads for a manager. A fixed number of queries, whatever the size of the caseload, the
team or the database: everything a row shows is annotated onto the case (subqueries on its
follow-ups and contacts), never fetched per case."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from linkwell.casework.models import Case, Contact, FollowUp
from linkwell.casework.selectors import cases_for
from linkwell.casework.states import ON_CASELOAD, CaseStatus, FollowUpKind, FollowUpStatus
from linkwell.connections.models import Connection
from linkwell.connections.states import OPEN as CONNECTION_OPEN
from linkwell.connections.states import Status as ConnectionStatus
from linkwell.core.audit import ACTIONS, log_action
from linkwell.core.models import Membership, Role, User
from linkwell.core.permissions import Perm, require, role_can
from linkwell.referrals.forms import RISK_FLAGS

ACTIONS.update({"case.caseload_viewed": "Viewed a caseload"})

PAGE_SIZE = 50
# A case with no contact for this long is flagged to the worker's manager.
STALE_DAYS = 28
CASELOAD_ROLES = [r for r in Role if role_can(r, Perm.CASELOAD)]


@dataclass(frozen=True)
class CaseloadFilters:
    """What the caseload is narrowed to. Empty values mean no filter."""

    status: str = ""
    site_id: str = ""
    due: str = ""  # "overdue": overdue only; "unscheduled": no follow-up scheduled
    flag: str = ""  # one of the referral's risk flags
    name: str = ""

    def as_data(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass
class CaseloadRow:
    """One case on the caseload, with what the row says about it."""

    case: Case
    today: date

    @property
    def next_due_on(self) -> date | None:
        return self.case.next_due_on

    @property
    def next_action(self) -> str:
        if self.case.next_due_on is None:
            return ""
        if self.case.next_purpose:
            return self.case.next_purpose
        return FollowUpKind(self.case.next_kind).label

    @property
    def overdue(self) -> bool:
        return self.next_due_on is not None and self.next_due_on < self.today

    @property
    def due_today(self) -> bool:
        return self.next_due_on == self.today

    @property
    def last_contact_on(self) -> date | None:
        at = self.case.last_contact_at
        return timezone.localdate(at) if at else None

    @property
    def days_since_contact(self) -> int | None:
        last = self.last_contact_on
        return (self.today - last).days if last else None

    @property
    def referrals_waiting(self) -> int:
        """Referrals sent and waiting for their service's answer."""
        return self.case.referrals_waiting

    @property
    def open_connections(self) -> list[Connection]:
        """The supports offered that are still open (proposed, waiting for an answer, under
        way, or a signpost whose outcome is not known yet), oldest first."""
        return self.case.open_connections

    @property
    def flags(self) -> list[str]:
        referral = self.case.referral
        if referral is None:
            return []
        return [f for f in RISK_FLAGS if getattr(referral, f)]


@dataclass
class CaseloadPage:
    worker: User
    page: Page
    rows: list[CaseloadRow]
    total: int  # every case on the worker's caseload (that this member may see)
    overdue: int  # of those, how many have a follow-up overdue
    matching: int  # how many the filters left
    filters: CaseloadFilters = field(default_factory=CaseloadFilters)


def _due_followups():
    return FollowUp.objects.filter(case=OuterRef("pk"), status=FollowUpStatus.DUE).order_by(
        "due_on", F("due_time").asc(nulls_last=True), "created_at"
    )


def _overdue(today: date):
    return Exists(
        FollowUp.objects.filter(case=OuterRef("pk"), status=FollowUpStatus.DUE, due_on__lt=today)
    )


def _count(qs: QuerySet):
    """How many rows `qs` has, as a subquery (0 when none)."""
    counted = qs.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def caseload_worker(*, membership: Membership, worker_id=None) -> User:
    """Whose caseload to show: the member's own, or (for a manager) a worker of this scheme,
    current or former (a worker who left may still hold cases to hand on). Anyone else is a
    404; a member without CASELOAD_MANAGE may only see their own."""
    require(membership, Perm.CASELOAD)
    if worker_id in (None, "") or str(worker_id) == str(membership.user_id):
        return membership.user
    require(membership, Perm.CASELOAD_MANAGE)
    try:
        worker_id = uuid.UUID(str(worker_id))
    except ValueError as error:
        raise Http404("No such worker in this scheme.") from error
    worker = User.objects.filter(pk=worker_id, memberships__scheme_id=membership.scheme_id).first()
    if worker is None:
        raise Http404("No such worker in this scheme.")
    return worker


def caseload(
    *,
    membership: Membership,
    worker: User,
    filters: CaseloadFilters | None = None,
    today: date | None = None,
) -> QuerySet[Case]:
    """The worker's cases on the caseload (open, active, paused, closing), with the next
    follow-up due (date, kind, purpose) and the last contact annotated; overdue first, then by
    the next due date, then the cases with nothing scheduled, longest without contact first."""
    require(membership, Perm.CASELOAD)
    if worker.pk != membership.user_id:
        require(membership, Perm.CASELOAD_MANAGE)
    filters = filters or CaseloadFilters()
    today = today or timezone.localdate()
    due = _due_followups()
    last_contact = Contact.objects.filter(case=OuterRef("pk")).order_by("-at").values("at")[:1]
    qs = (
        cases_for(membership)
        .filter(worker=worker, status__in=ON_CASELOAD)
        .select_related("person", "referral", "site")
        .annotate(
            next_due_on=Subquery(due.values("due_on")[:1]),
            next_kind=Subquery(due.values("kind")[:1]),
            next_purpose=Subquery(due.values("purpose")[:1]),
            last_contact_at=Subquery(last_contact),
            # Referrals sent and not yet answered by their service.
            referrals_waiting=_count(
                Connection.objects.filter(case=OuterRef("pk"), status=ConnectionStatus.SENT)
            ),
        )
    )
    if filters.status:
        qs = qs.filter(status=CaseStatus(filters.status))
    if filters.site_id:
        qs = qs.filter(site_id=filters.site_id)
    if filters.due == "overdue":
        qs = qs.filter(_overdue(today))
    elif filters.due == "unscheduled":
        qs = qs.filter(next_due_on__isnull=True)
    if filters.flag:
        if filters.flag not in RISK_FLAGS:
            raise ValueError(f"Unknown risk flag: {filters.flag}")
        qs = qs.filter(**{f"referral__{filters.flag}": True})
    for word in filters.name.split():
        qs = qs.filter(
            Q(person__given_name__icontains=word)
            | Q(person__family_name__icontains=word)
            | Q(person__preferred_name__icontains=word)
        )
    return qs.order_by(
        F("next_due_on").asc(nulls_last=True),
        F("last_contact_at").asc(nulls_first=True),
        "opened_at",
        "pk",
    )


def caseload_counts(
    *, membership: Membership, worker: User, today: date | None = None
) -> tuple[int, int]:
    """(cases on the worker's caseload, how many of them have a follow-up overdue): one query."""
    today = today or timezone.localdate()
    counts = (
        cases_for(membership)
        .filter(worker=worker, status__in=ON_CASELOAD)
        .aggregate(total=Count("pk"), overdue=Count("pk", filter=Q(_overdue(today))))
    )
    return counts["total"], counts["overdue"]


def caseload_page(
    *,
    membership: Membership,
    worker: User,
    filters: CaseloadFilters | None = None,
    page_number=None,
    today: date | None = None,
) -> CaseloadPage:
    """One page of the caseload, with its counts. The read is audited (one entry, naming the
    people listed)."""
    filters = filters or CaseloadFilters()
    today = today or timezone.localdate()
    qs = caseload(membership=membership, worker=worker, filters=filters, today=today)
    open_connections = Prefetch(
        "connections",
        queryset=Connection.objects.filter(status__in=CONNECTION_OPEN)
        .select_related("service")
        .order_by("created_at", "id"),
        to_attr="open_connections",
    )
    page = Paginator(qs.prefetch_related(open_connections), PAGE_SIZE).get_page(page_number)
    rows = [CaseloadRow(case=c, today=today) for c in page.object_list]
    total, overdue = caseload_counts(membership=membership, worker=worker, today=today)
    log_action(
        membership.user,
        "case.caseload_viewed",
        None,
        {
            "worker": str(worker.pk),
            "page": page.number,
            "filters": filters.as_data(),
            "people": [str(r.case.person_id) for r in rows],
        },
        scheme=membership.scheme,
    )
    return CaseloadPage(
        worker=worker,
        page=page,
        rows=rows,
        total=total,
        overdue=overdue,
        matching=page.paginator.count,
        filters=filters,
    )


# --- The team's caseloads -------------------------------------------------------------------


@dataclass
class WorkerCaseload:
    user: User
    current: bool  # a link worker of the scheme now (else: left, or changed role)
    cases: int
    overdue_followups: int
    no_recent_contact: int


def team_caseloads(*, membership: Membership, now: datetime | None = None) -> list[WorkerCaseload]:
    """Each link worker of the scheme (and anyone who left or changed role but still holds
    cases here) with their caseload size, overdue follow-ups and cases with no contact in the
    last 28 days: one query, whatever the size of the team."""
    require(membership, Perm.CASELOAD_MANAGE)
    now = now or timezone.now()
    today = timezone.localdate(now)
    cutoff = now - timedelta(days=STALE_DAYS)
    scoped = cases_for(membership).filter(status__in=ON_CASELOAD)
    held = scoped.filter(worker=OuterRef("pk"))
    recent_contact = Contact.objects.filter(case=OuterRef("pk"), at__gte=cutoff)
    users = (
        User.objects.filter(memberships__scheme_id=membership.scheme_id)
        .annotate(
            current=Exists(
                Membership.objects.filter(
                    scheme_id=membership.scheme_id,
                    user=OuterRef("pk"),
                    is_active=True,
                    role__in=CASELOAD_ROLES,
                )
            ),
            caseload=_count(held),
            overdue_followups=_count(
                FollowUp.objects.filter(
                    Exists(scoped.filter(pk=OuterRef("case_id"))),
                    case__worker=OuterRef("pk"),
                    status=FollowUpStatus.DUE,
                    due_on__lt=today,
                )
            ),
            no_recent_contact=_count(
                held.filter(opened_at__lte=cutoff).exclude(Exists(recent_contact))
            ),
        )
        .filter(Q(current=True) | Q(caseload__gt=0))
        .order_by("-current", "full_name", "email")
    )
    return [
        WorkerCaseload(
            user=u,
            current=u.current,
            cases=u.caseload,
            overdue_followups=u.overdue_followups,
            no_recent_contact=u.no_recent_contact,
        )
        for u in users
    ]


def assignable_workers(loads: list[WorkerCaseload]) -> list[WorkerCaseload]:
    """Those who may be given cases: the scheme's link workers now."""
    return [load for load in loads if load.current]


def cases_chosen(*, membership: Membership, case_ids) -> list[Case]:
    """The cases a manager ticked, for a write: every one must be a case this member may see,
    else the whole request is a 404 (nothing is changed)."""
    require(membership, Perm.CASELOAD_MANAGE)
    try:
        wanted = {uuid.UUID(str(value)) for value in case_ids}
    except ValueError as error:
        raise Http404("No such case.") from error
    cases = list(cases_for(membership).filter(pk__in=wanted).select_related("worker", "person"))
    if len(cases) != len(wanted):
        raise Http404("No such case.")
    return cases
