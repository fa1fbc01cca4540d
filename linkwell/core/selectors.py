"""Reads for schemes, memberships, the audit log and tokens, scoped to the acting user."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from linkwell.core.models import ApiToken, LogEntry, Membership, Role, Scheme, Site, User
from linkwell.core.permissions import Perm, can, require


def memberships_for_user(user: User) -> QuerySet[Membership]:
    """The user's live memberships, with their schemes and sites."""
    if not user.is_authenticated:
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("scheme")
        .prefetch_related("sites")
        .order_by("scheme__name")
    )


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def active_membership(user: User, scheme_id: str | None) -> Membership | None:
    """The membership for the chosen scheme, else the user's oldest; None when they have none."""
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.filter(user=user, is_active=True).select_related("scheme")
    if scheme_id and _is_uuid(scheme_id):
        chosen = memberships.filter(scheme_id=scheme_id).first()
        if chosen is not None:
            return chosen
    return memberships.order_by("created_at").first()


def scheme_sites(*, membership: Membership) -> QuerySet[Site]:
    return Site.objects.filter(scheme_id=membership.scheme_id).order_by("name")


def team_list(*, membership: Membership, include_ended: bool = False) -> QuerySet[Membership]:
    """Everyone in the acting user's scheme, with users and sites loaded."""
    require(membership, Perm.TEAM_VIEW)
    qs = Membership.objects.filter(scheme_id=membership.scheme_id)
    if not include_ended:
        qs = qs.filter(is_active=True)
    return qs.select_related("user").prefetch_related("sites").order_by("role", "user__full_name")


def team_member_get(*, membership: Membership, member_id) -> Membership:
    """One membership of the acting user's scheme; another scheme's answers 404."""
    require(membership, Perm.TEAM_VIEW)
    return get_object_or_404(
        Membership.objects.select_related("user", "scheme").prefetch_related("sites"),
        pk=member_id,
        scheme_id=membership.scheme_id,
    )


@dataclass(frozen=True)
class AuditFilter:
    person_id: str = ""
    actor_email: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None


def audit_log(*, membership: Membership, filters: AuditFilter | None = None) -> QuerySet[LogEntry]:
    """The audit log of the acting user's scheme, newest first.

    Members' sign-ins are written into each of their schemes' logs (see `log_user_action`), so
    this is one indexed filter on the scheme, however large the log grows.
    """
    require(membership, Perm.AUDIT_VIEW)
    filters = filters or AuditFilter()
    qs = LogEntry.objects.filter(scheme_id=membership.scheme_id)
    if filters.person_id:
        qs = qs.filter(person_id=filters.person_id)
    if filters.actor_email:
        qs = qs.filter(actor_label=filters.actor_email.strip().lower())
    if filters.action:
        qs = qs.filter(action=filters.action)
    tz = timezone.get_current_timezone()
    if filters.date_from:
        qs = qs.filter(created_at__gte=datetime.combine(filters.date_from, time.min, tzinfo=tz))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=tz)
        qs = qs.filter(created_at__lt=end)
    return qs.select_related("actor").order_by("-created_at", "-id")


def api_tokens_for(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at")


def api_token_get(*, user: User, token_id) -> ApiToken:
    """One of the user's own tokens; anyone else's answers 404."""
    return get_object_or_404(ApiToken, pk=token_id, user=user)


@dataclass(frozen=True)
class DashboardData:
    membership: Membership
    team_by_role: list[tuple[str, int]]
    sites: list[Site]
    recent_activity: list[LogEntry]
    member_count: int


def dashboard_for(*, membership: Membership) -> DashboardData:
    """What a role's dashboard shows. A fixed number of queries, whatever the scheme's size."""
    require(membership, Perm.DASHBOARD_VIEW)
    scheme: Scheme = membership.scheme
    team_by_role: list[tuple[str, int]] = []
    sites: list[Site] = []
    recent: list[LogEntry] = []
    member_count = 0
    if can(membership, Perm.TEAM_VIEW):
        counts = dict(
            Membership.objects.filter(scheme=scheme, is_active=True)
            .values_list("role")
            .annotate(n=Count("id"))
            .order_by()
        )
        team_by_role = [(label, counts.get(value, 0)) for value, label in Role.choices]
        member_count = sum(counts.values())
        sites = list(
            Site.objects.filter(scheme=scheme).annotate(
                member_count=Count("memberships", filter=Q(memberships__is_active=True))
            )
        )
    if can(membership, Perm.AUDIT_VIEW):
        recent = list(audit_log(membership=membership)[:8])
    return DashboardData(
        membership=membership,
        team_by_role=team_by_role,
        sites=sites,
        recent_activity=recent,
        member_count=member_count,
    )
