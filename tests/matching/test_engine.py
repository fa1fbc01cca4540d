"""The ranking engine on small directories built for each test."""

import datetime
import math
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linkwell.directory.models import Capacity, Service, ServiceStatus
from linkwell.directory.taxonomy import NEED_AREAS, term_id
from linkwell.matching import engine
from linkwell.matching.models import ServiceTrackRecord, UnmetNeed
from linkwell.matching.profile import MatchProfile, NeedWanted
from linkwell.matching.services import match_text_refresh
from tests.directory.factories import listed_service

HOME = (52.48, -1.90)  # the middle of the demo town, postcode district RV1
NAMES = dict(NEED_AREAS)


def east(km: float, of: tuple[float, float] = HOME) -> tuple[float, float]:
    """The point `km` kilometres east of `of`."""
    return (of[0], of[1] + km / (111.32 * math.cos(math.radians(of[0]))))


def need(code: str, severity: int = 2) -> NeedWanted:
    return NeedWanted(area_id=term_id(code), code=code, name=NAMES[code], severity=severity)


def person(*codes: str, **fields) -> MatchProfile:
    fields.setdefault("latitude", HOME[0])
    fields.setdefault("longitude", HOME[1])
    fields.setdefault("postcode", "RV1 1AA")
    fields.setdefault("age", 40)
    return MatchProfile(needs=tuple(need(c) for c in codes), **fields)


def match(profile: MatchProfile, scheme, **kwargs) -> engine.MatchResult:
    return engine.match_services(Service.objects.all(), profile, scheme_id=scheme.pk, **kwargs)


def names(result: engine.MatchResult) -> list[str]:
    return [m.name for m in result.matches]


def why(result: engine.MatchResult, name: str) -> str:
    return next(n.why for n in result.near_misses if n.name == name)


def service(name: str, *, terms=("loneliness",), at=HOME, **fields) -> Service:
    fields.setdefault("in_person", True)
    fields.setdefault("last_verified_at", datetime.datetime.now(datetime.UTC))
    return listed_service(name=name, terms=terms, at=at, **fields)


# --- Needs, words and distance -----------------------------------------------------------------


def test_a_service_meeting_two_needs_ranks_above_one_meeting_one(scheme):
    service("Walking group", terms=("physical-activity",))
    service("Walk and talk", terms=("physical-activity", "loneliness"))
    result = match(person("loneliness", "physical-activity"), scheme)
    assert names(result) == ["Walk and talk", "Walking group"]
    assert result.matches[0].needs_met == ["Loneliness and isolation", "Physical activity"]
    first, second = ({b["factor"]: b["value"] for b in m.breakdown}["need"] for m in result.matches)
    assert first == 1.0 and second == pytest.approx(0.5)


def test_nearer_beats_farther_for_someone_walking(scheme):
    service("Far lunch club", at=east(1.8))
    service("Near lunch club", at=east(0.3))
    result = match(person("loneliness", travel="walk"), scheme)
    assert names(result) == ["Near lunch club", "Far lunch club"]
    assert result.matches[0].distance_miles < result.matches[1].distance_miles


def test_scared_of_falling_reaches_a_strength_and_balance_class(scheme):
    service(
        "Strength and balance",
        terms=("physical-activity",),
        description="Gentle exercises to build strength and steadiness.",
    )
    service("Five-a-side football", terms=("physical-activity",), description="Weekly games.")
    match_text_refresh()
    result = match(person("physical-activity", words="scared of falling since my hip"), scheme)
    assert names(result)[0] == "Strength and balance"
    text_of = {
        m.name: {b["factor"]: b["value"] for b in m.breakdown}["text"] for m in result.matches
    }
    # Reached through synonyms only (strength, balance, steadiness at half weight each), so
    # it counts for a little less than a match in the person's own words would.
    assert text_of["Strength and balance"] == 0.75
    assert text_of["Five-a-side football"] == 0.0


# --- Hard filters and near-misses --------------------------------------------------------------


def test_online_only_is_a_near_miss_offline_and_a_match_with_a_device_loan(scheme):
    service("Online peer support", terms=("mental-wellbeing",), in_person=False, online=True)
    offline = match(person("mental-wellbeing", digital_access=False), scheme)
    assert names(offline) == []
    assert why(offline, "Online peer support") == "online only"

    loan = match(person("mental-wellbeing", digital_access=False, device_loan_planned=True), scheme)
    assert names(loan) == ["Online peer support"]
    assert loan.matches[0].ways == ["online"]


