"""Reads of the directory for the HTML pages, scoped to the acting user's scheme and role."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from linkwell.core.models import Membership, Role
from linkwell.core.permissions import Perm, can, require
from linkwell.directory import taxonomy
from linkwell.directory.models import (
    Attribute,
    DirectoryImport,
    Flag,
    Organization,
    Service,
    ServiceAtLocation,
    ServiceStatus,
    TaxonomyTerm,
)

LISTED_STATUSES = [ServiceStatus.ACTIVE, ServiceStatus.TEMPORARILY_CLOSED]


def visible_services(*, membership: Membership) -> QuerySet[Service]:
    """Listings this user may see: the open directory, their scheme's own listings, and (for
    providers) their organisation's."""
    require(membership, Perm.DIRECTORY_VIEW)
    visible = Q(is_public=True, status__in=LISTED_STATUSES) | Q(
        owner_scheme_id=membership.scheme_id
    )
    if can(membership, Perm.DIRECTORY_EDIT_OWN):
        # A subquery, not a join through the staff table: no duplicate rows, so no DISTINCT.
        kept = Organization.staff.through.objects.filter(user_id=membership.user_id)
        visible |= Q(organization_id__in=kept.values("organization_id"))
    return Service.objects.filter(visible)


def service_page(*, membership: Membership, service_id) -> Service:
    """One listing with everything its page shows; a listing the user may not see is 404."""
    qs = (
        visible_services(membership=membership)
        .select_related("organization", "verified_by", "owner_scheme")
        .prefetch_related(
            Prefetch(
                "service_at_locations",
                queryset=ServiceAtLocation.objects.select_related("location").prefetch_related(
                    "location__addresses", "location__accessibility", "location__phones"
                ),
            ),
            "schedules",
            "cost_options",
            "phones",
            "contacts",
            "languages",
            "service_areas",
            Prefetch(
                "flags",
                queryset=Flag.objects.filter(status=Flag.Status.OPEN).select_related("raised_by"),
                to_attr="open_flags",
            ),
        )
    )
    service = get_object_or_404(qs, pk=service_id)
    service.terms = list(
        TaxonomyTerm.objects.filter(
            attributes__link_entity="service", attributes__link_id=service.pk
        ).select_related("taxonomy")
    )
    return service


def terms_by_service(services: list[Service]) -> dict:
    """The taxonomy terms of a page of services, in one query."""
    rows = (
        Attribute.objects.filter(link_entity="service", link_id__in=[s.pk for s in services])
        .select_related("taxonomy_term")
        .order_by("taxonomy_term__name")
    )
    found: dict = {}
    for row in rows:
        found.setdefault(row.link_id, []).append(row.taxonomy_term)
    return found


def is_stale(service: Service, *, days: int) -> bool:
    if service.last_verified_at is None:
        return True
    return service.last_verified_at < timezone.now() - timedelta(days=days)


def freshness_queue(*, membership: Membership) -> QuerySet[Service]:
    """The scheme's listings not verified within its freshness period, oldest first."""
    require(membership, Perm.DIRECTORY_MANAGE)
    cutoff = timezone.now() - timedelta(days=membership.scheme.directory_freshness_days)
    return (
        Service.objects.filter(owner_scheme_id=membership.scheme_id)
        .exclude(status=ServiceStatus.DEFUNCT)
        .filter(Q(last_verified_at__isnull=True) | Q(last_verified_at__lt=cutoff))
        .select_related("organization")
        .annotate(
            open_requests=Count(
                "verification_requests",
                filter=Q(
                    verification_requests__confirmed_at__isnull=True,
                    verification_requests__expires_at__gt=timezone.now(),
                ),
            )
        )
        .order_by("last_verified_at", "name")
    )


def scheme_flags(*, membership: Membership, status: str = Flag.Status.OPEN) -> QuerySet[Flag]:
    """Flags on listings the scheme keeps, or raised by the scheme's people."""
    require(membership, Perm.DIRECTORY_MANAGE)
    return (
        Flag.objects.filter(
            Q(scheme_id=membership.scheme_id) | Q(service__owner_scheme_id=membership.scheme_id),
            status=status,
        )
        .select_related("service__organization", "raised_by")
        .order_by("-created_at")
    )


def scheme_flag_get(*, membership: Membership, flag_id) -> Flag:
    """A flag on one of the scheme's own listings (the only ones its managers may close)."""
    return get_object_or_404(
        scheme_flags(membership=membership).filter(service__owner_scheme_id=membership.scheme_id),
        pk=flag_id,
    )


def provider_services(*, membership: Membership) -> QuerySet[Service]:
    """The listings of the organisations this provider user keeps, with their open flags."""
    require(membership, Perm.DIRECTORY_EDIT_OWN)
    return (
        Service.objects.filter(organization__staff=membership.user_id)
        .select_related("organization")
        .prefetch_related(
            Prefetch(
                "flags", queryset=Flag.objects.filter(status=Flag.Status.OPEN), to_attr="open_flags"
            )
        )
        .order_by("organization__name", "name")
    )


def scheme_imports(*, membership: Membership) -> QuerySet[DirectoryImport]:
    require(membership, Perm.DIRECTORY_MANAGE)
    return DirectoryImport.objects.filter(scheme_id=membership.scheme_id).select_related(
        "started_by"
    )


def scheme_import_get(*, membership: Membership, import_id) -> DirectoryImport:
    return get_object_or_404(scheme_imports(membership=membership), pk=import_id)


def organization_get(*, membership: Membership, organization_id):
    """An organisation with a listing this user may see, or one they keep; else 404."""

    require(membership, Perm.DIRECTORY_VIEW)
    visible = (
        Q(services__in=visible_services(membership=membership))
        | Q(owner_scheme_id=membership.scheme_id)
        | Q(staff=membership.user_id)
    )
    return get_object_or_404(Organization.objects.filter(visible).distinct(), pk=organization_id)


def scheme_taxonomies(*, membership: Membership) -> list[tuple[str, list[TaxonomyTerm]]]:
    """Linkwell's two taxonomies with their shared terms and the scheme's own."""

    require(membership, Perm.DIRECTORY_VIEW)
    terms = TaxonomyTerm.objects.filter(
        Q(scheme__isnull=True) | Q(scheme_id=membership.scheme_id),
        taxonomy_id__in=[taxonomy.NEED_AREAS_ID, taxonomy.ACTIVITY_TYPES_ID],
    ).order_by("name")
    grouped: dict = {taxonomy.NEED_AREAS_ID: [], taxonomy.ACTIVITY_TYPES_ID: []}
    for term in terms:
        grouped[term.taxonomy_id].append(term)
    return [
        ("Need areas", grouped[taxonomy.NEED_AREAS_ID]),
        ("Types of support", grouped[taxonomy.ACTIVITY_TYPES_ID]),
    ]


def scheme_provider_choices(*, membership: Membership) -> list[tuple[str, str]]:
    """The scheme's provider users, as (id, "Name (email)") choices."""
    require(membership, Perm.DIRECTORY_MANAGE)
    members = Membership.objects.filter(
        scheme_id=membership.scheme_id, role=Role.PROVIDER, is_active=True
    ).select_related("user")
    return [(str(m.user_id), f"{m.user.full_name} ({m.user.email})") for m in members]
