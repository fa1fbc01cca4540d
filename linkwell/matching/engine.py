"""Ranking the directory for one person, with reasons.

1. **Candidates, in one SQL query** (`candidate_rows`, the floor the benchmark compares with):
   services the member may see, open (active or temporarily closed), for the person's age and
   gender, in their language where they need it, that help with at least one of their need
   areas (or, with no needs given, whose words match theirs), and that they could reach: a
   remote way of taking part, or a place within twice their travelling distance (a
   latitude/longitude box on the locations' index). Each row carries what the scoring needs:
   which need areas it meets, the nearest place's distance, its stemmed words, its track record.
2. **Hard filters, in Python**, on those rows, each failure kept as a reason: temporarily
   closed, full (or a waiting list the person does not accept), no way of taking part the
   person can use ("online only" for someone offline without a device loan, "too far", "in
   person only"), or an area served that leaves the person out. The best of these are the
   near-misses shown under the list.
3. **Scores.** Each factor is 0..1; the score is their weighted mean (the scheme's weights),
   0..100. When-it-runs needs the schedules, so it is scored last: schedules are read (one
   query) only for the services that could still reach the top N with a perfect schedule
   score, a bound that keeps the answer exact.

The query count is fixed (weights, scheme averages, candidates, schedules), whatever the size
of the directory.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from uuid import UUID

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    FilteredRelation,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone

from linkwell.directory.models import (
    Attribute,
    Capacity,
    CostType,
    Gender,
    Language,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceStatus,
)
from linkwell.directory.search import DAY_NAMES, age_condition, bounding_box, distance_m
from linkwell.matching import semantic, text
from linkwell.matching.models import (
    CostLimit,
    MatchWeights,
    ServiceMatchText,
    ServiceTrackRecord,
    UnmetNeed,
)
from linkwell.matching.profile import OUTWARD_CODE, MatchProfile, NeedWanted

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
NEAR_MISSES = 5
SCHEDULE_BOUND_CAP = 2000  # exact unless more tie within the schedule weight of the cut-off
SEMANTIC_POOL = 200  # candidates whose meaning is compared, when the semantic extra is on
SEMANTIC_SHARE = 0.5  # how much of the text factor meaning makes up then
SEMANTIC_FULL = 0.5  # a cosine similarity counted as a full match
SHRINK = 5.0  # pseudo-count: how many people's worth of the scheme's average a record starts with
METRES_PER_MILE = 1609.344
MIN_NEAR_MISS_BOX_KM = 3.0

FACTOR_LABELS = {
    "need": "Needs met",
    "text": "Their own words",
    "distance": "Getting there",
    "schedule": "When it runs",
    "cost": "Cost",
    "capacity": "Room and waiting time",
    "freshness": "Listing checked recently",
    "track_record": "How it has gone for our people",
}
DEFAULT_WEIGHTS = {f: MatchWeights._meta.get_field(f).default for f in MatchWeights.FACTORS}
TIME_WINDOWS = {
    "morning": (time(6), time(12)),
    "afternoon": (time(12), time(17)),
    "evening": (time(17), time(23, 59)),
}
WAY_WORDS = {
    "by_phone": "by phone",
    "online": "online",
    "home_visit": "comes to your home",
}

WORDS_ONLY_TERMS = 12
STEP_FREE_WORDS = ("step-free", "step free", "wheelchair", "level access", "ramp")
FIELDS = (
    "pk",
    "name",
    "organization__name",
    "status",
    "capacity",
    "typical_wait_weeks",
    "cost_type",
    "fee_amount",
    "scheme_can_fund",
    "in_person",
    "by_phone",
    "online",
    "home_visit",
    "last_verified_at",
    "area_served",
    "match_text__tokens",
    "match_text__token_count",
    "record__offered",
    "record__taken_up",
    "record__sent",
    "record__accepted",
    "record__completed",
    "record__answered",
    "record__answer_days_total",
)


I_TOKENS = FIELDS.index("match_text__tokens")
I_RECORD = FIELDS.index("record__offered")


@dataclass
class Candidate:
    """One candidate row, as the scoring reads it."""

    id: UUID
    name: str
    organization: str
    status: str
    capacity: str
    wait_weeks: int | None
    cost_type: str
    fee: Decimal | None
    scheme_can_fund: bool
    ways: dict[str, bool]
    verified_at: datetime | None
    area_served: str
    tokens: str
    token_count: int
    record: tuple
    distance_m: float | None
    far: bool
    step_free: bool
    speaks: bool
    areas: tuple[bool, ...]
    factors: dict[str, float] = field(default_factory=dict)
    usable_ways: list[str] = field(default_factory=list)
    partial: float = 0.0
    score: float = 0.0


@dataclass
class Match:
    service_id: UUID
    name: str
    organization: str
    score: int
    breakdown: list[dict]
    reasons: str
    distance_miles: float | None
    ways: list[str]
    needs_met: list[str]
    capacity: str
    cost_type: str


@dataclass
class NearMiss:
    service_id: UUID
    name: str
    organization: str
    why: str
    needs_met: list[str]


@dataclass
class Unmet:
    need: NeedWanted
    reason: str  # an UnmetNeed.Reason value

    @property
    def reason_label(self) -> str:
        return str(UnmetNeed.Reason(self.reason).label)


@dataclass
class MatchResult:
    matches: list[Match]
    near_misses: list[NearMiss]
    unmet: list[Unmet]
    candidates: int
    eligible: int
    weights: dict[str, float]
    profile: MatchProfile


# --- Candidates --------------------------------------------------------------------------------


def _profile_areas(profile: MatchProfile) -> list[NeedWanted]:
    return [n for n in profile.needs if n.severity > 0]


@dataclass
class CandidateQuery:
    """The candidate query (rows of FIELDS, then one value per name in `extra`)."""

    queryset: QuerySet
    extra: list[str]


def candidate_query(
    services: QuerySet[Service], profile: MatchProfile, *, scheme_id
) -> CandidateQuery:
    """The candidate services for `profile` among `services`, as rows of FIELDS plus, by
    name, whether they offer the person's language, the nearest place's distance, whether they
    have a place at all, and one flag per need area: one SQL query when evaluated."""
    needs = _profile_areas(profile)
    qs = services.filter(status__in=[ServiceStatus.ACTIVE, ServiceStatus.TEMPORARILY_CLOSED])
    if profile.age is not None:
        qs = qs.filter(age_condition(profile.age, profile.age))
    served = profile.gender_served
    qs = qs.filter(gender__in=[Gender.ANY, served] if served else [Gender.ANY])
    language = profile.needs_language
    annotations = {}
    if language:
        offers = Language.objects.filter(service_id=OuterRef("pk")).filter(
            Q(name__iexact=language) | Q(code__iexact=language)
        )
        annotations["speaks"] = Exists(offers)
        annotations["interprets"] = ExpressionWrapper(
            ~Q(interpretation_services=""), output_field=BooleanField()
        )
    if needs:
        tagged = Attribute.objects.filter(
            link_entity="service", taxonomy_term_id__in=[n.area_id for n in needs]
        )
        qs = qs.filter(pk__in=tagged.values("link_id"))
    else:
        # Words alone: their stems in the listings' stored words, or (for a listing not yet
        # indexed) the words themselves in its name or description.
        stems = list(text.query(profile.words).weights)[:WORDS_ONLY_TERMS]
        if not stems:
            return CandidateQuery(qs.none().values_list(*FIELDS), [])
        said = Q()
        for stem in stems:
            said |= Q(match_text__tokens__contains=f" {stem} ")
        for word in text.plain_words(profile.words)[:WORDS_ONLY_TERMS]:
            said |= Q(match_text__isnull=True) & (
                Q(name__icontains=word) | Q(description__icontains=word)
            )
        qs = qs.filter(said)
    if profile.step_free:
        annotations["step_free"] = Exists(
            ServiceAtLocation.objects.filter(service_id=OuterRef("pk")).filter(
                _step_free_condition()
            )
        )
    point = profile.point
    if point is not None:
        box_km = max(2 * profile.reach_km, MIN_NEAR_MISS_BOX_KM)
        south, north, west, east = bounding_box(point[0], point[1], box_km * 1000)
        places = ServiceAtLocation.objects.filter(
            service_id=OuterRef("pk"),
            location__latitude__range=(south, north),
            location__longitude__range=(west, east),
        )
        qs = qs.filter(Q(by_phone=True) | Q(online=True) | Q(home_visit=True) | Exists(places))
        # For someone who needs step-free access, distances are to step-free places only.
        usable_places = places.filter(_step_free_condition()) if profile.step_free else places
        nearest = (
            usable_places.annotate(distance_m=distance_m(*point, prefix="location__"))
            .order_by("distance_m")
            .values("distance_m")[:1]
        )
        annotations["distance_m"] = Subquery(nearest, output_field=FloatField())
        # A place outside the box has no distance: it is too far, not unknown.
        located = ServiceAtLocation.objects.filter(
            service_id=OuterRef("pk"), location__latitude__isnull=False
        )
        if profile.step_free:
            located = located.filter(_step_free_condition())
        annotations["located"] = Exists(located)
    for i, need in enumerate(needs):
        annotations[f"need_{i}"] = Exists(
            Attribute.objects.filter(
                link_entity="service", link_id=OuterRef("pk"), taxonomy_term_id=need.area_id
            )
        )
    qs = qs.annotate(
        record=FilteredRelation("track_records", condition=Q(track_records__scheme_id=scheme_id)),
        **annotations,
    )
    return CandidateQuery(qs.order_by().values_list(*FIELDS, *annotations), list(annotations))


def _step_free_condition() -> Q:
    """A place whose accessibility information says it can be reached without steps."""
    said = Q()
    for words in STEP_FREE_WORDS:
        said |= Q(location__accessibility__description__icontains=words)
        said |= Q(location__accessibility__details__icontains=words)
    return said


def candidate_rows(services: QuerySet[Service], profile: MatchProfile, *, scheme_id) -> list:
    """The bare candidate query, run: the floor of a match."""
    return list(candidate_query(services, profile, scheme_id=scheme_id).queryset)


def _candidate(row, extra_names: list[str], n_needs: int) -> Candidate:
    extra = dict(zip(extra_names, row[len(FIELDS) :], strict=True))
    tokens = row[I_TOKENS]
    token_count = row[I_TOKENS + 1] or 0
    if tokens is None:  # not indexed yet: its name and organisation stand in
        tokens = text.document(row[1], row[2])
        token_count = len(tokens.split())
    return Candidate(
        id=row[0],
        name=row[1],
        organization=row[2],
        status=row[3],
        capacity=row[4],
        wait_weeks=row[5],
        cost_type=row[6],
        fee=row[7],
        scheme_can_fund=row[8],
        ways={"in_person": row[9], "by_phone": row[10], "online": row[11], "home_visit": row[12]},
        verified_at=row[13],
        area_served=row[14] or "",
        tokens=tokens,
        token_count=token_count,
        record=row[I_RECORD : I_RECORD + 7],
        distance_m=extra.get("distance_m"),
        far=extra.get("distance_m") is None and bool(extra.get("located")),
        step_free=bool(extra.get("step_free", True)),
        speaks=bool(extra.get("speaks", True) or extra.get("interprets")),
        areas=tuple(bool(extra[f"need_{i}"]) for i in range(n_needs)),
    )


# --- Hard filters ------------------------------------------------------------------------------


def _miles(metres: float) -> str:
    miles = max(metres / METRES_PER_MILE, 0.1)
    return f"{miles:.1f} miles" if miles < 10 else f"{miles:.0f} miles"


def _districts(area_served: str) -> list[str]:
    """Postcode districts named in a service's area served ("RV1, RV2"), upper-cased; empty
    when it names places instead ("Riverside", "UK": those are not enforced)."""
    parts = [p.strip().upper() for p in area_served.replace(";", ",").split(",") if p.strip()]
    codes = [p for p in parts if OUTWARD_CODE.fullmatch(p)]
    return codes if codes and len(codes) == len(parts) else []


def _covers(code: str, district: str) -> bool:
    """Whether an area served's district ("EC1") covers the person's (EC1 or EC1A, not EC10)."""
    return district == code or (district.startswith(code) and district[len(code) :].isalpha())


def _exclusion(c: Candidate, profile: MatchProfile) -> str | None:
    """Why this candidate cannot be offered to the person, or None when it can. Sets the
    ways the person could take part in it."""
    if c.status == ServiceStatus.TEMPORARILY_CLOSED:
        return "temporarily closed"
    if c.capacity == Capacity.FULL:
        return "full"
    if c.capacity == Capacity.PAUSED:
        return "not taking people at the moment"
    if c.capacity == Capacity.WAITING_LIST and not profile.accept_waiting_list:
        return "waiting list only"
    if not c.speaks:
        return f"not in {profile.needs_language}"
    if c.area_served:
        districts = _districts(c.area_served)
        district = profile.district
        if districts and district and not any(_covers(d, district) for d in districts):
            return f"only for {', '.join(districts)}"
    usable = []
    within = c.distance_m <= profile.reach_km * 1000 if c.distance_m is not None else not c.far
    if c.ways["in_person"] and profile.can_go_out and within and c.step_free:
        usable.append("in_person")
    if c.ways["home_visit"] and "home_visit" in profile.ways:
        usable.append("home_visit")
    if c.ways["by_phone"] and "by_phone" in profile.ways:
        usable.append("by_phone")
    if c.ways["online"] and profile.can_go_online:
        usable.append("online")
    c.usable_ways = usable
    if usable:
        return None
    offered = [w for w, yes in c.ways.items() if yes]
    if offered == ["online"]:
        return "online only" if "online" in profile.ways else "online only, not wanted"
    if offered == ["by_phone"]:
        return "by phone only"
    if offered == ["home_visit"]:
        return "home visits only"
    if c.ways["in_person"] and not c.step_free and within and profile.can_go_out:
        return "no step-free access listed"
    if c.ways["in_person"] and c.distance_m is not None and profile.can_go_out:
        return f"too far ({_miles(c.distance_m)})"
    if c.ways["in_person"] and c.far and profile.can_go_out:
        return f"too far (over {_miles(2 * profile.reach_km * 1000)})"
    if c.ways["in_person"]:
        return "in person only"
    return "no way of taking part that suits"


# --- Factors -----------------------------------------------------------------------------------


@dataclass
class SchemeAverages:
    take_up: float | None
    accepted: float | None
    completed: float | None
    answer_days: float | None


def scheme_averages(scheme_id) -> SchemeAverages:
    totals = ServiceTrackRecord.objects.filter(scheme_id=scheme_id).aggregate(
        offered=Sum("offered"),
        taken_up=Sum("taken_up"),
        sent=Sum("sent"),
        accepted=Sum("accepted"),
        completed=Sum("completed"),
        answered=Sum("answered"),
        days=Sum("answer_days_total"),
    )

    def rate(part, whole):
        return (totals[part] or 0) / totals[whole] if totals[whole] else None

    return SchemeAverages(
        take_up=rate("taken_up", "offered"),
        accepted=rate("accepted", "sent"),
        completed=rate("completed", "sent"),
        answer_days=rate("days", "answered"),
    )


def _shrunk(successes: int, trials: int, average: float | None) -> float | None:
    if average is None:
        return None
    return (successes + SHRINK * average) / (trials + SHRINK)


def _track_record(record: tuple, averages: SchemeAverages) -> float:
    offered, taken_up, sent, accepted, completed, answered, days = (v or 0 for v in record)
    rates = [
        _shrunk(taken_up, offered, averages.take_up),
        _shrunk(accepted, sent, averages.accepted),
        _shrunk(completed, sent, averages.completed),
    ]
    if averages.answer_days is not None:
        speed_avg = 1.0 / (1.0 + averages.answer_days / 7.0)
        own = 1.0 / (1.0 + days / answered / 7.0) if answered else speed_avg
        rates.append((own * answered + SHRINK * speed_avg) / (answered + SHRINK))
    known = [r for r in rates if r is not None]
    return sum(known) / len(known) if known else 0.5


def _reach(c: Candidate, profile: MatchProfile) -> float:
    best = 0.0
    for way in c.usable_ways:
        if way == "in_person":
            if c.distance_m is None:
                value = 0.6
            else:
                # Halves at the furthest the person can go.
                value = 0.5 ** ((c.distance_m / 1000.0) / max(profile.reach_km, 0.1))
        elif way == "home_visit":
            value = 0.9
        else:
            value = 0.7
        best = max(best, value)
    return best


def _cost(c: Candidate, profile: MatchProfile) -> float:
    if c.cost_type == CostType.FREE:
        return 1.0
    if c.cost_type == CostType.CONTRIBUTION:
        if profile.cost_limit in (CostLimit.CONTRIBUTION, CostLimit.FEE):
            return 0.85
        return 0.6 if c.scheme_can_fund else 0.2
    if profile.cost_limit == CostLimit.FEE:
        return 0.6
    return 0.5 if c.scheme_can_fund else 0.05


def _capacity(c: Candidate) -> float:
    value = 0.6 if c.capacity == Capacity.WAITING_LIST else 1.0
    if c.wait_weeks:
        value /= 1.0 + c.wait_weeks / 4.0
    return value


def _freshness(verified_at: datetime | None, now: datetime) -> float:
    if verified_at is None:
        return 0.0
    days = (now - verified_at).days
    if days <= 90:
        return 1.0
    return max(0.0, 1.0 - (days - 90) / 640.0)


def _need(c: Candidate, needs: list[NeedWanted]) -> float:
    if not needs:
        return 1.0 if c.tokens.strip() else 0.0
    total = sum(1 + n.severity for n in needs)
    met = sum(1 + n.severity for n, yes in zip(needs, c.areas, strict=True) if yes)
    return met / total


# --- Schedules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    day_codes: tuple[str, ...]
    opens: time | None
    closes: time | None
    description: str


def _runs_of(ids: list) -> dict[UUID, list[Run]]:
    """The schedules of these services, their own and their places': one query, as a UNION
    so that each half uses its own index (an OR across the join scans every schedule)."""
    columns = ("service_at_location__service_id", "byday", "opens_at", "closes_at", "description")
    own = Schedule.objects.filter(service_id__in=ids).values_list("service_id", *columns)
    via = Schedule.objects.filter(service_at_location__service_id__in=ids).values_list(
        "service_id", *columns
    )
    rows = own.union(via, all=True)
    runs: dict[UUID, list[Run]] = {}
    for own, via, byday, opens, closes, description in rows:
        codes = tuple(c.strip()[-2:] for c in (byday or "").upper().split(",") if c.strip())
        runs.setdefault(own or via, []).append(Run(codes, opens, closes, description or ""))
    return runs


def _part_of_day(at: time | None) -> str:
    if at is None:
        return ""
    return "mornings" if at < time(12) else "afternoons" if at < time(17) else "evenings"


def _run_words(run: Run) -> str:
    days = [DAY_NAMES[c] for c in run.day_codes if c in DAY_NAMES]
    part = _part_of_day(run.opens)
    if not days:
        return run.description[:60] or ""
    said = f"{', '.join(days[:-1])} and {days[-1]}" if len(days) > 2 else " and ".join(days)
    return f"{said} {part}".strip() if part else said


def _fits(run: Run, profile: MatchProfile) -> bool:
    if profile.days and run.day_codes and not set(run.day_codes) & profile.days:
        return False
    if profile.times and run.opens is not None:
        closes = run.closes or time(23, 59)
        return any(
            run.opens < end and closes > start
            for start, end in (TIME_WINDOWS[t] for t in profile.times if t in TIME_WINDOWS)
        )
    return True


def _schedule(runs: list[Run], profile: MatchProfile) -> tuple[float, Run | None]:
    # A run with no days ("by appointment") says nothing about when.
    runs = [r for r in runs if r.day_codes] or []
    if not runs:
        return (0.5 if not (profile.days or profile.times) else 0.4), None
    if not (profile.days or profile.times):
        return 0.5, runs[0]
    fitting = [r for r in runs if _fits(r, profile)]
    return (1.0, fitting[0]) if fitting else (0.0, runs[0])


# --- Reasons -----------------------------------------------------------------------------------


def _cost_words(c: Candidate) -> str:
    if c.cost_type == CostType.FREE:
        return "free"
    amount = f"£{c.fee:g}" if c.fee is not None else ""
    kind = "small contribution" if c.cost_type == CostType.CONTRIBUTION else "fee"
    said = f"{kind} {amount}".strip() if amount else kind
    return f"{said} (the scheme can fund it)" if c.scheme_can_fund else said


def _reach_words(c: Candidate, profile: MatchProfile) -> str:
    first = ""
    if "in_person" in c.usable_ways:
        travel = {"walk": "on foot", "bus": "by bus", "car": "by car"}.get(profile.travel, "")
        if c.distance_m is not None:
            first = f"{_miles(c.distance_m)} {travel}".strip()
        else:
            first = "in person"
        if profile.step_free:
            first += ", step-free"
    others = [WAY_WORDS[w] for w in c.usable_ways if w in WAY_WORDS]
    if first and others:
        return f"{first}, or {' or '.join(others)}"
    return first or " or ".join(others)


def _needs_words(names: list[str]) -> str:
    names = [n[0].lower() + n[1:] for n in names]
    if not names:
        return ""
    if len(names) == 1:
        return f"helps with {names[0]}"
    return f"helps with {', '.join(names[:-1])} and {names[-1]}"


def _record_words(record: tuple) -> list[str]:
    offered, taken_up, sent, _, completed, answered, days = (v or 0 for v in record)
    said = []
    if answered >= 3:
        typical = round(days / answered)
        said.append(
            "usually replies the same day"
            if typical < 1
            else f"usually replies in {typical} day{'s' if typical != 1 else ''}"
        )
    if offered >= 3:
        said.append(f"chosen by {taken_up} of {offered} of our people offered it")
    if sent >= 3:
        said.append(f"{completed} of {sent} referred completed")
    return said


def _reasons(c: Candidate, profile: MatchProfile, run: Run | None, needs_met: list[str], now):
    parts = [_reach_words(c, profile), _cost_words(c)]
    if run is not None:
        words = _run_words(run)
        if words:
            parts.append(words if c.factors.get("schedule", 0) > 0 else f"runs {words}")
    parts.append(_needs_words(needs_met))
    if c.capacity == Capacity.WAITING_LIST:
        parts.append(
            f"waiting list, about {c.wait_weeks} weeks" if c.wait_weeks else "waiting list"
        )
    elif c.wait_weeks:
        parts.append(f"usual wait about {c.wait_weeks} weeks")
    parts += _record_words(c.record)
    if c.verified_at is None:
        parts.append("listing never checked")
    elif (now - c.verified_at).days > 365:
        parts.append("listing not checked for over a year")
    return "; ".join(p for p in parts if p)


# --- Meaning (the optional semantic extra) ------------------------------------------------------


def _add_meaning(eligible: list[Candidate], words: str, text_weight: float) -> None:
    """Blend sentence-embedding similarity into the text factor of the SEMANTIC_POOL best
    candidates so far (one query for their stored embeddings; the person's words are encoded
    once). A listing without a stored embedding keeps its lexical score."""
    if not eligible or text_weight <= 0:
        return
    pool = heapq.nlargest(SEMANTIC_POOL, eligible, key=lambda c: c.partial)
    stored = dict(
        ServiceMatchText.objects.filter(
            service_id__in=[c.id for c in pool],
            embedding__isnull=False,
            embedding_model=semantic.MODEL_NAME,
        ).values_list("service_id", "embedding")
    )
    if not stored:
        return
    query = semantic.encode([words])[0]
    ids = [c.id for c in pool if c.id in stored]
    similarity = dict(
        zip(ids, semantic.cosine_many(query, [bytes(stored[i]) for i in ids]), strict=True)
    )
    for c in pool:
        if c.id not in similarity:
            continue
        # Cosine similarity of short texts with this model sits mostly in 0.0-0.6.
        meaning = min(1.0, max(0.0, similarity[c.id] / SEMANTIC_FULL))
        blended = (1 - SEMANTIC_SHARE) * c.factors["text"] + SEMANTIC_SHARE * meaning
        c.partial += text_weight * (blended - c.factors["text"])
        c.factors["text"] = blended


# --- The match ---------------------------------------------------------------------------------


def weights_for(scheme_id) -> dict[str, float]:
    row = MatchWeights.objects.filter(scheme_id=scheme_id).first()
    return row.as_dict() if row else dict(DEFAULT_WEIGHTS)


def match_services(
    services: QuerySet[Service],
    profile: MatchProfile,
    *,
    scheme_id,
    limit: int = DEFAULT_LIMIT,
    weights: dict[str, float] | None = None,
    now: datetime | None = None,
    use_semantic: bool | None = None,
) -> MatchResult:
    """The top `limit` services of `services` for `profile`, with reasons and near-misses."""
    now = now or timezone.now()
    limit = max(1, min(int(limit), MAX_LIMIT))
    weights = weights if weights is not None else weights_for(scheme_id)
    total_weight = sum(weights.values()) or 1.0
    needs = _profile_areas(profile)
    query = text.query(profile.words)
    averages = scheme_averages(scheme_id)
    semantic_on = semantic.is_available() if use_semantic is None else use_semantic
    found = candidate_query(services, profile, scheme_id=scheme_id)
    candidates = [_candidate(r, found.extra, len(needs)) for r in found.queryset]

    eligible: list[Candidate] = []
    excluded: list[tuple[Candidate, str]] = []
    for c in candidates:
        why = _exclusion(c, profile)
        if why is None:
            eligible.append(c)
        else:
            excluded.append((c, why))

    relevance = text.bm25(query, ((c.tokens, c.token_count) for c in eligible))
    for c, rel in zip(eligible, relevance, strict=True):
        c.factors = {
            "need": _need(c, needs),
            "text": rel,
            "distance": _reach(c, profile),
            "cost": _cost(c, profile),
            "capacity": _capacity(c),
            "freshness": _freshness(c.verified_at, now),
            "track_record": _track_record(c.record, averages),
        }
        c.partial = sum(weights.get(f, 0.0) * v for f, v in c.factors.items())
    if semantic_on and profile.words.strip():
        _add_meaning(eligible, profile.words, weights.get("text", 0.0))

    # Only services that could still make the top `limit` with a perfect schedule score need
    # their schedules read.
    schedule_weight = weights.get("schedule", 0.0)
    bound: list[Candidate] = []
    if eligible:
        best = heapq.nlargest(limit, eligible, key=lambda c: c.partial)
        threshold = best[-1].partial - schedule_weight
        bound = sorted((c for c in eligible if c.partial >= threshold), key=lambda c: -c.partial)[
            :SCHEDULE_BOUND_CAP
        ]
    runs = _runs_of([c.id for c in bound]) if bound else {}
    chosen_run: dict[UUID, Run | None] = {}
    for c in bound:
        value, run = _schedule(runs.get(c.id, []), profile)
        c.factors["schedule"] = value
        chosen_run[c.id] = run
        c.score = (c.partial + schedule_weight * value) / total_weight
    top = sorted(bound, key=lambda c: (-c.score, c.name, str(c.id)))[:limit]

    area_names = [n.name for n in needs]
    matches = []
    for c in top:
        met = [name for name, yes in zip(area_names, c.areas, strict=True) if yes]
        matches.append(
            Match(
                service_id=c.id,
                name=c.name,
                organization=c.organization,
                score=round(c.score * 100),
                breakdown=[
                    {
                        "factor": f,
                        "label": FACTOR_LABELS[f],
                        "value": round(c.factors.get(f, 0.0), 3),
                        "weight": weights.get(f, 0.0),
                        "points": round(
                            100 * weights.get(f, 0.0) * c.factors.get(f, 0.0) / total_weight, 1
                        ),
                    }
                    for f in MatchWeights.FACTORS
                ],
                reasons=_reasons(c, profile, chosen_run.get(c.id), met, now),
                distance_miles=(
                    round(c.distance_m / METRES_PER_MILE, 1) if c.distance_m is not None else None
                ),
                ways=list(c.usable_ways),
                needs_met=met,
                capacity=c.capacity,
                cost_type=c.cost_type,
            )
        )

    near = sorted(
        excluded,
        key=lambda pair: (
            -sum(pair[0].areas),
            pair[0].distance_m if pair[0].distance_m is not None else math.inf,
            pair[0].name,
        ),
    )[:NEAR_MISSES]
    near_misses = [
        NearMiss(
            service_id=c.id,
            name=c.name,
            organization=c.organization,
            why=why,
            needs_met=[n for n, yes in zip(area_names, c.areas, strict=True) if yes],
        )
        for c, why in near
    ]
    return MatchResult(
        matches=matches,
        near_misses=near_misses,
        unmet=_unmet(needs, eligible, excluded),
        candidates=len(candidates),
        eligible=len(eligible),
        weights=weights,
        profile=profile,
    )


FULL_WORDS = ("full", "waiting list only", "not taking people at the moment")
FAR_WORDS = ("too far", "in person only")


def _unmet(needs, eligible, excluded) -> list[Unmet]:
    found = []
    for i, need in enumerate(needs):
        if any(c.areas[i] for c in eligible):
            continue
        whys = [why for c, why in excluded if c.areas[i]]
        if not whys:
            reason = UnmetNeed.Reason.NOTHING_LISTED
        elif any(w.startswith(FAR_WORDS) for w in whys):
            reason = UnmetNeed.Reason.TOO_FAR
        elif all(w.startswith(FULL_WORDS) or w == "temporarily closed" for w in whys):
            reason = UnmetNeed.Reason.FULL
        else:
            reason = UnmetNeed.Reason.NOT_ELIGIBLE
        found.append(Unmet(need=need, reason=str(reason)))
    return found
