"""The open Open Referral UK feed at /oruk/: endpoints, filters, paging, CORS, errors, queries."""

import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from linkwell.directory.models import ServiceStatus
from linkwell.geo.models import Postcode
from tests.directory.factories import (
    CENTRE,
    AttributeFactory,
    OrganizationFactory,
    ServiceFactory,
    TaxonomyTermFactory,
    default_term,
    fully_described_service,
    listed_service,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return Client()


@pytest.fixture
def postcodes(settings):
    """A postcode table with Birmingham's centre and one more, looked up through linkwell.geo."""
    settings.GEO_POSTCODE_BACKEND = "table"
    Postcode.objects.create(
        postcode="B1 1AA", latitude=CENTRE[0], longitude=CENTRE[1], source="demo"
    )
    Postcode.objects.create(postcode="CV1 1AA", latitude=52.4068, longitude=-1.5197, source="demo")


def assert_envelope(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    assert body["message"]
    return body


def ids(response):
    return [item["id"] for item in response.json()["contents"]]


# GET / ------------------------------------------------------------------------------------


def test_api_details(api):
    response = api.get("/oruk/")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "HSDS-UK-3.0"
    assert body["profile"].startswith("https://")
    assert body["openapi_url"] == "http://testserver/oruk/openapi.json"
    assert api.get("/oruk/openapi.json").status_code == 200
    assert api.get("/oruk/docs").status_code == 200


# /services --------------------------------------------------------------------------------


def test_services_lists_only_public_active_or_temporarily_closed(api):
    shown = ServiceFactory(name="A walking group")
    closed_for_now = ServiceFactory(name="B lunch club", status=ServiceStatus.TEMPORARILY_CLOSED)
    ServiceFactory(name="C gone", status=ServiceStatus.DEFUNCT)
    ServiceFactory(name="D inactive", status=ServiceStatus.INACTIVE)
    ServiceFactory(name="E private", is_public=False)
    response = api.get("/oruk/services")
    assert response.status_code == 200
    assert ids(response) == [str(shown.pk), str(closed_for_now.pk)]
    item = response.json()["contents"][0]
    assert item["organization"]["id"] == str(shown.organization_id)
    assert "service_at_locations" not in item  # the list form has one-to-one fields only


def test_service_detail_is_fully_nested(api):
    service = fully_described_service(name="Walking for health")
    response = api.get(f"/oruk/services/{service.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(service.pk)
    assert body["status"] == "active"
    assert body["minimum_age"] == 18
    assert "maximum_age" not in body  # empty fields are left out, never null
    assert body["assured_date"] == "2026-01-05"
    assert body["last_modified"].endswith("Z")
    assert body["organization"]["organization_identifiers"][0]["identifier_type"]
    assert body["program"]["name"]
    [place] = body["service_at_locations"]
    assert place["location"]["latitude"] == pytest.approx(CENTRE[0])
    assert place["location"]["addresses"][0]["postal_code"] == "B1 1AA"
    assert place["location"]["accessibility"][0]["description"]
    assert place["location"]["phones"][0]["number"]
    [schedule] = body["schedules"]
    assert (schedule["byday"], schedule["opens_at"], schedule["closes_at"]) == (
        "MO",
        "10:00:00",
        "12:00:00",
    )
    assert body["cost_options"][0]["amount"] == 3.5
    assert body["phones"][0]["extension"] == 12
    assert body["phones"][0]["languages"][0]["code"] == "ur"
    assert body["languages"][0]["name"] == "Polish"
    assert body["contacts"][0]["name"]
    assert body["service_areas"][0]["name"] == "Birmingham"
    assert body["funding"][0]["source"]
    assert body["required_documents"][0]["document"]
    [attribute] = body["attributes"]
    assert attribute["taxonomy_term"]["name"] == "Loneliness and isolation"
    assert attribute["taxonomy_term"]["taxonomy_detail"]["name"] == "Linkwell need areas"


@pytest.mark.parametrize(
    "fields", [{"status": ServiceStatus.DEFUNCT}, {"status": "inactive"}, {"is_public": False}]
)
def test_unlisted_service_detail_is_404(api, fields):
    service = ServiceFactory(**fields)
    assert_envelope(api.get(f"/oruk/services/{service.pk}"), 404, "not_found")
    assert_envelope(api.get(f"/oruk/services/{uuid.uuid4()}"), 404, "not_found")


def test_services_full_and_minimal(api):
    service = fully_described_service(name="Walking for health")
    full = api.get("/oruk/services", {"full": "true"}).json()["contents"][0]
    assert full["attributes"][0]["taxonomy_term_id"] == str(default_term("loneliness").pk)
    assert full["service_at_locations"][0]["location"]["addresses"]
    minimal = api.get("/oruk/services", {"minimal": "true"}).json()["contents"][0]
    assert set(minimal) == {"id", "name", "status", "last_modified"}
    assert minimal["id"] == str(service.pk)


def test_services_filters_combine_with_and(api):
    lonely_walks = listed_service(name="Walking and talking", terms=("loneliness",))
    listed_service(name="Walking football", terms=("physical-activity",))
    listed_service(name="Phone friends", terms=("loneliness",))
    loneliness = default_term("loneliness").pk
    response = api.get("/oruk/services", {"search": "walking", "taxonomy_term_id": loneliness})
    assert ids(response) == [str(lonely_walks.pk)]
    assert response.json()["total_items"] == 1


def test_services_filter_by_taxonomy_organization_age_day_time(api):
    term = TaxonomyTermFactory()
    trust = OrganizationFactory()
    match = listed_service(
        name="Over 50s Tuesday", organization=trust, terms=(), minimum_age=50, byday="TU"
    )
    AttributeFactory(service=match, taxonomy_term=term)
    listed_service(name="Any age Monday", organization=trust, terms=())
    query = {
        "taxonomy_id": term.taxonomy_id,
        "organization_id": trust.pk,
        "minimum_age": 60,
        "maximum_age": 70,
        "day": "tu",
        "start_time": "11:00",
        "end_time": "11:30",
        "modified_after": "2020-01-01T00:00:00",
    }
    assert ids(api.get("/oruk/services", query)) == [str(match.pk)]
    assert ids(api.get("/oruk/services", {**query, "minimum_age": 40})) == []
    assert ids(api.get("/oruk/services", {**query, "day": "MO"})) == []
    assert (
        ids(api.get("/oruk/services", {**query, "start_time": "13:00", "end_time": "14:00"})) == []
    )


def test_paging_envelope(api):
    for n in range(5):
        ServiceFactory(name=f"Service {n:02d}")
    first = api.get("/oruk/services", {"per_page": 2}).json()
    assert {k: v for k, v in first.items() if k != "contents"} == {
        "total_items": 5,
        "total_pages": 3,
        "page_number": 1,
        "size": 2,
        "first_page": True,
        "last_page": False,
        "empty": False,
    }
    last = api.get("/oruk/services", {"per_page": 2, "page": 3}).json()
    assert (last["size"], last["first_page"], last["last_page"]) == (1, False, True)
    beyond = api.get("/oruk/services", {"per_page": 2, "page": 9}).json()
    assert (beyond["empty"], beyond["contents"], beyond["total_items"]) == (True, [], 5)
    names = [
        item["name"]
        for page in (1, 2, 3)
        for item in api.get("/oruk/services", {"per_page": 2, "page": page}).json()["contents"]
    ]
    assert names == [f"Service {n:02d}" for n in range(5)]


def test_empty_directory(api):
    body = api.get("/oruk/services").json()
    assert body["total_items"] == 0
    assert body["empty"] is True
    assert body["contents"] == []


# Bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "two"}, "page"),
        ({"per_page": "201"}, "per_page"),
        ({"per_page": "0"}, "per_page"),
        ({"taxonomy_term_id": "not-a-uuid"}, "taxonomy_term_id"),
        ({"taxonomy_id": "123"}, "taxonomy_id"),
        ({"organization_id": "x"}, "organization_id"),
        ({"modified_after": "yesterday"}, "modified_after"),
        ({"day": "Monday"}, "day"),
        ({"start_time": "25:00"}, "start_time"),
        ({"end_time": "noon"}, "end_time"),
        ({"minimum_age": "-3"}, "minimum_age"),
        ({"minimum_age": "40", "maximum_age": "20"}, "minimum_age"),
        ({"start_time": "14:00", "end_time": "10:00"}, "start_time"),
        ({"full": "perhaps"}, "full"),
    ],
)
def test_bad_service_filters_are_422_with_the_field(api, query, field):
    body = assert_envelope(api.get("/oruk/services", query), 422, "validation_error")
    assert field in body["fields"], body
    assert all(body["fields"][field])


def test_bad_day_says_what_to_send(api):
    body = assert_envelope(api.get("/oruk/services", {"day": "Fri"}), 422, "validation_error")
    assert body["fields"]["day"] == ["Use a two-letter day: MO, TU, WE, TH, FR, SA or SU."]


@pytest.mark.parametrize(
    "path",
    [
        "/oruk/services/not-a-uuid",
        "/oruk/taxonomies/123",
        "/oruk/taxonomy_terms/abc",
        "/oruk/service_at_locations/zzz",
    ],
)
def test_bad_ids_are_422(api, path):
    body = assert_envelope(api.get(path), 422, "validation_error")
    assert body["fields"]


# Taxonomies -------------------------------------------------------------------------------


def test_taxonomies(api):
    body = api.get("/oruk/taxonomies").json()
    names = [t["name"] for t in body["contents"]]
    assert names == ["Linkwell activity types", "Linkwell need areas"]
    need_areas = next(t for t in body["contents"] if t["name"] == "Linkwell need areas")
    detail = api.get(f"/oruk/taxonomies/{need_areas['id']}").json()
    assert "Loneliness and isolation" in [t["name"] for t in detail["taxonomy_terms"]]
    assert api.get("/oruk/taxonomies", {"search": "need"}).json()["total_items"] == 1
    assert_envelope(api.get(f"/oruk/taxonomies/{uuid.uuid4()}"), 404, "not_found")


def test_taxonomy_terms_filters(api):
    parent = TaxonomyTermFactory(name="Money")
    child = TaxonomyTermFactory(name="Debt", parent=parent, taxonomy=parent.taxonomy)
    by_taxonomy = api.get("/oruk/taxonomy_terms", {"taxonomy_id": parent.taxonomy_id}).json()
    assert [t["name"] for t in by_taxonomy["contents"]] == ["Debt", "Money"]
    children = api.get("/oruk/taxonomy_terms", {"parent_id": parent.pk})
    assert ids(children) == [str(child.pk)]
    top = api.get("/oruk/taxonomy_terms", {"taxonomy_id": parent.taxonomy_id, "top_only": True})
    assert ids(top) == [str(parent.pk)]
    everything = api.get("/oruk/taxonomy_terms", {"per_page": 200}).json()
    assert everything["total_items"] == 19 + 11 + 2
    found = api.get("/oruk/taxonomy_terms", {"search": "garden"}).json()["contents"]
    assert [t["name"] for t in found] == ["Nature and gardening"]
    detail = api.get(f"/oruk/taxonomy_terms/{child.pk}").json()
    assert detail["parent_id"] == str(parent.pk)
    assert detail["taxonomy_detail"]["id"] == str(parent.taxonomy_id)
    assert_envelope(api.get(f"/oruk/taxonomy_terms/{uuid.uuid4()}"), 404, "not_found")


# /service_at_locations --------------------------------------------------------------------


def test_service_at_locations_near_a_postcode(api, postcodes):
    lat, lon = CENTRE
    near = listed_service(name="Near", at=(lat + 0.005, lon))
    nearer = listed_service(name="Nearer", at=(lat + 0.001, lon))
    listed_service(name="Far", at=(52.41, -1.53))  # in Coventry, 25 km away
    listed_service(name="Private", at=(lat, lon), is_public=False)
    response = api.get("/oruk/service_at_locations", {"postcode": "b11aa", "proximity": 5000})
    assert response.status_code == 200
    services = [item["service"]["id"] for item in response.json()["contents"]]
    assert services == [str(nearer.pk), str(near.pk)]
    item = response.json()["contents"][0]
    assert item["location"]["latitude"] == pytest.approx(lat + 0.001)
    assert "addresses" not in item["location"]  # the list form
    everything = api.get("/oruk/service_at_locations", {"postcode": "B1 1AA"}).json()
    assert [i["service"]["name"] for i in everything["contents"]] == ["Nearer", "Near", "Far"]
    from_coventry = api.get("/oruk/service_at_locations", {"postcode": "CV1 1AA"}).json()
    assert from_coventry["contents"][0]["service"]["name"] == "Far"


def test_service_at_locations_filters_and_full(api, postcodes):
    walking = listed_service(name="Walking group", terms=("physical-activity",))
    listed_service(name="Book club", terms=("learning",))
    response = api.get(
        "/oruk/service_at_locations",
        {"search": "walking", "postcode": "B1 1AA", "proximity": 1000, "full": "true"},
    )
    [item] = response.json()["contents"]
    assert item["service"]["id"] == str(walking.pk)
    assert item["service"]["attributes"][0]["taxonomy_term"]["name"] == "Physical activity"
    assert item["location"]["addresses"][0]["postal_code"] == "B1 1AA"


@pytest.mark.parametrize(
    ("query", "status", "code", "field"),
    [
        ({"postcode": "not a postcode"}, 400, "postcode.invalid", "postcode"),
        ({"postcode": "ZZ99 9ZZ"}, 400, "postcode.invalid", "postcode"),
        ({"postcode": "B2 4QA"}, 400, "postcode.unknown", "postcode"),
        ({"postcode": "B1 1AA", "proximity": "0"}, 422, "validation_error", "proximity"),
        ({"postcode": "B1 1AA", "proximity": "far"}, 422, "validation_error", "proximity"),
        ({"postcode": "B1 1AA", "proximity": "200001"}, 422, "validation_error", "proximity"),
        ({"proximity": "5000"}, 422, "validation_error", "proximity"),
    ],
)
def test_bad_postcode_or_proximity(api, postcodes, query, status, code, field):
    body = assert_envelope(api.get("/oruk/service_at_locations", query), status, code)
    assert body["fields"][field]


def test_service_at_location_detail(api):
    service = fully_described_service(name="Walking for health")
    place = service.service_at_locations.get()
    body = api.get(f"/oruk/service_at_locations/{place.pk}").json()
    assert body["service"]["id"] == str(service.pk)
    assert body["location"]["addresses"][0]["city"] == "Birmingham"
    hidden = listed_service(name="Gone", status=ServiceStatus.DEFUNCT)
    hidden_place = hidden.service_at_locations.get()
    assert_envelope(api.get(f"/oruk/service_at_locations/{hidden_place.pk}"), 404, "not_found")


# Openness ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/oruk/", "/oruk/services", "/oruk/taxonomies", "/oruk/services/not-a-uuid"]
)
def test_every_answer_allows_any_origin(api, path):
    response = api.get(path, HTTP_ORIGIN="https://council.example.test")
    assert response["Access-Control-Allow-Origin"] == "*"