def test_a_full_service_is_a_near_miss(scheme):
    service("Lunch club", capacity=Capacity.FULL)
    result = match(person("loneliness"), scheme)
    assert names(result) == []
    assert why(result, "Lunch club") == "full"


def test_a_waiting_list_is_left_out_when_the_person_will_not_wait(scheme):
    service("Counselling", terms=("mental-wellbeing",), capacity=Capacity.WAITING_LIST)
    wont = match(person("mental-wellbeing", accept_waiting_list=False), scheme)
    assert names(wont) == []
    assert why(wont, "Counselling") == "waiting list only"
    will = match(person("mental-wellbeing", accept_waiting_list=True), scheme)
    assert names(will) == ["Counselling"]


def test_too_far_names_the_distance_in_miles(scheme):
    service("Allotment group", terms=("nature-gardening",), at=east(4.0))
    result = match(person("nature-gardening", travel="walk"), scheme)
    assert names(result) == []
    said = why(result, "Allotment group")
    assert re.fullmatch(r"too far \(\d+\.\d miles\)", said), said
    assert said == "too far (2.5 miles)"


def test_area_served_by_district_leaves_out_someone_elsewhere(scheme):
    service("Tenants' advice", terms=("housing",), area_served="RV1, RV2")
    elsewhere = match(person("housing", postcode="RV5 1AA"), scheme)
    assert names(elsewhere) == []
    assert why(elsewhere, "Tenants' advice") == "only for RV1, RV2"
    inside = match(person("housing", postcode="RV2 1AA"), scheme)
    assert names(inside) == ["Tenants' advice"]


def test_an_area_served_in_words_or_by_a_larger_district_is_read_right(scheme):
    service("UK helpline", terms=("housing",), area_served="UK", by_phone=True)
    service("City advice", terms=("housing",), area_served="EC1")
    service("Not ours", terms=("housing",), area_served="EC10")
    result = match(person("housing", postcode="EC1A 1BB"), scheme)
    # "UK" names a place, not a postcode district; EC1 covers EC1A, EC10 does not.
    assert set(names(result)) == {"UK helpline", "City advice"}
    assert why(result, "Not ours") == "only for EC10"


def test_temporarily_closed_is_a_near_miss(scheme):
    service("Art group", terms=("arts-creativity",), status=ServiceStatus.TEMPORARILY_CLOSED)
    service("Gone art group", terms=("arts-creativity",), status=ServiceStatus.DEFUNCT)
    result = match(person("arts-creativity"), scheme)
    assert names(result) == []
    assert [(n.name, n.why) for n in result.near_misses] == [("Art group", "temporarily closed")]


def test_an_adults_service_is_not_offered_to_a_teenager(scheme):
    service("Adults' lunch club", minimum_age=18)
    service("Youth club", minimum_age=11, maximum_age=18)
    assert names(match(person("loneliness", age=14), scheme)) == ["Youth club"]


def test_far_service_with_a_phone_line_is_not_in_person(scheme):
    service("Debt advice", terms=("money-debt",), at=east(10.0), by_phone=True)
    result = match(person("money-debt", travel="walk", ways=frozenset({"in_person"})), scheme)
    assert names(result) == []
    assert why(result, "Debt advice").startswith("too far")


# --- Scoring -----------------------------------------------------------------------------------


def test_a_schedule_that_fits_raises_the_score_and_the_reason_names_the_day(scheme):
    service("Tuesday group", byday="TU")
    service("Saturday group", byday="SA")
    result = match(
        person("loneliness", days=frozenset({"TU"}), times=frozenset({"morning"})), scheme
    )
    assert names(result) == ["Tuesday group", "Saturday group"]
    fits, misses = result.matches
    assert fits.score > misses.score
    assert "Tuesday" in fits.reasons
    schedule = [{b["factor"]: b["value"] for b in m.breakdown}["schedule"] for m in result.matches]
    assert schedule == [1.0, 0.0]


def test_a_weight_of_zero_removes_a_factor(scheme):
    service("Near group", at=east(0.2))
    service("Far group", at=east(2.0))
    profile = person("loneliness", travel="walk")
    weighted = match(profile, scheme)
    assert weighted.matches[0].score > weighted.matches[1].score

    weights = dict(engine.DEFAULT_WEIGHTS, distance=0.0)
    unweighted = match(profile, scheme, weights=weights)
    assert unweighted.matches[0].score == unweighted.matches[1].score
    for m in unweighted.matches:
        distance = next(b for b in m.breakdown if b["factor"] == "distance")
        assert distance["points"] == 0.0


