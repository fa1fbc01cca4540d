"""Reads for matching: the person's profile built from their case, and the ranked list, scoped to
the acting member (the case through the casework selectors; services through the directory's
visibility rules). Reading matches for a case is a read of person data, so it is audited."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from linkwell.casework.models import Assessment, Case, Goal, Need, PlanSupport
from linkwell.casework.states import CaseStatus, GoalStatus
from linkwell.core.audit import log_action
from linkwell.core.models import Membership
from linkwell.core.permissions import Perm, can, require
from linkwell.directory.models import TaxonomyTerm
from linkwell.directory.selectors import visible_services
from linkwell.geo import PostcodeError, lookup_postcode
from linkwell.matching import engine
from linkwell.matching.models import MatchPreferences, Travel, UnmetNeed
from linkwell.matching.profile import WAYS, MatchProfile, NeedWanted, age_on
from linkwell.people.models import Consent, ConsentScope, DigitalAccess

OFFLINE = (DigitalAccess.NONE, DigitalAccess.PHONE_ONLY)
# Accessibility needs, as recorded with the referral, that call for step-free places.
STEP_FREE_NEEDS = re.compile(r"wheelchair|step|stairs|mobility scooter|walking frame|zimmer", re.I)


@dataclass
class CaseProfile:
    """A case's profile for matching, with what went into it, for the page to show."""

    profile: MatchProfile
    preferences: MatchPreferences
    saved: bool
    all_needs: list[NeedWanted]
    postcode_problem: str = ""


def default_preferences(case: Case) -> MatchPreferences:
    """What matching assumes before anyone records the person's preferences: they can take a
    bus, use any way of taking part (online only if they have digital access) and pay a small
    contribution, and they accept a waiting list."""
    person = case.person
    online = person.digital_access not in OFFLINE
    step_free = bool(STEP_FREE_NEEDS.search(person.accessibility_needs or ""))
    return MatchPreferences(case=case, travel=Travel.BUS, online=online, step_free=step_free)


def preferences_of(case: Case) -> tuple[MatchPreferences, bool]:
    found = MatchPreferences.objects.filter(case=case).first()
    return (found, True) if found else (default_preferences(case), False)


def _words(case: Case, needs: list[Need]) -> str:
    goals = Goal.objects.filter(case=case, status=GoalStatus.OPEN).values_list("text", flat=True)
    latest = (
        Assessment.objects.filter(case=case)
        .exclude(what_matters="")
        .order_by("-started_at")
        .values_list("what_matters", flat=True)
        .first()
    )
    said = [n.in_their_words for n in needs if n.in_their_words]
    return "\n".join([*said, *goals, latest or ""]).strip()


def case_profile(*, case: Case, today: date | None = None) -> CaseProfile:
    """The profile matching uses for the person on `case` (which the caller has already read
    through the scoped case selectors)."""
    person = case.person
    today = today or timezone.localdate()
    needs = list(Need.objects.filter(case=case).select_related("area").order_by("-severity"))
    wanted = [
        NeedWanted(area_id=n.area_id, code=n.area.code, name=n.area.name, severity=n.severity)
        for n in needs
        if n.severity > 0
    ]
    preferences, saved = preferences_of(case)
    latitude = longitude = None
    problem = ""
    if person.postcode:
        try:
            point = lookup_postcode(person.postcode)
            latitude, longitude = point.latitude, point.longitude
        except PostcodeError as error:
            problem = error.message
    else:
        problem = "No home postcode is recorded, so distances are not known."
    ways = frozenset(w for w in WAYS if getattr(preferences, w))
    profile = MatchProfile(
        needs=tuple(wanted),
        words=_words(case, needs),
        latitude=latitude,
        longitude=longitude,
        postcode=person.postcode,
        travel=preferences.travel,
        max_distance_km=(
            float(preferences.max_distance_km) if preferences.max_distance_km is not None else None
        ),
        ways=ways,
        digital_access=person.digital_access not in OFFLINE,
        device_loan_planned=preferences.device_loan_planned,
        days=frozenset(preferences.days or ()),
        times=frozenset(preferences.times or ()),
        cost_limit=preferences.cost_limit,
        age=age_on(person.date_of_birth, today),
        gender=person.gender,
        language=person.language,
        interpreter_needed=person.interpreter_needed,
        accept_waiting_list=preferences.accept_waiting_list,
        step_free=preferences.step_free,
    )
    return CaseProfile(
        profile=profile,
        preferences=preferences,
        saved=saved,
        all_needs=wanted,
        postcode_problem=problem,
    )


