"""The scheme's budget report: what people paid and what the scheme funded for the supports it
connected people to, by month and by service, over a period. Aggregates only; nobody named.
Two queries, whatever the number of connections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from linkwell.connections.models import Connection
from linkwell.connections.states import Status
from linkwell.core.models import Membership
from linkwell.core.permissions import Perm, require

TOP_SERVICES = 25
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Budget:
    start: date
    end: date
    by_month: list[dict]
    by_service: list[dict]
    funded: Decimal
    paid: Decimal
    connections: int


def financial_year(today: date) -> tuple[date, date]:
    """The UK financial year (1 April to 31 March) that `today` falls in."""
    first = today.year if today.month >= 4 else today.year - 1
    return date(first, 4, 1), date(first + 1, 3, 31)


def budget(*, membership: Membership, start: date, end: date) -> Budget:
    """Costs of the scheme's connections offered from `start` to `end` (inclusive), leaving
    out referrals withdrawn before they were sent."""
    require(membership, Perm.REPORTS_VIEW)
    counted = Connection.objects.filter(
        scheme_id=membership.scheme_id,
        created_at__date__gte=start,
        created_at__date__lte=end,
    ).exclude(Q(status=Status.WITHDRAWN, sent_at__isnull=True) | Q(status=Status.PROPOSED))
    sums = {
        "funded": Sum("scheme_funds"),
        "paid": Sum("cost_to_person"),
        "connections": Count("id"),
    }
    by_month = list(
        counted.annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(**sums)
        .order_by("month")
    )
    by_service = list(
        counted.filter(Q(scheme_funds__gt=0) | Q(cost_to_person__gt=0))
        .values("service_id", "service__name")
        .annotate(**sums)
        .order_by("-funded", "-paid", "service__name")[:TOP_SERVICES]
    )
    return Budget(
        start=start,
        end=end,
        by_month=by_month,
        by_service=by_service,
        funded=sum((m["funded"] or ZERO for m in by_month), ZERO),
        paid=sum((m["paid"] or ZERO for m in by_month), ZERO),
        connections=sum(m["connections"] for m in by_month),
    )
