"""Reads of the waiting-room library: the managers' list, one resource, and what a person's
waiting room shows."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from linkwell.core.models import Membership, Scheme
from linkwell.core.permissions import Perm, require
from linkwell.directory.models import TaxonomyTerm
from linkwell.resources.models import Resource

# How many resources a waiting room shows: enough to choose from, few enough to read on a phone.
WAITING_ROOM_LIMIT = 8


def _with_terms(resources: QuerySet[Resource]) -> QuerySet[Resource]:
    return resources.prefetch_related(
        Prefetch("need_areas", queryset=TaxonomyTerm.objects.order_by("name"))
    )


def resources_for(
    *,
    membership: Membership,
    need: str | None = None,
    format: str | None = None,
    due_for_review: bool = False,
    retired: bool = False,
) -> QuerySet[Resource]:
    """The scheme's library, filtered; retired resources only when asked for."""
    require(membership, Perm.RESOURCES_MANAGE)
    resources = Resource.objects.filter(scheme=membership.scheme, is_active=not retired)
    if need:
        resources = resources.filter(need_areas=need)
    if format:
        resources = resources.filter(format=format)
    if due_for_review:
        resources = resources.filter(review_date__lte=timezone.localdate())
    return _with_terms(resources.order_by("title", "pk"))


def resource_get(*, membership: Membership, resource_id) -> Resource:
    """One resource of the membership's scheme; another scheme's answers 404."""
    require(membership, Perm.RESOURCES_MANAGE)
    return get_object_or_404(
        _with_terms(Resource.objects.all()), pk=resource_id, scheme=membership.scheme
    )


def resources_for_need_areas(
    *, scheme: Scheme, need_area_ids, limit: int = WAITING_ROOM_LIMIT
) -> tuple[list[Resource], bool]:
    """What a person's waiting room shows: the scheme's active resources that share a need
    area with the referral's reasons, those matching most reasons first; when none match, the
    resources meant for everyone (those with no need area). Returns (resources, matched)."""
    need_area_ids = list(need_area_ids)
    active = Resource.objects.filter(scheme=scheme, is_active=True)
    if need_area_ids:
        matched = list(
            _with_terms(
                active.filter(need_areas__in=need_area_ids)
                .annotate(overlap=Count("need_areas", filter=Q(need_areas__in=need_area_ids)))
                .order_by("-overlap", "title", "pk")
            )[:limit]
        )
        if matched:
            return matched, True
    general = list(_with_terms(active.filter(need_areas__isnull=True).order_by("title"))[:limit])
    return general, False


def resource_for_waiting_room(*, scheme: Scheme, resource_id) -> Resource | None:
    """A resource a waiting room may hand out: the scheme's, active, with a file."""
    return (
        Resource.objects.filter(scheme=scheme, is_active=True, pk=resource_id)
        .exclude(file="")
        .first()
    )
