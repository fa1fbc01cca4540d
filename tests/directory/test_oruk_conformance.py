"""Conformance: every /oruk/ endpoint's answer validates against the published ORUK 3.0 schemas.

The schemas are the Open Referral UK validator's compiled set, kept (not in this repository: they
are CC BY-SA) in `../shared/standards/oruk-3.0/` beside the work tree. Without that folder this
module is skipped, saying so.

Two things about those files shape the checks:

- They declare no `$schema`, so they are read as JSON Schema 2020-12 (the dialect of the HSDS
  3.0 OpenAPI). Each is given its own file URI as `$id`, so internal references resolve, and the
  profile's OpenAPI `$ref`s to the published copies resolve to the local files.
- The list schemas put the paging envelope under a key named `Page` inside `allOf`, which JSON
  Schema ignores; so the envelope is also checked on its own, every field required.

Formats are checked too: `uuid`, `email` and `date` by jsonschema, `uri` and `date-time` here.
"""

import copy
import datetime
import json
from datetime import datetime as DateTime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.validators import validator_for
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from linkwell.directory.models import Location, ServiceStatus
from tests.directory.factories import (
    AddressFactory,
    LocationFactory,
    ServiceAtLocationFactory,
    ServiceFactory,
    TaxonomyTermFactory,
    fully_described_service,
    listed_service,
)

SCHEMA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "standards" / "oruk-3.0"

PUBLISHED = "https://raw.githubusercontent.com/tpximpact/OpenReferralApi/refs/heads/main/OpenReferralApi/Schemas/V3.0-UK/"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not SCHEMA_DIR.is_dir(),
        reason=f"The ORUK 3.0 schemas are not at {SCHEMA_DIR} (they live in ../shared/standards/, "
        "beside the work tree, not in the repository); conformance is not checked.",
    ),
]


def _load_registry() -> tuple[Registry, dict[str, dict]]:
    schemas: dict[str, dict] = {}
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        if path.name == "open_api.json":
            continue
        schema = json.loads(path.read_text())
        schema = {**schema, "$id": path.resolve().as_uri()}
        schemas[path.stem] = schema
        resource = Resource.from_contents(schema, default_specification=DRAFT202012)
        resources.append((schema["$id"], resource))
        resources.append((PUBLISHED + path.name, resource))
    return Registry().with_resources(resources), schemas


REGISTRY, SCHEMAS = _load_registry()

FORMATS = FormatChecker()


@FORMATS.checks("uri", raises=ValueError)
def _is_uri(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and (parts.netloc or parts.path)) and " " not in value


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    return DateTime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


def page_schema(list_schema: dict) -> dict:
    """The paging envelope a list schema means, as a schema that requires every field."""
    page = copy.deepcopy(list_schema["allOf"][0]["Page"])
    page["required"] = sorted(page["properties"])
    page["properties"]["contents"] = {"type": "array"}
    page["required"].append("contents")
    return page


def validate(instance, schema_name: str) -> None:
    """Raise the first schema error (with where it is) if `instance` does not conform."""
    schema = SCHEMAS[schema_name]
    validator_class = validator_for(schema, default=Draft202012Validator)
    validator = validator_class(schema, registry=REGISTRY, format_checker=FORMATS)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{schema_name}: {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in errors[:10]
    )
    if "allOf" in schema and "Page" in schema["allOf"][0]:
        envelope = validator_class(page_schema(schema), format_checker=FORMATS)
        assert not list(envelope.iter_errors(instance)), list(envelope.iter_errors(instance))


@pytest.fixture
def directory(settings):
    """A small directory with every shape of record the feed can send: a fully described
    listing, a bare one, one online only (a virtual location, no coordinates), one temporarily
    closed, a nested taxonomy term, and a postcode to search from."""
    from linkwell.geo.models import Postcode

    settings.GEO_POSTCODE_BACKEND = "table"
    Postcode.objects.create(postcode="B1 1AA", latitude=52.4797, longitude=-1.9026, source="demo")
    full = fully_described_service(name="Walking for health", terms=("loneliness", "befriending"))
    bare = ServiceFactory(name="Bare", description="", organization__description="")
    online = ServiceFactory(name="Online group")
    virtual = LocationFactory(
        organization=online.organization,
        location_type=Location.Type.VIRTUAL,
        latitude=None,
        longitude=None,
        url="https://meet.example.test/group",
    )
    ServiceAtLocationFactory(service=online, location=virtual)
    closed = listed_service(
        name="Lunch club", status=ServiceStatus.TEMPORARILY_CLOSED, terms=("food",)
    )
    AddressFactory(location=closed.service_at_locations.get().location, state_province="")
    parent = TaxonomyTermFactory(name="Money")
    TaxonomyTermFactory(name="Debt", parent=parent, taxonomy=parent.taxonomy)
    return {"full": full, "bare": bare, "online": online, "parent": parent}


