"""Reads of referrals: scoped to the acting membership, with what each page needs fetched in a
fixed number of queries whatever the number of referrals."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone

from linkwell.core.audit import log_action
from linkwell.core.models import Membership, Role, Scheme, User
from linkwell.core.permissions import Perm, can, require, role_can
from linkwell.directory.models import TaxonomyTerm
from linkwell.people.models import Consent, ConsentScope
from linkwell.referrals import states
from linkwell.referrals.models import ContactAttempt, ContactOutcome, Referral, Urgency
from linkwell.referrals.states import Status

FAILED_OUTCOMES = [
    ContactOutcome.NO_ANSWER,
    ContactOutcome.VOICEMAIL,
    ContactOutcome.WRONG_NUMBER,
    ContactOutcome.MESSAGE_SENT,
]
_URGENCY_ORDER = {Urgency.URGENT: 0, Urgency.SOON: 1, Urgency.ROUTINE: 2}


def site_limited(membership: Membership, qs: QuerySet, *, own: Q | None = None) -> QuerySet:
    """A member limited to some sites sees those sites' records and those with no site, and
    (with `own`) always the ones given to them, wherever they are."""
    site_ids = [s.pk for s in membership.sites.all()]
    if site_ids:
        allowed = Q(site_id__in=site_ids) | Q(site__isnull=True)
        qs = qs.filter(allowed | own if own is not None else allowed)
    return qs


def referrals_for(membership: Membership) -> QuerySet[Referral]:
    """Every referral this member may see: a referrer, only those they sent."""
    require(membership, Perm.PERSON_DATA)
    qs = Referral.objects.filter(scheme_id=membership.scheme_id)
    if membership.role == Role.REFERRER:
        return qs.filter(referred_by_id=membership.user_id)
    if not can(membership, Perm.REFERRAL_TRIAGE):
        return qs.none()
    return site_limited(membership, qs, own=Q(assigned_to_id=membership.user_id))


def _with_list_data(qs: QuerySet[Referral], scheme: Scheme) -> QuerySet[Referral]:
    window_start = timezone.now() - timedelta(days=scheme.contact_attempts_days)
    return (
        qs.select_related("person", "site", "assigned_to")
        .prefetch_related(Prefetch("reasons", queryset=TaxonomyTerm.objects.only("id", "name")))
        .annotate(
            attempt_count=Count("attempts", distinct=True),
            failed_recent=Count(
                "attempts",
                filter=Q(attempts__outcome__in=FAILED_OUTCOMES, attempts__at__gte=window_start),
                distinct=True,
            ),
            last_attempt_at=Max("attempts__at"),
        )
    )


def triage_queue(*, membership: Membership, site_id=None, urgency: str = "") -> QuerySet:
    """New referrals nobody has picked up: most urgent first, then oldest."""
    require(membership, Perm.REFERRAL_TRIAGE)
    qs = referrals_for(membership).filter(status__in=states.FOR_TRIAGE, assigned_to__isnull=True)
    if site_id:
        qs = qs.filter(site_id=site_id)
    if urgency:
        qs = qs.filter(urgency=urgency)
    return _with_list_data(qs, membership.scheme).order_by(_urgency_rank(), "received_at", "id")


def _urgency_rank():
    from django.db.models import Case, IntegerField, Value, When

    return Case(
        *[When(urgency=u, then=Value(rank)) for u, rank in _URGENCY_ORDER.items()],
        default=Value(3),
        output_field=IntegerField(),
    ).asc()


def waiting_list(
    *,
    membership: Membership,
    worker_id=None,
    site_id=None,
    suggested_only: bool = False,
    contacted: bool = False,
) -> QuerySet:
    """Referrals assigned and waiting for first contact (and those where contact failed); or,
    with `contacted`, those reached and waiting to be accepted (a case opened) or declined."""
    require(membership, Perm.REFERRAL_TRIAGE)
    statuses = [Status.CONTACTED] if contacted else [Status.TRIAGED, Status.WAITING]
    qs = referrals_for(membership).filter(status__in=statuses, assigned_to__isnull=False)
    if worker_id:
        qs = qs.filter(assigned_to_id=worker_id)
    if site_id:
        qs = qs.filter(site_id=site_id)
    qs = _with_list_data(qs, membership.scheme)
    if suggested_only:
        qs = qs.filter(failed_recent__gte=membership.scheme.contact_attempts_limit)
    return qs.order_by(_urgency_rank(), "received_at", "id")


def suggest_unable_to_contact(referral: Referral, scheme: Scheme) -> bool:
    """Enough failed tries within the scheme's window: suggest 'unable to contact'."""
    failed = getattr(referral, "failed_recent", None)
    if failed is None:
        failed = referral.attempts.filter(
            outcome__in=FAILED_OUTCOMES,
            at__gte=timezone.now() - timedelta(days=scheme.contact_attempts_days),
        ).count()
    return referral.status in states.NOT_YET_CONTACTED and failed >= scheme.contact_attempts_limit


