"""Reads of a case's connections for the case pages: the supports offered on a case, one of
them with its history, and the directory services a link worker may refer to or signpost from
the case (the plan's chosen and shortlisted services, and a search by name). The case always
comes from the scoped case selectors, so another scheme's case is a 404 before any of these."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404

from linkwell.casework.models import Case, PlanSupport
from linkwell.casework.states import SupportDecision
from linkwell.connections import states
from linkwell.connections.models import Connection, ConnectionEvent
from linkwell.connections.states import Kind, Status
from linkwell.core.models import Membership
from linkwell.directory.models import Service, ServiceStatus
from linkwell.directory.selectors import visible_services

SEARCH_RESULTS = 10
# Moves the team makes on the case page: everything allowed except what only time does.
SYSTEM_MOVES = frozenset({Status.EXPIRED})


def case_connections(case: Case) -> list[Connection]:
    """The supports offered on the case, newest first, with their services: one query."""
    return list(
        Connection.objects.filter(case=case)
        .select_related("service__organization")
        .order_by("-created_at", "pk")
    )


def connection_of(case: Case, connection_id) -> Connection:
    """One of this case's connections, with its history; else 404."""
    events = ConnectionEvent.objects.select_related("by").order_by("at", "id")
    qs = (
        Connection.objects.filter(case=case)
        .select_related("service__organization", "created_by")
        .prefetch_related(Prefetch("events", queryset=events))
    )
    return get_object_or_404(qs, pk=connection_id)


@dataclass(frozen=True)
class TeamMoves:
    """What the team may do to a connection now, grouped as the page offers it."""

    withdraw: bool
    outcomes: list[tuple[str, str]]  # a signpost's outcome at follow-up: (status, label)
    for_provider: list[tuple[str, str]]  # what the provider told the worker: (status, label)
    send: bool  # a proposed referral not sent yet


def team_moves(connection: Connection) -> TeamMoves:
    allowed = [
        s for s in states.allowed_next(connection.kind, connection.status) if s not in SYSTEM_MOVES
    ]
    if connection.kind == Kind.SIGNPOST:
        outcomes = [(s, Status(s).label) for s in allowed]
        return TeamMoves(withdraw=False, outcomes=outcomes, for_provider=[], send=False)
    return TeamMoves(
        withdraw=Status.WITHDRAWN in allowed,
        outcomes=[],
        for_provider=[(s, Status(s).label) for s in allowed if s in states.PROVIDER_MOVES],
        send=Status.SENT in allowed,
    )


def _parse_ids(values) -> list[uuid.UUID]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return list(dict.fromkeys(ids))


@dataclass
class Candidates:
    """The services the "Refer or signpost" page offers: the plan's (chosen or shortlisted),
    those already picked (carried from a search), and what a search by name found."""

    services: list[Service]
    from_plan: set
    found: list[Service]
    more: bool
    open_service_ids: set


def candidate_services(
    *, membership: Membership, case: Case, query: str = "", picked=()
) -> Candidates:
    """Four queries, whatever the directory's size: the plan's services, the picked ones, the
    search (a bounded few) and the services this case already has open connections to."""
    listings = visible_services(membership=membership).select_related("organization")
    plan_ids = list(
        PlanSupport.objects.filter(
            case=case,
            service__isnull=False,
            decision__in=[SupportDecision.CHOSEN, SupportDecision.CONSIDERING],
        )
        .order_by("-decided_at")
        .values_list("service_id", flat=True)
    )
    wanted = list(dict.fromkeys([*plan_ids, *_parse_ids(picked)]))
    # The plan's services are shown even when no longer listed (closed for good, say), so the
    # refusal is said next to them; other picks only while this member may see them.
    known = (
        {
            s.pk: s
            for s in Service.objects.filter(
                Q(pk__in=plan_ids) | Q(pk__in=listings.filter(pk__in=wanted).values("pk"))
            ).select_related("organization")
        }
        if wanted
        else {}
    )
    found: list[Service] = []
    query = (query or "").strip()[:100]
    if query:
        found = list(
            listings.exclude(status=ServiceStatus.DEFUNCT)
            .filter(Q(name__icontains=query) | Q(organization__name__icontains=query))
            .order_by("name", "pk")[: SEARCH_RESULTS + 1]
        )
    more = len(found) > SEARCH_RESULTS
    found = found[:SEARCH_RESULTS]
    ordered = [known[pk] for pk in wanted if pk in known]
    ordered += [s for s in found if s.pk not in known]
    open_ids = set(
        Connection.objects.filter(case=case, status__in=sorted(states.OPEN)).values_list(
            "service_id", flat=True
        )
    )
    return Candidates(
        services=ordered,
        from_plan=set(plan_ids),
        found=found,
        more=more,
        open_service_ids=open_ids,
    )