@dataclass(frozen=True)
class Refinement:
    """What the link worker narrows a search to on the page: some of the needs, another way
    of travelling or distance, some ways of taking part, more results."""

    area_ids: tuple = ()
    travel: str | None = None
    max_distance_km: float | None = None
    ways: frozenset[str] | None = None
    limit: int = engine.DEFAULT_LIMIT

    def narrows(self, all_needs) -> bool:
        """Whether this searches for less than the person's profile as recorded (the number
        of results aside)."""
        fewer_needs = bool(self.area_ids) and {str(a) for a in self.area_ids} != {
            str(n.area_id) for n in all_needs
        }
        return (
            fewer_needs or bool(self.travel) or self.max_distance_km is not None or bool(self.ways)
        )

    def apply(self, profile: MatchProfile) -> MatchProfile:
        changes = {}
        if self.area_ids:
            keep = {str(a) for a in self.area_ids}
            changes["needs"] = tuple(n for n in profile.needs if str(n.area_id) in keep)
        if self.travel:
            changes["travel"] = self.travel
        if self.max_distance_km is not None:
            changes["max_distance_km"] = self.max_distance_km
        if self.ways:
            changes["ways"] = frozenset(self.ways)
        return profile.refined(**changes) if changes else profile


def case_matches(
    *,
    membership: Membership,
    case: Case,
    refinement: Refinement | None = None,
    built: CaseProfile | None = None,
) -> tuple[engine.MatchResult, CaseProfile]:
    """The ranked list for the person on `case` (read through the scoped case selectors), as
    this member may see the directory. `built` is the case's profile when already built."""
    require(membership, Perm.CASELOAD)
    built = built or case_profile(case=case)
    refinement = refinement or Refinement()
    profile = refinement.apply(built.profile)
    result = engine.match_services(
        visible_services(membership=membership),
        profile,
        scheme_id=membership.scheme_id,
        limit=refinement.limit,
    )
    log_action(
        membership.user,
        "case.matches_viewed",
        case,
        {"results": len(result.matches), "refined": refinement != Refinement()},
    )
    return result, built


def adhoc_matches(
    *, membership: Membership, profile: MatchProfile, limit: int = engine.DEFAULT_LIMIT
) -> engine.MatchResult:
    """The ranked list for a profile given directly (no person record is read)."""
    require(membership, Perm.DIRECTORY_VIEW)
    return engine.match_services(
        visible_services(membership=membership),
        profile,
        scheme_id=membership.scheme_id,
        limit=limit,
    )


def need_terms(*, membership: Membership, codes_or_ids: list[str]) -> list[TaxonomyTerm]:
    """Need-area terms named by code or id that this scheme may use: the shared need areas
    and the scheme's own. A value that is not a real id is looked up as a code only."""
    from linkwell.directory.taxonomy import NEED_AREAS_ID

    ids, codes = [], []
    for value in codes_or_ids:
        try:
            ids.append(UUID(str(value)))
        except ValueError:
            codes.append(value)
    return list(
        TaxonomyTerm.objects.filter(Q(pk__in=ids) | Q(code__in=codes))
        .filter(taxonomy_id=NEED_AREAS_ID)
        .filter(Q(scheme__isnull=True) | Q(scheme_id=membership.scheme_id))
    )


SMALL_NUMBER = 3


def unmet_needs(*, membership: Membership) -> list[dict]:
    """Open unmet needs of the scheme's open cases, for the gap report: people counted by need
    area, place and reason, no one named, and only people who agree, now, to be counted in
    anonymised reports. Those without person data (commissioners) see a count under
    SMALL_NUMBER as "fewer than 3", so a small place cannot point to someone."""
    require(membership, Perm.REPORTS_VIEW)
    counted = Consent.objects.filter(
        person_id=OuterRef("case__person_id"),
        scope=ConsentScope.REPORTING,
        withdrawn_at__isnull=True,
    )
    rows = (
        UnmetNeed.objects.filter(scheme_id=membership.scheme_id, resolved_at__isnull=True)
        .exclude(case__status=CaseStatus.CLOSED)
        .filter(Exists(counted))
        .values("area__name", "place", "reason")
        .annotate(people=Count("case__person", distinct=True))
        .order_by("-people", "area__name", "place", "reason")
    )
    exact = can(membership, Perm.PERSON_DATA)
    found = []
    for row in rows:
        row["reason_label"] = UnmetNeed.Reason(row["reason"]).label
        small = not exact and row["people"] < SMALL_NUMBER
        row["people_shown"] = f"fewer than {SMALL_NUMBER}" if small else str(row["people"])
        found.append(row)
    return found


def decisions_for(case: Case) -> dict:
    """What the person decided about each directory service talked through: service id to
    decision (chosen, considering, declined)."""
    return dict(
        PlanSupport.objects.filter(case=case, service__isnull=False).values_list(
            "service_id", "decision"
        )
    )


def connections_by_service(case: Case) -> dict:
    """The latest connection of the case to each service (service id to Connection), so the
    list can say what became of it: an expired or declined referral means the next best."""
    from linkwell.connections.models import Connection

    latest = {}
    for connection in (
        Connection.objects.filter(case=case).select_related("service").order_by("created_at", "id")
    ):
        latest[connection.service_id] = connection
    return latest
