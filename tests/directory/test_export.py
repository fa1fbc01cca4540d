"""Exporting the directory as HSDS JSON and as an HSDS tabular data package, and importing
either back: the same services come out the other side."""

import csv
import datetime
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from linkwell.directory import taxonomy
from linkwell.directory.hsds import service_to_hsds, services_for_hsds
from linkwell.directory.importer import import_directory
from linkwell.directory.importer.tables import TABLES, UNKEPT_TABLES
from linkwell.directory.models import (
    Attribute,
    Location,
    Organization,
    Service,
    ServiceStatus,
    Taxonomy,
    TaxonomyTerm,
)
from tests.directory.factories import (
    AttributeFactory,
    ContactFactory,
    FundingFactory,
    LanguageFactory,
    PhoneFactory,
    ScheduleFactory,
    TaxonomyTermFactory,
    fully_described_service,
    listed_service,
)
from tests.directory.import_factories import EXAMPLES, NO_EXAMPLES

pytestmark = pytest.mark.django_db

DEFAULT_TAXONOMIES = (taxonomy.NEED_AREAS_ID, taxonomy.ACTIVITY_TYPES_ID)
# Fields Linkwell sets itself when it writes a record, which no export carries.
CLOCK_FIELDS = {"created_at", "updated_at", "last_modified"}


@pytest.fixture
def directory():
    """A directory with one of everything: two typical listings and one that has all HSDS
    nests, Linkwell's own fields set, and records the nested form has no place for."""
    walk = fully_described_service(
        name="Walking for health",
        capacity="waiting_list",
        typical_wait_weeks=4,
        in_person=True,
        cost_type="fee",
        fee_amount=Decimal("2.50"),
        referral_route="email",
        referral_email="walks@trust.example.test",
    )
    listed_service(name="Knit and natter", terms=("loneliness", "arts-creativity"))
    listed_service(name="Debt advice drop-in", terms=("money-debt",), at=None)
    custom = TaxonomyTermFactory(name="Singing")
    AttributeFactory(service=walk, taxonomy_term=custom)
    place = walk.service_at_locations.get()
    ScheduleFactory(service=None, location=place.location, byday="SA")  # a place's own hours
    ContactFactory(location=place.location, service=None)
    PhoneFactory(organization=walk.organization)
    FundingFactory(service=None, organization=walk.organization)
    LanguageFactory(location=place.location, name="Punjabi", code="pa")
    return walk


def hsds_snapshot() -> dict:
    """Every service as the open feed describes it, but for when it last changed."""
    services = services_for_hsds(Service.objects.order_by("pk"))
    snapshot = {}
    for service in services:
        data = service_to_hsds(service, full=True)
        data.pop("last_modified")
        snapshot[data["id"]] = data
    return snapshot


def rows_snapshot() -> dict:
    """Every directory row of every HSDS table, field by field, but for the clock fields."""
    snapshot = {}
    for name, table in TABLES.items():
        fields = [
            f.attname for f in table.model._meta.concrete_fields if f.name not in CLOCK_FIELDS
        ]
        snapshot[name] = {row["id"]: row for row in table.model.objects.values(*fields)}
    return snapshot


def empty_the_directory() -> None:
    """What an empty database holds: only Linkwell's default taxonomies."""
    Attribute.objects.all().delete()
    Service.objects.all().delete()
    Location.objects.all().delete()
    Organization.objects.all().delete()
    TaxonomyTerm.objects.exclude(taxonomy_id__in=DEFAULT_TAXONOMIES).delete()
    Taxonomy.objects.exclude(pk__in=DEFAULT_TAXONOMIES).delete()


def export(*args) -> str:
    err = StringIO()
    call_command("export_directory", *args, stdout=StringIO(), stderr=err)
    return err.getvalue()


# --- HSDS JSON --------------------------------------------------------------------------------


def test_hsds_json_is_an_array_of_full_services(directory, tmp_path):
    out = tmp_path / "directory.json"
    message = export("--format", "hsds-json", str(out))
    assert message == "Exported 3 services as HSDS JSON.\n"
    data = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(s["name"] for s in data) == [
        "Debt advice drop-in",
        "Knit and natter",
        "Walking for health",
    ]
    walk = next(s for s in data if s["id"] == str(directory.pk))
    assert walk == {**hsds_snapshot()[str(directory.pk)], "last_modified": walk["last_modified"]}
    assert "linkwell" not in walk
    assert not list(tmp_path.glob("*.part"))


def test_hsds_json_round_trips_into_an_empty_directory(directory, tmp_path):
    before = hsds_snapshot()
    out = tmp_path / "directory.json"
    export("--format", "hsds-json", "--linkwell-fields", str(out))
    empty_the_directory()

    report = import_directory(out)

    assert report.errors == [] and report.warnings == [], report.summary()
    assert report.created["service"] == 3
    assert hsds_snapshot() == before
    walk = Service.objects.get(pk=directory.pk)
    assert (walk.capacity, walk.typical_wait_weeks, walk.in_person) == ("waiting_list", 4, True)
    assert (walk.cost_type, walk.fee_amount) == ("fee", Decimal("2.50"))
    assert (walk.referral_route, walk.referral_email) == ("email", "walks@trust.example.test")


def test_importing_its_own_hsds_json_export_changes_nothing(directory, tmp_path):
    out = tmp_path / "directory.json"
    export("--format", "hsds-json", str(out))
    before = rows_snapshot()
    report = import_directory(out)
    assert report.created == {} and report.updated == {}, report.summary()
    assert report.unchanged["service"] == 3
    assert rows_snapshot() == before