def get(path, params=None):
    response = Client().get(path, params or {})
    assert response.status_code == 200, (path, response.content)
    return response.json()


def test_schemas_are_there_and_readable():
    for name in (
        "api_details",
        "service",
        "service_list",
        "service_at_location",
        "service_at_location_list",
        "taxonomy",
        "taxonomy_list",
        "taxonomy_term",
        "taxonomy_term_list",
        "empy_list_response",
    ):
        schema = SCHEMAS[name]
        validator_for(schema, default=Draft202012Validator).check_schema(schema)


def test_api_details_conforms():
    validate(get("/oruk/"), "api_details")


@pytest.mark.parametrize(
    "params",
    [{}, {"per_page": 2}, {"per_page": 2, "page": 2}, {"minimal": "true"}, {"search": "walk"}],
)
def test_services_list_conforms(directory, params):
    body = get("/oruk/services", params)
    assert body["contents"]
    validate(body, "service_list")


def test_services_full_list_conforms_item_by_item(directory):
    body = get("/oruk/services", {"full": "true"})
    validate(body, "service_list")
    assert len(body["contents"]) == 4
    for item in body["contents"]:
        validate(item, "service")


def test_service_detail_conforms(directory):
    for key in ("full", "bare", "online"):
        body = get(f"/oruk/services/{directory[key].pk}")
        validate(body, "service")
    full = get(f"/oruk/services/{directory['full'].pk}")
    assert full["attributes"] and full["service_at_locations"][0]["location"]["addresses"]


def test_empty_list_conforms(directory):
    body = get("/oruk/services", {"search": "nothing-matches-this"})
    assert body["empty"] is True
    validate(body, "empy_list_response")
    validate(body, "service_list")


def test_taxonomies_conform(directory):
    body = get("/oruk/taxonomies")
    validate(body, "taxonomy_list")
    for item in body["contents"]:
        validate(get(f"/oruk/taxonomies/{item['id']}"), "taxonomy")


def test_taxonomy_terms_conform(directory):
    body = get("/oruk/taxonomy_terms", {"per_page": 200})
    validate(body, "taxonomy_term_list")
    assert body["total_items"] >= 30
    for item in body["contents"][:5]:
        validate(get(f"/oruk/taxonomy_terms/{item['id']}"), "taxonomy_term")
    children = get("/oruk/taxonomy_terms", {"parent_id": directory["parent"].pk})
    validate(children, "taxonomy_term_list")


@pytest.mark.parametrize(
    "params",
    [{}, {"postcode": "B1 1AA", "proximity": 5000}, {"postcode": "B1 1AA"}, {"per_page": 1}],
)
def test_service_at_locations_list_conforms(directory, params):
    body = get("/oruk/service_at_locations", params)
    assert body["contents"]
    validate(body, "service_at_location_list")


def test_service_at_locations_full_list_and_detail_conform(directory):
    body = get("/oruk/service_at_locations", {"full": "true"})
    validate(body, "service_at_location_list")
    for item in body["contents"]:
        validate(item, "service_at_location")
        validate(get(f"/oruk/service_at_locations/{item['id']}"), "service_at_location")


def test_dates_and_numbers_have_the_profiles_types(directory):
    body = get(f"/oruk/services/{directory['full'].pk}")
    assert datetime.date.fromisoformat(body["assured_date"])
    assert DateTime.fromisoformat(body["last_modified"].replace("Z", "+00:00"))
    assert isinstance(body["cost_options"][0]["amount"], int | float)
    assert isinstance(body["service_at_locations"][0]["location"]["latitude"], float)


def test_a_broken_answer_would_fail():
    """The checks above can fail: a service without a status, or with a bad id, does not pass."""
    with pytest.raises(AssertionError):
        validate({"id": "not-a-uuid", "name": "x", "status": "active"}, "service")
    with pytest.raises(AssertionError):
        validate({"id": "0b6e1c8a-1b0f-4c57-8f59-1d7c3f4b7b11", "name": "x"}, "service")
    with pytest.raises(AssertionError):
        validate({"contents": []}, "service_list")  # no paging envelope
