"""What matching knows about the person: a plain value, built from a case (its needs, goals,
what matters, the person's details and their match preferences) or from an API request."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from uuid import UUID

from linkwell.matching.models import CostLimit, Travel

TIMES = ("morning", "afternoon", "evening")
WAYS = ("in_person", "by_phone", "online", "home_visit")
# How far is usual for each way of travelling (km); the "getting there" score halves there. A
# person's own furthest distance overrides it.
TRAVEL_REACH_KM = {Travel.WALK: 2.5, Travel.BUS: 12.0, Travel.CAR: 30.0, Travel.NONE: 0.0}
OUTWARD_CODE = re.compile(r"[A-Z]{1,2}\d[A-Z\d]?")


@dataclass(frozen=True)
class NeedWanted:
    area_id: UUID
    code: str
    name: str
    severity: int = 2


@dataclass(frozen=True)
class MatchProfile:
    """Everything about the person the ranking may use. Empty values do not filter."""

    needs: tuple[NeedWanted, ...] = ()
    words: str = ""
    latitude: float | None = None
    longitude: float | None = None
    postcode: str = ""
    travel: str = Travel.BUS
    max_distance_km: float | None = None
    ways: frozenset[str] = frozenset(WAYS)
    digital_access: bool = True
    device_loan_planned: bool = False
    days: frozenset[str] = frozenset()
    times: frozenset[str] = frozenset()
    cost_limit: str = CostLimit.CONTRIBUTION
    age: int | None = None
    gender: str = ""
    language: str = ""
    interpreter_needed: bool = False
    accept_waiting_list: bool = True
    step_free: bool = False
    extra: dict = field(default_factory=dict, compare=False)

    @cached_property
    def reach_km(self) -> float:
        """The furthest the person can get to something in person, in kilometres."""
        if self.travel == Travel.NONE:
            return 0.0
        if self.max_distance_km is not None:
            return float(self.max_distance_km)
        return TRAVEL_REACH_KM.get(self.travel, TRAVEL_REACH_KM[Travel.BUS])

    @property
    def can_go_out(self) -> bool:
        return "in_person" in self.ways and self.travel != Travel.NONE

    @property
    def can_go_online(self) -> bool:
        return "online" in self.ways and (self.digital_access or self.device_loan_planned)

    @property
    def point(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)

    @cached_property
    def district(self) -> str:
        """The postcode's outward code (RV1), as far as matching and the gap report go."""
        return outward_code(self.postcode)

    @property
    def gender_served(self) -> str:
        """The directory's word for the person's gender ('women', 'men'), or '' when the
        person's record does not say (only services for anyone then fit)."""
        said = self.gender.strip().lower()
        if said in {"female", "woman", "women", "f", "girl"}:
            return "women"
        if said in {"male", "man", "men", "m", "boy"}:
            return "men"
        return ""

    @property
    def needs_language(self) -> str:
        """The language a service must offer, when the person needs support in one other than
        English."""
        language = self.language.strip()
        if self.interpreter_needed and language and language.lower() != "english":
            return language
        return ""

    def refined(self, **changes) -> MatchProfile:
        return replace(self, **changes)


def age_on(born: date | None, today: date) -> int | None:
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def outward_code(postcode: str) -> str:
    """The outward code (district) of a UK postcode: all but its last three characters."""
    compact = (postcode or "").replace(" ", "").upper()
    if len(compact) < 5:
        return ""
    outward = compact[:-3]
    return outward if OUTWARD_CODE.fullmatch(outward) else ""