@dataclass(frozen=True)
class WorkerLoad:
    user: User
    waiting: int
    contacted: int

    @property
    def open(self) -> int:
        return self.waiting + self.contacted


def worker_loads(*, scheme: Scheme) -> list[WorkerLoad]:
    """Each link worker (and manager who carries cases) with their open referrals: one query."""
    roles = [r for r in Role if role_can(r, Perm.CASELOAD)]
    users = (
        User.objects.filter(
            memberships__scheme=scheme,
            memberships__is_active=True,
            memberships__role__in=roles,
        )
        .annotate(
            waiting=Count(
                "assigned_referrals",
                filter=Q(
                    assigned_referrals__scheme=scheme,
                    assigned_referrals__status__in=states.NOT_YET_CONTACTED,
                ),
            ),
            contacted=Count(
                "assigned_referrals",
                filter=Q(
                    assigned_referrals__scheme=scheme,
                    assigned_referrals__status=Status.CONTACTED,
                ),
            ),
        )
        .order_by("full_name")
    )
    return [WorkerLoad(user=u, waiting=u.waiting, contacted=u.contacted) for u in users]


def referral_detail(*, membership: Membership, referral_id) -> Referral:
    """One referral with everything its page shows; the read is audited."""
    referral = get_object_or_404(
        referrals_for(membership).select_related(
            "person__household", "site", "assigned_to", "referred_by", "scheme"
        ),
        pk=referral_id,
    )
    log_action(membership.user, "referral.viewed", referral)
    return referral


def possible_duplicates(referral: Referral) -> list:
    """People of the scheme who may be the referral's person (by the NHS number given with it
    too, when that was set aside), for staff to merge or keep apart."""
    from linkwell.people.selectors import likely_matches

    person = referral.person
    return [
        match
        for match in likely_matches(
            scheme=referral.scheme,
            nhs_number=person.nhs_number or referral.nhs_number_given,
            given_name=person.given_name,
            family_name=person.family_name,
            date_of_birth=person.date_of_birth,
            phone=person.phone,
        )
        if match.person.pk != person.pk
    ]


def referral_history(referral: Referral):
    return referral.events.select_related("by").order_by("-at", "-id")


def referral_attempts(referral: Referral):
    return ContactAttempt.objects.filter(referral=referral).select_related("by").order_by("-at")


def sent_by(*, membership: Membership) -> QuerySet[Referral]:
    """A referrer's own referrals and where each has got to: nothing else of the person."""
    require(membership, Perm.REFERRALS_OWN)
    shared = Consent.objects.filter(
        person_id=OuterRef("person_id"),
        scope=ConsentScope.SHARE_REFERRER,
        withdrawn_at__isnull=True,
    )
    return (
        Referral.objects.filter(scheme_id=membership.scheme_id, referred_by_id=membership.user_id)
        .select_related("person")
        .annotate(shared=Exists(shared))
        .only(
            "id",
            "received_at",
            "status",
            "status_changed_at",
            "status_reason",
            "snomed_code",
            "person__given_name",
            "person__family_name",
            "person__date_of_birth",
        )
        .order_by("-received_at")
    )


