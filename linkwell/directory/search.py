"""Finding services in the directory: one search used by the Open Referral UK feed and the pages.

A `ServiceQuery` says what a link worker (or another directory) is looking for; every filter it
sets must hold (the filters combine with AND). `public_services` answers it over the open feed's
listings (active or temporarily closed, marked public); `apply_query` answers it over any set
of services, such as the listings a scheme may see. Either way it is one SQL query however many
services match, and the caller pages it.

Distance is the great-circle (haversine) distance in metres from the point asked about to the
nearest of a service's locations, computed in the database with functions that SQLite and
PostgreSQL both have. A search with a radius first narrows the locations to a latitude and
longitude box, so the index on `Location(latitude, longitude)` does the heavy lifting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, time
from uuid import UUID

from django.db.models import (
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt

from linkwell.directory.models import (
    Attribute,
    CostType,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceStatus,
)

# Listings the open feed shows: a temporarily closed service is still worth knowing about.
PUBLIC_STATUSES = (ServiceStatus.ACTIVE, ServiceStatus.TEMPORARILY_CLOSED)
UNLISTED_STATUSES = (ServiceStatus.INACTIVE, ServiceStatus.DEFUNCT)
# iCalendar's two-letter weekday codes, as `Schedule.byday` holds them, and their names.
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}
EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG)
MAX_SEARCH_WORDS = 10


@dataclass(frozen=True)
class ServiceQuery:
    """What someone is looking for. Empty fields do not filter.

    - `text`: every word must appear in the service's name, alternate name or description, or
      its organisation's name (case does not matter).
    - `taxonomy_term_ids`: the service has at least one of these terms (need areas, activity
      types, or an imported taxonomy's terms); `taxonomy_id`: it has a term of that taxonomy.
    - `minimum_age` / `maximum_age`: the ages of the person (or people) to be supported; the
      service fits when its own age range covers them. For one person, give both the same age.
    - `day` (MO … SU), `start_time`, `end_time`: the service has one schedule that runs on that
      day and overlaps that time. With start and end equal, it is open at that moment.
    - `in_person`, `by_phone`, `online`, `home_visit`: when true, the service is offered that way.
    - `cost_type` (free, contribution, fee) or `free_only`; `capacity`: any of these capacities.
    - `latitude`/`longitude`: results nearest first; with `proximity_m`, only services with a
      location within that many metres.
    """

    text: str = ""
    taxonomy_term_ids: tuple[UUID | str, ...] = ()
    taxonomy_id: UUID | str | None = None
    organization_id: UUID | str | None = None
    modified_after: datetime | None = None
    minimum_age: int | None = None
    maximum_age: int | None = None
    day: str | None = None
    start_time: time | None = None
    end_time: time | None = None
    in_person: bool | None = None
    by_phone: bool | None = None
    online: bool | None = None
    home_visit: bool | None = None
    cost_type: str | None = None
    free_only: bool = False
    capacity: tuple[str, ...] = ()
    latitude: float | None = None
    longitude: float | None = None
    proximity_m: float | None = None

    @property
    def point(self) -> tuple[float, float] | None:
        """The (latitude, longitude) to measure distance from, when one was given."""
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)

    def without_point(self) -> ServiceQuery:
        return replace(self, latitude=None, longitude=None, proximity_m=None)


def public_services(query: ServiceQuery | None = None) -> QuerySet[Service]:
    """Services the open Open Referral UK feed lists (active or temporarily closed, and marked
    public) that answer `query`: nearest first when it gives a point, else by name."""
    # Said as "neither inactive nor defunct" (the same, as a constraint allows only four
    # statuses) so that SQLite, which keeps no statistics unless asked, does not walk the
    # (status, is_public) index, which holds nearly every listing, in place of a selective one.
    listed = Service.objects.filter(is_public=True).exclude(status__in=UNLISTED_STATUSES)
    return apply_query(listed, query or ServiceQuery())


def apply_query(services: QuerySet[Service], query: ServiceQuery) -> QuerySet[Service]:
    """Narrow `services` to those answering `query`, and order them: nearest first (with the
    distance in metres as `distance_m`) when the query gives a point, else by name."""
    services = services.filter(_service_conditions(query))
    point = query.point
    if point is None:
        return services.order_by("name", "pk")
    nearby = locations_near(point, query.proximity_m)
    if query.proximity_m is not None:
        services = services.filter(pk__in=nearby.values("service_id"))
    nearest = nearby.filter(service_id=OuterRef("pk")).order_by("distance_m").values("distance_m")
    return services.annotate(distance_m=Subquery(nearest[:1], output_field=FloatField())).order_by(
        F("distance_m").asc(nulls_last=True), "name", "pk"
    )


def public_service_at_locations(query: ServiceQuery | None = None) -> QuerySet[ServiceAtLocation]:
    """The places where the open feed's services answering `query` happen: nearest first, with
    `distance_m`, when the query gives a point (and within `proximity_m` when it gives one),
    else by service name."""
    query = query or ServiceQuery()
    # Checked place by place, so that a search near a point starts from the locations' index.
    listed = Exists(public_services(query.without_point()).filter(pk=OuterRef("service_id")))
    point = query.point
    if point is None:
        return ServiceAtLocation.objects.filter(listed).order_by(
            "service__name", "location__name", "pk"
        )
    return (
        locations_near(point, query.proximity_m)
        .filter(listed)
        .order_by(F("distance_m").asc(nulls_last=True), "service__name", "pk")
    )


def distance_m(latitude: float, longitude: float, *, prefix: str = "") -> Combinable:
    """The haversine distance in metres from (latitude, longitude) to the row's own
    `{prefix}latitude` and `{prefix}longitude`, as a database expression."""
    lat1 = Radians(Value(float(latitude)))
    lat2 = Radians(F(f"{prefix}latitude"))
    half_dlat = (lat2 - lat1) / Value(2.0)
    half_dlon = (Radians(F(f"{prefix}longitude")) - Radians(Value(float(longitude)))) / Value(2.0)
    chord = Power(Sin(half_dlat), 2) + Cos(lat1) * Cos(lat2) * Power(Sin(half_dlon), 2)
    # Rounding can push the chord a hair past 1 for antipodal points; ASin would then fail.
    angle = ASin(Least(Sqrt(chord), Value(1.0)))
    return Value(2.0 * EARTH_RADIUS_M) * angle


def bounding_box(latitude: float, longitude: float, radius_m: float) -> tuple[float, ...]:
    """(south, north, west, east) in degrees: a box that holds every point within `radius_m`
    of the point, a little generous, for an indexed first cut before the exact distance."""
    angle = math.degrees(radius_m / EARTH_RADIUS_M) * 1.01
    south, north = max(-90.0, latitude - angle), min(90.0, latitude + angle)
    widest = max(abs(south), abs(north))
    if widest >= 89.0 or angle >= 90.0:
        return (south, north, -180.0, 180.0)
    spread = angle / math.cos(math.radians(widest))
    if spread >= 180.0:
        return (south, north, -180.0, 180.0)
    # A box across the antimeridian is widened to every longitude: rare in the UK, and correct.
    west, east = longitude - spread, longitude + spread
    if west < -180.0 or east > 180.0:
        return (south, north, -180.0, 180.0)
    return (south, north, west, east)


def locations_near(point: tuple[float, float], radius_m: float | None) -> QuerySet:
    """Service-at-location rows whose location has coordinates, with `distance_m` from `point`;
    within `radius_m` (box first, then the exact distance) when it is given."""
    latitude, longitude = point
    rows = ServiceAtLocation.objects.filter(
        location__latitude__isnull=False, location__longitude__isnull=False
    )
    if radius_m is not None:
        south, north, west, east = bounding_box(latitude, longitude, radius_m)
        rows = rows.filter(
            location__latitude__range=(south, north), location__longitude__range=(west, east)
        )
    rows = rows.annotate(distance_m=distance_m(latitude, longitude, prefix="location__"))
    if radius_m is not None:
        rows = rows.filter(distance_m__lte=radius_m)
    return rows


def _service_conditions(query: ServiceQuery) -> Q:
    """Every filter of `query` except distance, as one condition on Service."""
    condition = Q()
    for word in query.text.split()[:MAX_SEARCH_WORDS]:
        condition &= (
            Q(name__icontains=word)
            | Q(alternate_name__icontains=word)
            | Q(description__icontains=word)
            | Q(organization__name__icontains=word)
        )
    # Terms as a list of the services that have them: the database can start from the
    # attributes' term index rather than test every service in turn.
    if query.taxonomy_term_ids:
        tagged = Attribute.objects.filter(
            link_entity="service", taxonomy_term_id__in=list(query.taxonomy_term_ids)
        )
        condition &= Q(pk__in=tagged.values("link_id"))
    if query.taxonomy_id is not None:
        tagged = Attribute.objects.filter(
            link_entity="service", taxonomy_term__taxonomy_id=query.taxonomy_id
        )
        condition &= Q(pk__in=tagged.values("link_id"))
    if query.organization_id is not None:
        condition &= Q(organization_id=query.organization_id)
    if query.modified_after is not None:
        condition &= Q(last_modified__gte=query.modified_after)
    condition &= age_condition(query.minimum_age, query.maximum_age)
    if query.day or query.start_time or query.end_time:
        runs = _schedules_matching(query).filter(
            Q(service_id=OuterRef("pk")) | Q(service_at_location__service_id=OuterRef("pk"))
        )
        condition &= Q(Exists(runs))
    for way in ("in_person", "by_phone", "online", "home_visit"):
        if getattr(query, way):
            condition &= Q(**{way: True})
    if query.free_only:
        condition &= Q(cost_type=CostType.FREE)
    elif query.cost_type:
        condition &= Q(cost_type=query.cost_type)
    if query.capacity:
        condition &= Q(capacity__in=list(query.capacity))
    return condition


def age_condition(minimum_age: int | None, maximum_age: int | None) -> Q:
    """The service's age range (open-ended where empty) covers the ages asked about."""
    youngest = minimum_age if minimum_age is not None else maximum_age
    oldest = maximum_age if maximum_age is not None else minimum_age
    if youngest is None or oldest is None:
        return Q()
    return (Q(minimum_age__isnull=True) | Q(minimum_age__lte=youngest)) & (
        Q(maximum_age__isnull=True) | Q(maximum_age__gte=oldest)
    )


def _schedules_matching(query: ServiceQuery) -> QuerySet[Schedule]:
    """Schedules that run on the query's day and overlap its time (either may be unset)."""
    schedules = Schedule.objects.all()
    if query.day:
        # Codes never contain one another, so "TU" matches "TU", "MO,TU" and "1TU" (monthly).
        schedules = schedules.filter(byday__icontains=query.day.upper())
    start, end = query.start_time, query.end_time
    if start is not None and end is not None and start == end:
        return schedules.filter(opens_at__lte=start, closes_at__gt=start)
    if end is not None:
        schedules = schedules.filter(opens_at__lt=end)
    if start is not None:
        schedules = schedules.filter(closes_at__gt=start)
    return schedules
