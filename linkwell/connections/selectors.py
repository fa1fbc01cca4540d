"""Reads of connections, scoped to the acting user.

The provider inbox: referrals sent to the services of the organisations a provider user keeps
(`Organization.staff`), in the scheme they are working in. Another organisation's referral, or
another scheme's, is not there (and answers 404 when asked for by id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from linkwell.casework.models import Need
from linkwell.connections import states
from linkwell.connections.models import Connection
from linkwell.connections.states import Kind, Status
from linkwell.core.audit import ACTIONS, log_action
from linkwell.core.models import Membership
from linkwell.core.permissions import Perm, require
from linkwell.directory.models import Attribute, Organization, Service

ACTIONS.update({"connection.provider_inbox_viewed": "Read the referrals sent to their services"})

INBOX_PAGE_SIZE = 25

# The inbox's status filter: what a provider sees of each group.
INBOX_GROUPS: dict[str, tuple[str, frozenset[str]]] = {
    "waiting": ("Waiting for your answer", frozenset({Status.SENT})),
    "active": (
        "Active",
        frozenset({Status.ACCEPTED, Status.STARTED, Status.ATTENDED_SOME}),
    ),
    "closed": (
        "Closed",
        frozenset(
            {
                Status.DECLINED,
                Status.COMPLETED,
                Status.DROPPED_OUT,
                Status.DID_NOT_ATTEND,
                Status.WITHDRAWN,
                Status.EXPIRED,
            }
        ),
    ),
}
# Once withdrawn, or expired unanswered, the provider no longer sees who it was for.
HIDDEN_PERSON = frozenset({Status.WITHDRAWN, Status.EXPIRED})


def _kept_organizations(membership: Membership):
    # A subquery, not a join through the staff table: no duplicate rows, so no DISTINCT.
    return Organization.staff.through.objects.filter(user_id=membership.user_id).values(
        "organization_id"
    )


def provider_services(*, membership: Membership) -> list[Service]:
    """The services of the organisations this provider keeps, for the inbox's filter and its
    capacity update."""
    require(membership, Perm.DIRECTORY_EDIT_OWN)
    return list(
        Service.objects.filter(organization_id__in=_kept_organizations(membership))
        .select_related("organization")
        .order_by("organization__name", "name")
    )


def provider_connections(*, membership: Membership) -> QuerySet[Connection]:
    """Referrals sent (not merely proposed) in the active scheme to this provider's services,
    newest first, with what the inbox shows of each."""
    require(membership, Perm.DIRECTORY_EDIT_OWN)
    return (
        Connection.objects.filter(
            kind=Kind.REFERRAL,
            scheme_id=membership.scheme_id,
            # Through the provider's services (not a join to them), so that the database can
            # go service by service on the (scheme, service, status, sent_at) index.
            service_id__in=Service.objects.filter(
                organization_id__in=_kept_organizations(membership)
            ).values("pk"),
        )
        .exclude(status=Status.PROPOSED)
        .select_related("service__organization", "case__person")
        .prefetch_related(
            Prefetch(
                "case__needs",
                queryset=Need.objects.filter(severity__gt=0).select_related("area"),
                to_attr="shared_needs",
            )
        )
        .order_by("-sent_at", "-created_at", "pk")
    )


def provider_connection_get(*, membership: Membership, connection_id) -> Connection:
    """One referral to this provider's services; anything else is 404."""
    return get_object_or_404(provider_connections(membership=membership), pk=connection_id)


@dataclass
class InboxRow:
    """One referral as the provider sees it: only what `connection.shared` lists."""

    connection: Connection
    service: Service
    sent_at: datetime | None
    days_waiting: int | None
    first_name: str
    name: str
    phone: str
    email: str
    needs: list[str]
    message: str
    status: str
    status_label: str
    reason: str
    moves: list[tuple[str, str, bool]]  # (status, label, needs a reason)

    @property
    def waiting(self) -> bool:
        return self.status == Status.SENT