def test_track_record_shrinks_one_success_toward_the_scheme_average(scheme):
    once = service("Tried once")
    proven = service("Twenty of twenty-five")
    usual = service("Usual")
    for s, offered, taken in ((once, 1, 1), (proven, 25, 20), (usual, 60, 12)):
        ServiceTrackRecord.objects.create(scheme=scheme, service=s, offered=offered, taken_up=taken)
    only_record = {f: 0.0 for f in engine.DEFAULT_WEIGHTS} | {"track_record": 1.0}
    result = match(person("loneliness"), scheme, weights=only_record)
    assert names(result) == ["Twenty of twenty-five", "Tried once", "Usual"]
    record = {
        m.name: {b["factor"]: b["value"] for b in m.breakdown}["track_record"]
        for m in result.matches
    }
    average = (1 + 20 + 12) / (1 + 25 + 60)
    assert record["Tried once"] == pytest.approx((1 + 5 * average) / (1 + 5), abs=1e-3)
    assert record["Tried once"] < record["Twenty of twenty-five"]
    assert "chosen by 20 of 25" in result.matches[0].reasons


# --- Unmet needs -------------------------------------------------------------------------------


def test_unmet_needs_say_why(scheme):
    service("Allotments", terms=("nature-gardening",), at=east(4.0))
    service("Food bank", terms=("food",), capacity=Capacity.FULL)
    service("Lunch club", terms=("loneliness",))
    result = match(
        person("loneliness", "nature-gardening", "food", "housing", travel="walk"), scheme
    )
    assert names(result) == ["Lunch club"]
    reasons = {u.need.code: u.reason for u in result.unmet}
    assert reasons == {
        "nature-gardening": UnmetNeed.Reason.TOO_FAR,
        "food": UnmetNeed.Reason.FULL,
        "housing": UnmetNeed.Reason.NOTHING_LISTED,
    }


# --- Cost --------------------------------------------------------------------------------------


def test_query_count_does_not_grow_with_the_directory(scheme):
    for i in range(5):
        service(f"Group {i}", at=east(0.1 * i))
    profile = person("loneliness", days=frozenset({"MO"}))
    with CaptureQueriesContext(connection) as five:
        assert len(match(profile, scheme).matches) == 5
    for i in range(5, 50):
        service(f"Group {i}", at=east(0.02 * i))
    with CaptureQueriesContext(connection) as fifty:
        assert len(match(profile, scheme).matches) == 10
    assert len(fifty.captured_queries) == len(five.captured_queries)


# --- Step-free access ----------------------------------------------------------------------------


def test_someone_needing_step_free_access_is_offered_step_free_places_only(scheme):
    from tests.directory.factories import AccessibilityFactory

    level = service("Level lunch club")
    stepped = service("Upstairs lunch club")
    phone = service("Stepped but rings you", by_phone=True)
    AccessibilityFactory(location=level.service_at_locations.get().location)
    for listing in (stepped, phone):
        AccessibilityFactory(
            location=listing.service_at_locations.get().location,
            description="Two steps at the door.",
        )
    result = match(person("loneliness", step_free=True), scheme)
    assert names(result) == ["Level lunch club", "Stepped but rings you"]
    assert result.matches[0].reasons.startswith("0.1 miles by bus, step-free")
    assert result.matches[1].ways == ["by_phone"]
    assert why(result, "Upstairs lunch club") == "no step-free access listed"
    # Without the need, the place with steps is as good as the other.
    assert len(match(person("loneliness"), scheme).matches) == 3


def test_distance_for_someone_needing_step_free_access_is_to_a_step_free_place(scheme):
    from tests.directory.factories import (
        AccessibilityFactory,
        LocationFactory,
        ServiceAtLocationFactory,
    )

    club = service("Two-site club", at=east(0.5))
    AccessibilityFactory(
        location=club.service_at_locations.get().location, description="Stairs only."
    )
    far = LocationFactory(organization=club.organization, latitude=HOME[0], longitude=east(9)[1])
    ServiceAtLocationFactory(service=club, location=far)
    AccessibilityFactory(location=far)
    result = match(person("loneliness", step_free=True, travel="bus"), scheme)
    assert result.matches[0].distance_miles == pytest.approx(9 / 1.609344, abs=0.1)


def test_a_schedule_with_no_days_says_nothing_about_when(scheme):
    service("By appointment", byday="")
    result = match(person("loneliness", days=frozenset({"TU"})), scheme)
    schedule = {b["factor"]: b["value"] for b in result.matches[0].breakdown}["schedule"]
    assert schedule == 0.4
