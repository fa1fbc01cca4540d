"""API schemas for matching: narrowing a case's search, an ad-hoc profile, and the ranked list
with its reasons, near-misses and unmet needs."""

from typing import Literal
from uuid import UUID

from ninja import Field, Schema

from linkwell.matching.engine import DEFAULT_LIMIT, MAX_LIMIT
from linkwell.matching.profile import WAYS

TravelIn = Literal["walk", "bus", "car", "none"]
WayIn = Literal["in_person", "by_phone", "online", "home_visit"]
DayIn = Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
TimeIn = Literal["morning", "afternoon", "evening"]
CostLimitIn = Literal["free", "contribution", "fee"]

MAX_NEEDS = 30
NEED_NAME = Field(min_length=1, max_length=100, examples=["loneliness"])


class _Search(Schema):
    """What both searches may narrow: travel, distance, ways of taking part, how many."""

    travel: TravelIn | None = Field(None, description="How the person can travel.")
    max_distance_km: float | None = Field(
        None, ge=0, le=200, allow_inf_nan=False, description="The furthest they can go (km)."
    )
    ways: list[WayIn] | None = Field(
        None, min_length=1, description="Ways of taking part they can use."
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="How many matches.")


class CaseMatchIn(_Search):
    """Narrow the search for the person on a case (every field may be left out)."""

    needs: list[str] = Field(
        default_factory=list,
        max_length=MAX_NEEDS,
        description="Only these of the case's needs (need-area codes or term ids).",
        examples=[["loneliness"]],
    )


class NeedIn(Schema):
    area: str = NEED_NAME
    severity: int = Field(2, ge=0, le=3, description="0 (not now) to 3 (severe).")


class AdhocMatchIn(_Search):
    """A profile given directly, for someone with no record here: at least one need (with a
    severity above 0) or some words."""

    needs: list[NeedIn] = Field(default_factory=list, max_length=MAX_NEEDS)
    words: str = Field("", max_length=2000, description="What matters to them, in their words.")
    postcode: str = Field("", max_length=16, examples=["RV1 1AA"])
    travel: TravelIn = "bus"
    ways: list[WayIn] = Field(default_factory=lambda: list(WAYS), min_length=1)
    digital_access: bool = True
    device_loan_planned: bool = False
    days: list[DayIn] = Field(default_factory=list, max_length=7)
    times: list[TimeIn] = Field(default_factory=list, max_length=3)
    cost_limit: CostLimitIn = "contribution"
    age: int | None = Field(None, ge=0, le=120)
    gender: str = Field("", max_length=50)
    language: str = Field("", max_length=50)
    interpreter_needed: bool = False
    accept_waiting_list: bool = True
    step_free: bool = Field(
        False, description="In person only at places whose accessibility says step-free."
    )


class FactorOut(Schema):
    factor: str = Field(examples=["distance"])
    label: str = Field(examples=["Getting there"])
    value: float = Field(description="How well the service does on this factor, 0 to 1.")
    weight: float = Field(description="How much the scheme counts this factor, 0 to 5.")
    points: float = Field(description="What this factor adds to the score (out of 100).")


class MatchOut(Schema):
    service_id: UUID
    name: str
    organization: str
    score: int = Field(description="0 to 100.")
    breakdown: list[FactorOut]
    reasons: str = Field(examples=["0.4 miles by bus; free; helps with loneliness and isolation"])
    distance_miles: float | None
    ways: list[str]
    needs_met: list[str]
    capacity: str
    cost_type: str


class NearMissOut(Schema):
    service_id: UUID
    name: str
    organization: str
    why: str = Field(examples=["full"])
    needs_met: list[str]


class UnmetNeedOut(Schema):
    area: str = Field(examples=["bereavement"], description="The need area's code.")
    name: str
    reason: str = Field(examples=["nothing_listed"])
    reason_label: str


class MatchesOut(Schema):
    matches: list[MatchOut]
    near_misses: list[NearMissOut]
    unmet_needs: list[UnmetNeedOut]
    candidates: int = Field(description="Services that help with a need (before the filters).")
    eligible: int = Field(description="Candidates the person could use.")
    weights: dict[str, float]
    postcode_problem: str = Field(
        "", description="Why distances are not known, when the person's postcode is not."
    )