# --- Waiting-time figures for the manager's dashboard ----------------------------------------

_DAY = 86400


@dataclass(frozen=True)
class WaitingFigures:
    label: str
    waiting: int
    oldest_waiting_days: int | None
    median_days: float | None
    p90_days: float | None
    contacted: int


def waiting_figures(*, membership: Membership, days: int = 365) -> list[WaitingFigures]:
    """Referrals waiting, median and 90th-percentile days from received to first contact
    (referrals received in the last `days`), oldest waiting: for the scheme and by site.
    Three queries, whatever the number of sites or referrals; the waits of the period are
    read once, as (site, wait) pairs, and ranked here."""
    require(membership, Perm.REPORTS_VIEW)
    scheme = membership.scheme
    now = timezone.now()
    since = now - timedelta(days=days)
    # A member limited to some sites sees those sites' figures (and referrals with no site).
    base = site_limited(membership, Referral.objects.filter(scheme=scheme))
    limited_to = {s.pk for s in membership.sites.all()}
    waiting_by_site = {
        row["site_id"]: row
        for row in base.filter(status__in=states.NOT_YET_CONTACTED)
        .values("site_id")
        .annotate(n=Count("id"), oldest=Min("received_at"))
        .order_by()
    }
    waits: dict = {None: []}
    for site_id, wait in (
        base.filter(received_at__gte=since, first_contact_at__isnull=False)
        .annotate(
            wait=ExpressionWrapper(
                F("first_contact_at") - F("received_at"), output_field=DurationField()
            )
        )
        .order_by("wait")
        .values_list("site_id", "wait")
    ):
        days_waited = wait.total_seconds() / _DAY
        waits[None].append(days_waited)
        waits.setdefault(site_id, []).append(days_waited)
    groups = [("All sites" if not limited_to else "Your sites", None)] + [
        (site.name, site.pk)
        for site in scheme.sites.all()
        if not limited_to or site.pk in limited_to
    ]
    figures = []
    for label, site_id in groups:
        if site_id is None:
            waiting = sum(r["n"] for r in waiting_by_site.values())
            oldest = min((r["oldest"] for r in waiting_by_site.values()), default=None)
        else:
            row = waiting_by_site.get(site_id, {"n": 0, "oldest": None})
            waiting, oldest = row["n"], row["oldest"]
        ordered = waits.get(site_id, [])
        figures.append(
            WaitingFigures(
                label=label,
                waiting=waiting,
                oldest_waiting_days=(now - oldest).days if oldest else None,
                median_days=_rank(ordered, 0.5),
                p90_days=_rank(ordered, 0.9),
                contacted=len(ordered),
            )
        )
    return figures


def _rank(ordered: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile of values already in order."""
    if not ordered:
        return None
    rank = min(len(ordered), max(1, math.ceil(len(ordered) * fraction)))
    return round(ordered[rank - 1], 1)


def dashboard_referrals(*, membership: Membership) -> dict:
    """The referral figures a role's dashboard shows, in a fixed number of queries."""
    data: dict = {}
    if membership.role == Role.REFERRER:
        data["sent"] = list(sent_by(membership=membership)[:5])
        return data
    if can(membership, Perm.REFERRAL_TRIAGE):
        visible = referrals_for(membership)
        counts = visible.aggregate(
            triage=Count("id", filter=Q(status__in=states.FOR_TRIAGE, assigned_to__isnull=True)),
            mine_waiting=Count(
                "id",
                filter=Q(
                    status__in=[Status.TRIAGED, Status.WAITING],
                    assigned_to_id=membership.user_id,
                ),
            ),
        )
        data.update(counts)
    if can(membership, Perm.REPORTS_VIEW) and can(membership, Perm.PERSON_DATA):
        data["waiting_figures"] = waiting_figures(membership=membership)
    return data
