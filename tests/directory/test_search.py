"""The directory search shared by the Open Referral UK feed and the pages (search.py)."""

import datetime
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linkwell.directory import search
from linkwell.directory.models import Capacity, CostType, Service, ServiceStatus
from linkwell.directory.search import ServiceQuery, public_service_at_locations, public_services
from tests.directory.factories import (
    CENTRE,
    AttributeFactory,
    OrganizationFactory,
    ScheduleFactory,
    ServiceAtLocationFactory,
    ServiceFactory,
    TaxonomyTermFactory,
    default_term,
    listed_service,
)

pytestmark = pytest.mark.django_db


def names(queryset):
    return [s.name for s in queryset]


def test_only_active_or_temporarily_closed_public_services():
    ServiceFactory(name="Active")
    ServiceFactory(name="Paused for summer", status=ServiceStatus.TEMPORARILY_CLOSED)
    ServiceFactory(name="Inactive", status=ServiceStatus.INACTIVE)
    ServiceFactory(name="Closed for good", status=ServiceStatus.DEFUNCT)
    ServiceFactory(name="Private", is_public=False)
    assert names(public_services(ServiceQuery())) == ["Active", "Paused for summer"]


def test_text_matches_every_word_in_name_description_or_provider():
    ServiceFactory(name="Walking group", description="Gentle walks in the park")
    ServiceFactory(
        name="Coffee morning",
        description="A chat",
        organization=OrganizationFactory(name="Park Friends"),
    )
    ServiceFactory(name="Debt advice", description="Money help")
    assert names(public_services(ServiceQuery(text="PARK"))) == ["Coffee morning", "Walking group"]
    assert names(public_services(ServiceQuery(text="park walks"))) == ["Walking group"]
    assert names(public_services(ServiceQuery(text="park debt"))) == []


def test_taxonomy_terms_any_of_and_taxonomy():
    lonely = listed_service(name="Befriending", terms=("loneliness", "befriending"))
    listed_service(name="Gardening", terms=("nature-gardening",))
    other_term = TaxonomyTermFactory()
    imported = ServiceFactory(name="Imported")
    AttributeFactory(service=imported, taxonomy_term=other_term)

    by_term = ServiceQuery(taxonomy_term_ids=(default_term("loneliness").pk,))
    assert list(public_services(by_term)) == [lonely]
    either = ServiceQuery(
        taxonomy_term_ids=(str(default_term("loneliness").pk), default_term("nature-gardening").pk)
    )
    assert names(public_services(either)) == ["Befriending", "Gardening"]
    by_taxonomy = ServiceQuery(taxonomy_id=other_term.taxonomy_id)
    assert names(public_services(by_taxonomy)) == ["Imported"]


def test_an_attribute_on_another_kind_of_record_does_not_count():
    service = ServiceFactory(name="Lunch club")
    AttributeFactory(
        link_entity="organization", link_id=service.pk, taxonomy_term=default_term("food")
    )
    assert names(public_services(ServiceQuery(taxonomy_term_ids=(default_term("food").pk,)))) == []


def test_organisation_and_modified_after():
    trust = OrganizationFactory()
    ServiceFactory(name="Theirs", organization=trust)
    old = ServiceFactory(name="Old")
    Service.objects.filter(pk=old.pk).update(last_modified=timezone.now() - timedelta(days=30))
    assert names(public_services(ServiceQuery(organization_id=trust.pk))) == ["Theirs"]
    recent = ServiceQuery(modified_after=timezone.now() - timedelta(days=1))
    assert names(public_services(recent)) == ["Theirs"]


@pytest.mark.parametrize(
    ("minimum_age", "maximum_age", "expected"),
    [
        (70, 70, ["Any age", "Over 50s"]),
        (16, 16, ["Any age", "Young people"]),
        (20, 60, ["Any age"]),
        (20, None, ["Any age", "Young people"]),
        (None, 55, ["Any age", "Over 50s"]),
    ],
)
def test_a_persons_age_fits_the_services_range(minimum_age, maximum_age, expected):
    ServiceFactory(name="Any age")
    ServiceFactory(name="Over 50s", minimum_age=50)
    ServiceFactory(name="Young people", minimum_age=11, maximum_age=25)
    query = ServiceQuery(minimum_age=minimum_age, maximum_age=maximum_age)
    assert names(public_services(query)) == expected


def test_day_and_time_on_the_same_schedule():
    listed_service(
        name="Monday morning",
        byday="MO,WE",
        opens_at=datetime.time(10),
        closes_at=datetime.time(12),
    )
    listed_service(
        name="Tuesday evening",
        byday="TU",
        opens_at=datetime.time(18),
        closes_at=datetime.time(20),
    )
    monthly = ServiceFactory(name="First Tuesday")
    ScheduleFactory(service=monthly, freq="MONTHLY", byday="1TU", opens_at=datetime.time(9))

    assert names(public_services(ServiceQuery(day="tu"))) == ["First Tuesday", "Tuesday evening"]
    assert names(public_services(ServiceQuery(day="WE"))) == ["Monday morning"]
    evening = ServiceQuery(day="TU", start_time=datetime.time(17), end_time=datetime.time(19))
    assert names(public_services(evening)) == ["Tuesday evening"]
    # A moment: open at 10:00 exactly, not at 12:00 when it closes.
    at_ten = ServiceQuery(day="MO", start_time=datetime.time(10), end_time=datetime.time(10))
    assert names(public_services(at_ten)) == ["Monday morning"]
    at_noon = ServiceQuery(day="MO", start_time=datetime.time(12), end_time=datetime.time(12))
    assert names(public_services(at_noon)) == []
    # The day of one schedule and the time of another do not make a match.
    assert names(public_services(ServiceQuery(day="WE", start_time=datetime.time(19)))) == []