MOVE_LABELS = {
    Status.ACCEPTED: "Accept",
    Status.DECLINED: "Decline",
    Status.STARTED: "Started",
    Status.ATTENDED_SOME: "Attended some",
    Status.COMPLETED: "Completed",
    Status.DROPPED_OUT: "Dropped out",
    Status.DID_NOT_ATTEND: "Did not attend",
}


def provider_moves(connection: Connection) -> list[tuple[str, str, bool]]:
    """The provider's next moves for this referral, in the state machine's order."""
    return [
        (to, MOVE_LABELS[to], to in states.NEEDS_REASON)
        for to in states.allowed_next(connection.kind, connection.status)
        if to in states.PROVIDER_MOVES
    ]


def service_need_areas(service_ids) -> dict:
    """The need areas each service helps with (service id to a set of term ids): one query."""
    found: dict = {}
    for link_id, term_id in Attribute.objects.filter(
        link_entity="service", link_id__in=list(service_ids)
    ).values_list("link_id", "taxonomy_term_id"):
        found.setdefault(link_id, set()).add(term_id)
    return found


def needs_for_referral(needs, areas: set) -> list[str]:
    """The needs a referral shares with the service: those of the person's needs the service
    helps with, never all of them (a choir need not know about debt)."""
    return sorted({n.area.name for n in needs if n.area_id in areas})


def inbox_row(
    connection: Connection, *, now: datetime | None = None, areas: set | None = None
) -> InboxRow:
    shared = set(connection.shared or [])
    person = connection.case.person
    visible = connection.status not in HIDDEN_PERSON
    days = None
    if connection.sent_at is not None:
        until = connection.answered_at or now or timezone.now()
        days = max(0, (timezone.localdate(until) - timezone.localdate(connection.sent_at)).days)
    if areas is None:
        areas = service_need_areas([connection.service_id]).get(connection.service_id, set())
    needs = needs_for_referral(getattr(connection.case, "shared_needs", []), areas)
    return InboxRow(
        connection=connection,
        service=connection.service,
        sent_at=connection.sent_at,
        days_waiting=days,
        first_name=person.first_name if visible and "name" in shared else "",
        name=person.full_name if visible and "name" in shared else "",
        phone=person.phone_display if visible and "phone" in shared else "",
        email=person.email if visible and "email" in shared else "",
        needs=needs if visible and "needs" in shared else [],
        message=connection.message,
        status=connection.status,
        status_label=connection.get_status_display(),
        reason=connection.status_reason,
        moves=provider_moves(connection) if visible else [],
    )


@dataclass
class Inbox:
    page: Page
    rows: list[InboxRow]
    services: list[Service]


def provider_inbox(
    *,
    membership: Membership,
    group: str = "",
    service_id=None,
    page: int | str | None = 1,
    ip_address: str | None = None,
) -> Inbox:
    """A page of the provider's referrals (filtered by status group and service), each with
    what was shared and the next moves. The read is audited: which referrals were shown."""
    services = provider_services(membership=membership)
    qs = provider_connections(membership=membership)
    if group in INBOX_GROUPS:
        qs = qs.filter(status__in=sorted(INBOX_GROUPS[group][1]))
    # Only one of their own services filters; anything else shows them all.
    service_id = next((s.pk for s in services if str(s.pk) == str(service_id or "")), None)
    if service_id:
        qs = qs.filter(service_id=service_id)
    result = Paginator(qs, INBOX_PAGE_SIZE).get_page(page)
    now = timezone.now()
    areas = service_need_areas({c.service_id for c in result.object_list})
    rows = [inbox_row(c, now=now, areas=areas.get(c.service_id, set())) for c in result.object_list]
    log_action(
        membership.user,
        "connection.provider_inbox_viewed",
        None,
        {
            "page": result.number,
            "group": group or "all",
            "service": str(service_id or ""),
            "connections": [str(r.connection.pk) for r in rows],
            "people": sorted({str(r.connection.case.person_id) for r in rows}),
        },
        scheme=membership.scheme,
        ip_address=ip_address,
    )
    return Inbox(page=result, rows=rows, services=services)