def test_hsds_json_to_standard_output(directory):
    out = StringIO()
    call_command("export_directory", "--format", "hsds-json", "-", stdout=out, stderr=StringIO())
    assert len(json.loads(out.getvalue())) == 3


def test_public_only_is_what_the_open_feed_lists(directory, tmp_path):
    Service.objects.filter(name="Knit and natter").update(is_public=False)
    Service.objects.filter(name="Debt advice drop-in").update(status=ServiceStatus.DEFUNCT)
    out = tmp_path / "feed.json"
    export("--format", "hsds-json", "--public-only", str(out))
    assert [s["name"] for s in json.loads(out.read_text())] == ["Walking for health"]
    folder = tmp_path / "feed"
    export("--format", "datapackage", "--public-only", str(folder))
    with (folder / "services.csv").open(encoding="utf-8") as handle:
        assert [row["name"] for row in csv.DictReader(handle)] == ["Walking for health"]


# --- the tabular data package -----------------------------------------------------------------


def read_header(path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def test_a_datapackage_has_every_hsds_table_with_the_examples_columns(directory, tmp_path):
    folder = tmp_path / "package"
    message = export("--format", "datapackage", str(folder))
    assert message.startswith(f"Exported a data package to {folder}: taxonomies 3,")
    names = {*(t.filename for t in TABLES.values()), *(f"{n}.csv" for n in UNKEPT_TABLES)}
    assert {p.name for p in folder.glob("*.csv")} == names
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["profile"] == "tabular-data-package"
    for resource in descriptor["resources"]:
        header = read_header(folder / resource["path"])
        assert [f["name"] for f in resource["schema"]["fields"]] == header
        assert resource["schema"]["primaryKey"] == "id"
    services = next(r for r in descriptor["resources"] if r["name"] == "services")
    types = {f["name"]: f["type"] for f in services["schema"]["fields"]}
    assert (types["minimum_age"], types["assured_date"]) == ("integer", "date")
    assert {
        "fields": "organization_id",
        "reference": {"resource": "organizations", "fields": "id"},
    } in services["schema"]["foreignKeys"]


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason=NO_EXAMPLES)
def test_the_package_columns_are_those_of_the_official_examples(tmp_path):
    folder = tmp_path / "package"
    export("--format", "datapackage", str(folder))
    for example in (EXAMPLES / "csv").glob("*.csv"):
        assert read_header(folder / example.name) == read_header(example), example.name


def test_a_datapackage_round_trips_every_record_into_an_empty_directory(directory, tmp_path):
    before_rows = rows_snapshot()
    before = hsds_snapshot()
    folder = tmp_path / "package"
    export("--format", "datapackage", "--linkwell-fields", str(folder))
    assert (folder / "linkwell_services.csv").is_file()
    empty_the_directory()

    report = import_directory(folder)

    assert report.errors == [] and report.warnings == [], report.summary()
    assert report.created["service"] == 3
    assert hsds_snapshot() == before
    assert rows_snapshot() == before_rows  # the place's own hours, the organisation's phone …


def test_without_linkwell_fields_a_package_is_plain_hsds(directory, tmp_path):
    folder = tmp_path / "package"
    export("--format", "datapackage", str(folder))
    assert not (folder / "linkwell_services.csv").exists()
    empty_the_directory()
    import_directory(folder)
    walk = Service.objects.get(pk=directory.pk)
    assert walk.name == "Walking for health"
    assert walk.capacity == "open"  # Linkwell's own fields were not in the package


def test_the_package_values_are_written_as_hsds_writes_them(directory, tmp_path):
    folder = tmp_path / "package"
    export("--format", "datapackage", "--linkwell-fields", str(folder))
    with (folder / "schedules.csv").open(encoding="utf-8") as handle:
        schedule = next(r for r in csv.DictReader(handle) if r["service_id"] == str(directory.pk))
    assert (schedule["opens_at"], schedule["closes_at"]) == ("10:00:00", "12:00:00")
    with (folder / "cost_options.csv").open(encoding="utf-8") as handle:
        assert {r["amount"] for r in csv.DictReader(handle)} == {"3.5"}
    with (folder / "services.csv").open(encoding="utf-8") as handle:
        walk = next(r for r in csv.DictReader(handle) if r["id"] == str(directory.pk))
    assert walk["assured_date"] == "2026-01-05"
    assert datetime.datetime.fromisoformat(walk["last_modified"]).tzinfo is not None
    with (folder / "linkwell_services.csv").open(encoding="utf-8") as handle:
        extras = next(r for r in csv.DictReader(handle) if r["id"] == str(directory.pk))
    assert (extras["in_person"], extras["fee_amount"]) == ("true", "2.5")


def test_importing_its_own_package_changes_nothing(directory, tmp_path):
    folder = tmp_path / "package"
    export("--format", "datapackage", "--linkwell-fields", str(folder))
    before = rows_snapshot()
    report = import_directory(folder)
    assert report.created == {} and report.updated == {}, report.summary()
    assert rows_snapshot() == before


def test_export_refuses_a_file_for_a_folder_and_a_folder_for_a_file(tmp_path):
    with pytest.raises(CommandError, match="is a folder; hsds-json writes one file"):
        export("--format", "hsds-json", str(tmp_path))
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(CommandError, match="is a file; a data package is a folder"):
        export("--format", "datapackage", str(a_file))


def test_an_empty_directory_exports_an_empty_array(tmp_path):
    out = tmp_path / "empty.json"
    export("--format", "hsds-json", str(out))
    assert json.loads(out.read_text()) == []