def test_cors_preflight(api):
    response = api.options(
        "/oruk/services",
        HTTP_ORIGIN="https://council.example.test",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="accept",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response["Access-Control-Allow-Methods"]
    assert response["Access-Control-Allow-Headers"] == "accept"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_read_only(api, method):
    response = getattr(api, method)("/oruk/services", data={}, content_type="application/json")
    assert_envelope(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, OPTIONS"


def test_no_sign_in_needed_and_signed_in_users_see_the_same(api, client_as):
    ServiceFactory()
    anonymous = api.get("/oruk/services").json()
    assert anonymous["total_items"] == 1
    assert client_as().get("/oruk/services").json() == anonymous


# Queries ----------------------------------------------------------------------------------


def _queries(client, path, params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params)
    assert response.status_code == 200, response.content
    return len(captured), response.json()


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/oruk/services", {}),
        ("/oruk/services", {"full": "true"}),
        ("/oruk/services", {"minimal": "true"}),
        ("/oruk/services", {"search": "group", "taxonomy_term_id": "TERM", "day": "MO"}),
        ("/oruk/service_at_locations", {}),
        ("/oruk/service_at_locations", {"full": "true"}),
        ("/oruk/service_at_locations", {"postcode": "B1 1AA", "proximity": "20000"}),
        ("/oruk/service_at_locations", {"postcode": "B1 1AA", "full": "true"}),
    ],
)
def test_query_count_does_not_grow_with_the_number_of_services(api, postcodes, path, params):
    params = {
        k: str(default_term("loneliness").pk) if v == "TERM" else v for k, v in params.items()
    }

    def add(count, start):
        lat, lon = CENTRE
        for n in range(start, start + count):
            fully_described_service(name=f"Group {n}", at=(lat + n * 0.001, lon))

    add(3, 0)
    few, body = _queries(api, path, params)
    assert body["total_items"] == 3
    add(27, 3)
    many, body = _queries(api, path, params)
    assert body["total_items"] == 30
    assert many == few


# Serialising (hsds.py) --------------------------------------------------------------------


def test_services_for_hsds_attaches_terms_by_chunk_in_iterator():
    from linkwell.directory.hsds import service_to_hsds, services_for_hsds
    from linkwell.directory.models import Service

    for n in range(5):
        fully_described_service(name=f"Group {n}")

    def export(chunk_size):
        rows = services_for_hsds(Service.objects.order_by("name")).iterator(chunk_size=chunk_size)
        with CaptureQueriesContext(connection) as captured:
            exported = [service_to_hsds(s) for s in rows]
        return exported, len(captured)

    exported, in_three_chunks = export(2)
    assert [len(s["attributes"]) for s in exported] == [1] * 5
    _, in_one_chunk = export(10)
    assert in_three_chunks <= 3 * in_one_chunk  # a fixed number of queries a chunk


def test_service_to_hsds_refuses_a_service_loaded_without_its_terms():
    from linkwell.directory.hsds import service_to_hsds
    from linkwell.directory.models import Service

    service = fully_described_service()
    loaded = Service.objects.get(pk=service.pk)
    assert service_to_hsds(loaded, full=False)["name"] == service.name
    with pytest.raises(ValueError, match="services_for_hsds"):
        service_to_hsds(loaded)