def test_a_schedule_kept_on_the_service_at_a_location_counts():
    place = ServiceAtLocationFactory(service__name="Drop-in")
    ScheduleFactory(service=None, service_at_location=place, byday="FR")
    assert names(public_services(ServiceQuery(day="FR"))) == ["Drop-in"]


def test_ways_of_taking_part_cost_and_capacity():
    ServiceFactory(name="Phone and online", by_phone=True, online=True)
    ServiceFactory(name="In person", in_person=True, cost_type=CostType.FEE)
    ServiceFactory(name="Home visits", home_visit=True, capacity=Capacity.FULL)
    assert names(public_services(ServiceQuery(by_phone=True, online=True))) == ["Phone and online"]
    assert names(public_services(ServiceQuery(in_person=True, by_phone=True))) == []
    assert names(public_services(ServiceQuery(free_only=True))) == [
        "Home visits",
        "Phone and online",
    ]
    assert names(public_services(ServiceQuery(cost_type=CostType.FEE))) == ["In person"]
    open_now = ServiceQuery(capacity=(Capacity.OPEN, Capacity.WAITING_LIST))
    assert names(public_services(open_now)) == ["In person", "Phone and online"]


def test_nearest_first_within_the_radius():
    lat, lon = CENTRE
    listed_service(name="Two km north", at=(lat + 0.018, lon))
    listed_service(name="Next door", at=(lat + 0.001, lon))
    listed_service(name="Coventry", at=(52.4068, -1.5197))  # about 27 km away
    listed_service(name="Online only", at=None)

    within = public_services(ServiceQuery(latitude=lat, longitude=lon, proximity_m=5000))
    assert names(within) == ["Next door", "Two km north"]
    assert within[0].distance_m == pytest.approx(111, abs=2)
    assert within[1].distance_m == pytest.approx(2001, abs=10)

    everywhere = public_services(ServiceQuery(latitude=lat, longitude=lon))
    assert names(everywhere) == ["Next door", "Two km north", "Coventry", "Online only"]
    assert everywhere[2].distance_m == pytest.approx(26_900, rel=0.02)
    assert everywhere[3].distance_m is None


def test_a_service_at_two_places_is_as_near_as_its_nearest():
    lat, lon = CENTRE
    service = listed_service(name="Two places", at=(lat + 0.09, lon))  # 10 km
    near = ServiceAtLocationFactory(service=service, location__latitude=lat + 0.01)
    near.location.longitude = lon
    near.location.save()
    found = list(public_services(ServiceQuery(latitude=lat, longitude=lon, proximity_m=3000)))
    assert found == [service]
    assert found[0].distance_m == pytest.approx(1112, abs=10)


def test_service_at_locations_near_a_point():
    lat, lon = CENTRE
    listed_service(name="Near", at=(lat + 0.002, lon), terms=("food",))
    listed_service(name="Far", at=(lat + 0.2, lon), terms=("food",))
    listed_service(name="Near but private", at=(lat, lon), is_public=False)
    places = public_service_at_locations(
        ServiceQuery(latitude=lat, longitude=lon, proximity_m=5000)
    )
    assert [p.service.name for p in places] == ["Near"]
    food = ServiceQuery(taxonomy_term_ids=(default_term("food").pk,))
    assert [p.service.name for p in public_service_at_locations(food)] == ["Far", "Near"]


def test_bounding_box_holds_the_circle():
    south, north, west, east = search.bounding_box(52.48, -1.90, 10_000)
    assert south < 52.48 - 0.0899 and north > 52.48 + 0.0899
    assert west < -1.90 - 0.147 and east > -1.90 + 0.147
    assert search.bounding_box(89.95, 0, 50_000)[2:] == (-180.0, 180.0)


def test_one_query_however_many_services_match():
    lat, lon = CENTRE
    for n in range(12):
        listed_service(name=f"Group {n}", at=(lat + n * 0.001, lon), terms=("loneliness",))
    query = ServiceQuery(
        text="group",
        taxonomy_term_ids=(default_term("loneliness").pk,),
        day="MO",
        start_time=datetime.time(11),
        end_time=datetime.time(11),
        minimum_age=40,
        maximum_age=40,
        latitude=lat,
        longitude=lon,
        proximity_m=10_000,
    )
    with CaptureQueriesContext(connection) as captured:
        found = list(public_services(query))
    assert len(found) == 12
    assert len(captured) == 1


def test_apply_query_narrows_any_set_of_services():
    mine = ServiceFactory(name="Mine", is_public=False, status=ServiceStatus.INACTIVE)
    ServiceFactory(name="Other")
    visible = Service.objects.filter(pk=mine.pk)
    assert list(search.apply_query(visible, ServiceQuery(text="mine"))) == [mine]
