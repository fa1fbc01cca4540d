"""Importing the directory from Open Referral UK / HSDS 3.0: the official examples, JSON files,
data packages and API feeds; idempotency; and every kind of bad input, each a clear error about
one record that leaves what is stored as it was."""

import datetime
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from linkwell.core.models import LogEntry
from linkwell.directory import taxonomy
from linkwell.directory.importer import ImportSourceError, import_directory
from linkwell.directory.models import (
    Attribute,
    Contact,
    CostOption,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from tests.directory.factories import ServiceFactory
from tests.directory.import_factories import (
    EXAMPLES,
    LOCATION_ID,
    NO_EXAMPLES,
    FeedServer,
    changed,
    envelope,
    hsds_service,
    uid,
    write_json,
)

pytestmark = pytest.mark.django_db

needs_examples = pytest.mark.skipif(not EXAMPLES.is_dir(), reason=NO_EXAMPLES)

EXAMPLE_SERVICE = "ac148810-d857-441c-9679-408f346de14b"
EXAMPLE_LOCATION = "3a19ff88-4620-4d17-9830-ac1d859eb5d5"
EVERYTHING = {
    "service": 1,
    "organization": 1,
    "organization identifier": 1,
    "program": 1,
    "location": 1,
    "address": 1,
    "accessibility": 1,
    "service at location": 1,
    "contact": 1,
    "phone": 1,
    "language": 1,
    "schedule": 1,
    "cost option": 1,
    "service area": 1,
    "funding": 1,
    "required document": 1,
    "taxonomy": 1,
    "taxonomy term": 1,
    "attribute": 1,
}
NESTED_WARNINGS = [
    ("attribute", "link_entity"),  # "link_entity" is a placeholder; nesting says "service"
    ("location", "latitude,longitude"),  # latitude 100
    ("organization", "parent_organization_id"),  # a parent that is nowhere
    ("taxonomy term", "parent_id"),  # a parent term that is nowhere
]
TABULAR_WARNINGS = [
    ("attribute", "link_entity"),
    ("contact", "organization_id"),
    ("contact", "service_at_location_id"),
    ("location", "latitude,longitude"),
    ("location", "organization_id"),
    ("organization", "parent_organization_id"),
    ("taxonomy term", "parent_id"),
    ("taxonomy term", "taxonomy_id"),
]
# What each file of the official examples yields: records created per type, warnings as
# (record type, field), and whether the report notes that (part of) the file is not records.
EXAMPLE_YIELDS = {
    "base.json": ({}, [], "not directory records"),
    "csv": (EVERYTHING, TABULAR_WARNINGS, "datapackage.json could not be read"),
    "location.json": (
        {
            "location": 1,
            "address": 1,
            "accessibility": 1,
            "contact": 1,
            "phone": 1,
            "language": 1,
            "schedule": 1,
        },
        [("location", "latitude,longitude")],
        None,
    ),
    "organization_full.json": (EVERYTHING, NESTED_WARNINGS, None),
    "organization_list.json": (
        {"organization": 1},
        [("organization", "parent_organization_id")],
        None,
    ),
    "service_at_location_full.json": (EVERYTHING, NESTED_WARNINGS, None),
    "service_at_location_list.json": (
        {
            "service": 1,
            "organization": 1,
            "program": 1,
            "location": 1,
            "service at location": 1,
        },
        [("location", "latitude,longitude"), ("organization", "parent_organization_id")],
        None,
    ),
    "service_full.json": (EVERYTHING, NESTED_WARNINGS, None),
    "service_list.json": (
        {"service": 1, "organization": 1, "program": 1},
        [("organization", "parent_organization_id")],
        None,
    ),
    "tabular.json": (EVERYTHING, TABULAR_WARNINGS, "metadata: 1 row(s) not imported"),
    "taxonomy.json": ({"taxonomy": 1}, [], None),
    "taxonomy_list.json": ({"taxonomy": 1}, [], None),
    "taxonomy_term.json": (
        {"taxonomy": 1, "taxonomy term": 1},
        [("taxonomy term", "parent_id")],
        None,
    ),
    "taxonomy_term_list.json": (
        {"taxonomy": 1, "taxonomy term": 1},
        [("taxonomy term", "parent_id")],
        None,
    ),
}


def example_names():
    if not EXAMPLES.is_dir():
        return ["(examples absent)"]
    return sorted(p.name for p in EXAMPLES.iterdir())


def only_error(report):
    assert len(report.errors) == 1, report.summary()
    return report.errors[0]


# --- the official examples --------------------------------------------------------------------


@needs_examples
@pytest.mark.parametrize("name", example_names())
def test_every_official_example_file_imports(name):
    assert name in EXAMPLE_YIELDS, f"{name} is new in the examples: say what it should yield"
    created, warnings, note = EXAMPLE_YIELDS[name]
    report = import_directory(EXAMPLES / name)
    assert report.errors == [], report.summary()
    assert dict(report.created) == created
    assert sorted((w.record_type, w.field) for w in report.warnings) == sorted(warnings)
    if note:
        assert any(note in n for n in report.notes), report.notes
    if not created:
        assert "No directory records were found." in report.summary()


@needs_examples
def test_a_full_example_service_is_stored_field_by_field(scheme):
    report = import_directory(EXAMPLES / "service_full.json", owner_scheme=scheme)
    service = Service.objects.get(pk=EXAMPLE_SERVICE)
    assert service.name == "Community Counselling"
    assert service.status == "active"
    assert (service.minimum_age, service.maximum_age) == (12, 100)
    assert service.assured_date == datetime.date(2005, 1, 1)
    assert service.owner_scheme == scheme and service.is_public
    assert service.organization.name == "Example Organization Inc."
    assert service.organization.owner_scheme == scheme
    assert service.organization.parent_organization_id is None  # pointed nowhere
    assert service.program.organization_id == service.organization_id
    assert service.organization.identifiers.get().identifier == "1234567"

    location = Location.objects.get(pk=EXAMPLE_LOCATION)
    assert (location.latitude, location.longitude) == (None, None)  # latitude 100: left out
    assert location.external_identifier == "10092008082"
    assert location.addresses.get().postal_code == "ABC 1234"
    assert ServiceAtLocation.objects.get(service=service).location == location

    schedule = Schedule.objects.get()
    assert (schedule.opens_at, schedule.closes_at) == (datetime.time(10), datetime.time(18))
    assert schedule.service == service and schedule.location == location
    assert schedule.service_at_location is not None
    assert schedule.timezone == "3"  # HSDS's number, kept as text

    cost = CostOption.objects.get()
    assert (cost.currency, cost.amount) == ("GBP", Decimal("35"))

    phone = Phone.objects.get()
    assert phone.extension == "100"
    assert {phone.service, phone.location, phone.organization} == {
        service,
        location,
        service.organization,
    }
    assert phone.contact == Contact.objects.get()
    language = Language.objects.get()
    assert (language.service, language.location, language.phone) == (service, location, phone)

    attribute = Attribute.objects.get()
    assert (attribute.link_entity, attribute.link_id) == ("service", service.pk)
    term = attribute.taxonomy_term
    assert (term.code, term.parent_id) == ("code", None)
    assert term.taxonomy.name == "name"

    warning = next(w for w in report.warnings if w.record_type == "location")
    assert warning.record_id == EXAMPLE_LOCATION
    assert "latitude 100 is outside -90 to 90" in warning.reason
    assert "service_full.json" in warning.where


@needs_examples
def test_the_example_datapackage_imports_and_says_what_it_left_out():
    report = import_directory(EXAMPLES / "csv")
    assert report.errors == []
    service = Service.objects.get(pk=EXAMPLE_SERVICE)
    assert service.program.name == "Community Mental Health Support"
    contact = Contact.objects.get()
    assert contact.service == service
    assert contact.organization is None  # its organisation is not in the package
    # The attribute links to something that is not in the package: kept as given, and said.
    attribute = Attribute.objects.get()
    assert attribute.link_entity == "link_entity"
    warning = next(w for w in report.warnings if w.record_type == "attribute")
    assert "kept as given" in warning.reason
    assert warning.where == "attributes.csv row 2"
    summary = report.summary()
    assert "Warnings (8)" in summary
    assert "taxonomy_id 07ff6aee-a219-438c-b694-d2fcb6c5373b" in summary


@needs_examples
def test_importing_every_example_in_turn_keeps_one_copy_of_each_record():
    for name in example_names():
        import_directory(EXAMPLES / name)
    assert Service.objects.count() == 1
    assert Location.objects.count() == 1
    assert Organization.objects.count() == 1
    assert Phone.objects.count() == 1


# --- idempotency ------------------------------------------------------------------------------


def test_importing_twice_updates_and_never_duplicates(tmp_path):
    record = hsds_service()
    source = write_json(tmp_path, [record])
    first = import_directory(source)
    assert first.created["service"] == 1
    counts = {m: m.objects.count() for m in (Service, Schedule, CostOption, Phone, Attribute)}

    second = import_directory(source)
    assert second.created == {}
    assert second.unchanged["service"] == 1
    assert second.updated == {}
    assert {m: m.objects.count() for m in counts} == counts

    schedule = record["schedules"][0]
    newer = changed(
        record,
        name="Tuesday walk and talk",
        schedules=[{**schedule, "opens_at": "10:30", "closes_at": "12:00"}],
    )
    third = import_directory(write_json(tmp_path, [newer]))
    assert third.updated["service"] == 1
    assert third.updated["schedule"] == 1
    assert third.unchanged["organization"] == 1
    service = Service.objects.get(pk=record["id"])
    assert service.name == "Tuesday walk and talk"
    assert Schedule.objects.get(pk=schedule["id"]).opens_at == datetime.time(10, 30)
    assert {m: m.objects.count() for m in counts} == counts


def test_a_list_that_comes_replaces_the_stored_list_and_a_missing_one_keeps_it(tmp_path):
    record = hsds_service()
    import_directory(write_json(tmp_path, [record]))
    fewer = changed(record, cost_options=[], phones=[{"id": uid(), "number": "0121 496 0999"}])
    del fewer["schedules"]  # not sent: the stored schedules stay
    report = import_directory(write_json(tmp_path, [fewer]))
    service = Service.objects.get(pk=record["id"])
    assert report.updated["service"] == 1
    assert not service.cost_options.exists()
    assert list(service.phones.values_list("number", flat=True)) == ["0121 496 0999"]
    assert service.schedules.count() == 1
    assert Location.objects.filter(pk=LOCATION_ID).exists()


def test_linkwell_fields_are_left_alone_by_an_import(tmp_path):
    record = hsds_service()
    import_directory(write_json(tmp_path, [record]))
    Service.objects.filter(pk=record["id"]).update(capacity="full", in_person=True)
    import_directory(write_json(tmp_path, [changed(record, name="Renamed")]))
    service = Service.objects.get(pk=record["id"])
    assert (service.name, service.capacity, service.in_person) == ("Renamed", "full", True)


def test_a_linkwell_object_sets_linkwell_fields(tmp_path):
    record = hsds_service(linkwell={"capacity": "waiting_list", "typical_wait_weeks": 3})
    import_directory(write_json(tmp_path, [record]))
    service = Service.objects.get(pk=record["id"])
    assert (service.capacity, service.typical_wait_weeks) == ("waiting_list", 3)


def test_an_audit_entry_records_each_run(tmp_path, scheme, member):
    user = member().user
    import_directory(write_json(tmp_path, [hsds_service()]), owner_scheme=scheme, by=user)
    entry = LogEntry.objects.get(action="directory.imported")
    assert (entry.actor, entry.scheme) == (user, scheme)
    assert entry.data["counts"]["service"]["created"] == 1
    assert entry.data["source"] == "directory.json"


# --- bad input: each a clear error about one record; what is stored stays -----------------------


def stored_then(tmp_path, record, bad):
    """Import `record`, then `bad` (a changed copy of it); return the second report."""
    import_directory(write_json(tmp_path, [record]))
    return import_directory(write_json(tmp_path, [bad], name="bad.json"))


def assert_stored_unchanged(record):
    service = Service.objects.get(pk=record["id"])
    assert service.name == record["name"]
    assert service.minimum_age == record["minimum_age"]
    schedule = service.schedules.get()
    assert (schedule.opens_at, schedule.closes_at) == (datetime.time(10), datetime.time(11, 30))
    assert service.cost_options.get().amount == Decimal("1.5")
    assert service.phones.get().number == record["phones"][0]["number"]
    assert Attribute.objects.filter(link_id=service.pk).count() == 1
    location = Location.objects.get(pk=LOCATION_ID)
    assert (location.latitude, location.longitude) == (52.4537, -1.8996)


def test_malformed_json_is_a_whole_file_error_with_line_and_column(tmp_path):
    record = hsds_service()
    import_directory(write_json(tmp_path, [record]))
    broken = tmp_path / "broken.json"
    broken.write_text('[\n  {"id": "x",\n   "name": "Choir"\n   "status": "active"}\n]\n')
    with pytest.raises(ImportSourceError) as raised:
        import_directory(broken)
    assert raised.value.message == (
        "broken.json is not valid JSON: Expecting ',' delimiter at line 4, column 4."
    )
    assert_stored_unchanged(record)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"name": ["Choir"]}, "name: expected text, got a list"),
        ({"minimum_age": "twelve"}, "minimum_age: expected a whole number, got 'twelve'"),
        ({"minimum_age": True}, "minimum_age: expected a whole number, got the boolean true"),
        ({"status": "open"}, "status 'open' is not one of: active, inactive, defunct"),
        ({"email": "not an address"}, "email 'not an address': Enter a valid email address."),
        ({"schedules": "Tuesdays"}, "schedules: expected a list, got 'Tuesdays'"),
        ({"name": ""}, "name '': This field cannot be blank."),
        ({"assured_date": "01/02/2025"}, "assured_date: '01/02/2025' is not a date"),
    ],
)
def test_wrong_types_and_values_skip_the_record(tmp_path, fields, reason):
    record = hsds_service()
    report = stored_then(tmp_path, record, changed(record, **fields))
    error = only_error(report)
    assert (error.record_type, error.record_id) == ("service", record["id"])
    assert reason in error.reason
    assert report.skipped["service"] == 1
    assert_stored_unchanged(record)


def test_an_unknown_taxonomy_term_given_by_id_alone_skips_the_record(tmp_path):
    record = hsds_service()
    unknown = uid()
    bad = changed(record, attributes=[{"id": uid(), "taxonomy_term_id": unknown}])
    report = stored_then(tmp_path, record, bad)
    error = only_error(report)
    assert error.record_id == record["id"]
    assert f"its taxonomy term {unknown} is neither in this source nor stored" in error.reason
    assert_stored_unchanged(record)


def test_a_term_given_in_full_is_created_with_the_attribute(tmp_path):
    term_id = uid()
    attribute = {
        "id": uid(),
        "taxonomy_term": {"id": term_id, "name": "Singing", "code": "singing"},
    }
    record = hsds_service(attributes=[attribute])
    report = import_directory(write_json(tmp_path, [record]))
    assert report.errors == []
    assert TaxonomyTerm.objects.get(pk=term_id).name == "Singing"


def test_impossible_coordinates_are_left_out_and_the_stored_ones_stay(tmp_path):
    record = hsds_service()
    location = record["service_at_locations"][0]["location"]
    moved = changed(
        record,
        service_at_locations=[
            {
                **record["service_at_locations"][0],
                "location": {**location, "latitude": 95.5, "longitude": -1.9, "name": "New café"},
            }
        ],
    )
    report = stored_then(tmp_path, record, moved)
    assert report.errors == []
    (warning,) = report.warnings
    assert (warning.record_type, warning.record_id) == ("location", LOCATION_ID)
    assert "latitude 95.5 is outside -90 to 90" in warning.reason
    stored = Location.objects.get(pk=LOCATION_ID)
    assert stored.name == "New café"  # the rest of the record is imported
    assert (stored.latitude, stored.longitude) == (52.4537, -1.8996)


def test_a_new_place_with_impossible_coordinates_is_stored_without_them(tmp_path):
    record = hsds_service()
    record["service_at_locations"][0]["location"]["longitude"] = 200
    report = import_directory(write_json(tmp_path, [record]))
    assert [w.field for w in report.warnings] == ["latitude,longitude"]
    location = Location.objects.get(pk=LOCATION_ID)
    assert (location.latitude, location.longitude) == (None, None)


def test_a_schedule_that_closes_before_it_opens_skips_the_record(tmp_path):
    record = hsds_service()
    schedule = record["schedules"][0]
    bad = changed(record, schedules=[{**schedule, "opens_at": "14:00", "closes_at": "09:30"}])
    report = stored_then(tmp_path, record, bad)
    error = only_error(report)
    assert error.record_id == record["id"]
    assert (
        f"schedule {schedule['id']} at schedules[0]: closes_at 09:30 is not after opens_at 14:00"
        in error.reason
    )
    assert_stored_unchanged(record)


def test_a_negative_cost_skips_the_record(tmp_path):
    record = hsds_service()
    cost = record["cost_options"][0]
    bad = changed(record, cost_options=[{**cost, "amount": -5}])
    report = stored_then(tmp_path, record, bad)
    error = only_error(report)
    assert f"cost option {cost['id']} at cost_options[0]: amount -5 is negative" in error.reason
    assert_stored_unchanged(record)


def test_a_duplicate_id_in_one_file_skips_the_later_copy(tmp_path):
    record = hsds_service()
    twin = changed(record, name="Another name for the same id")
    report = import_directory(write_json(tmp_path, [record, twin]))
    error = only_error(report)
    assert error.record_id == record["id"]
    assert "appears more than once in this source (first at directory.json, record 1)" in (
        error.reason
    )
    assert error.where == "directory.json, record 2"
    assert Service.objects.get().name == record["name"]
    assert report.created["service"] == 1 and report.skipped["service"] == 1


def test_one_bad_record_costs_only_itself(tmp_path):
    good, bad = hsds_service(), hsds_service()
    bad["cost_options"][0]["amount"] = "lots"
    report = import_directory(write_json(tmp_path, [good, bad, {"name": None}, "text"]))
    assert Service.objects.filter(pk=good["id"]).exists()
    assert not Service.objects.filter(pk=bad["id"]).exists()
    assert report.created["service"] == 1
    assert report.skipped["service"] == 3
    reasons = [e.reason for e in report.errors]
    assert any("amount: expected a number, got 'lots'" in r for r in reasons)
    assert any("the service has no id" in r for r in reasons)
    assert any("expected an HSDS record (an object), got 'text'" in r for r in reasons)


def test_a_service_with_no_organisation_anywhere_is_skipped(tmp_path):
    record = hsds_service()
    del record["organization"]
    report = import_directory(write_json(tmp_path, [record]))
    assert "has no organization_id (organization)" in only_error(report).reason
    missing = uid()
    record["organization_id"] = missing
    report = import_directory(write_json(tmp_path, [record]))
    assert f"its organization {missing} is neither in this source nor stored" in (
        only_error(report).reason
    )
    assert not Service.objects.exists()


def test_a_listing_kept_by_another_scheme_is_not_changed(tmp_path, scheme, other_scheme):
    record = hsds_service()
    import_directory(write_json(tmp_path, [record]), owner_scheme=other_scheme)
    report = import_directory(
        write_json(tmp_path, [changed(record, name="Taken over")]), owner_scheme=scheme
    )
    assert "is kept by the scheme 'Hillside Link'" in report.errors[0].reason
    assert Service.objects.get().name == record["name"]


def test_a_record_the_database_refuses_is_skipped_alone(tmp_path):
    """Checks in Python see one record at a time; a rule that needs the stored row too (the
    age range) is the database's. The batch is then written one record at a time."""
    stored = ServiceFactory(maximum_age=10)
    name = stored.name
    good, bad = hsds_service(), hsds_service(str(stored.pk))
    bad.pop("maximum_age", None)
    bad["minimum_age"] = 50  # above the stored maximum of 10
    report = import_directory(write_json(tmp_path, [good, bad]))
    error = only_error(report)
    assert error.record_id == str(stored.pk)
    assert "the database refused it" in error.reason
    assert Service.objects.filter(pk=good["id"]).exists()
    stored.refresh_from_db()
    assert (stored.minimum_age, stored.name) == (None, name)


def test_a_source_that_is_not_there_or_not_records_cannot_be_read(tmp_path):
    with pytest.raises(ImportSourceError, match="does not exist"):
        import_directory(tmp_path / "missing.json")
    with pytest.raises(ImportSourceError, match="holds the number 42, not HSDS records"):
        import_directory(write_json(tmp_path, 42))
    with pytest.raises(ImportSourceError, match="holds no HSDS tables"):
        import_directory(tmp_path)
    (tmp_path / "latin1.json").write_bytes('{"name": "Caf\xe9"}'.encode("latin-1"))
    with pytest.raises(ImportSourceError, match="is not UTF-8 text"):
        import_directory(tmp_path / "latin1.json")


# --- tabular data packages --------------------------------------------------------------------


def example_package(tmp_path):
    folder = tmp_path / "package"
    shutil.copytree(EXAMPLES / "csv", folder)
    for path in folder.iterdir():
        path.chmod(0o644)
    return folder


def edit_csv(folder, name, replace: str, by: str):
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert replace in text
    path.write_text(text.replace(replace, by), encoding="utf-8")


@needs_examples
def test_a_bad_row_in_a_package_skips_its_service_and_keeps_the_stored_one(tmp_path):
    folder = example_package(tmp_path)
    import_directory(folder)
    edit_csv(folder, "schedules.csv", "10:00:00,18:00:00", "19:00:00,18:00:00")
    edit_csv(folder, "services.csv", "Community Counselling,", "Renamed Counselling,")
    report = import_directory(folder)
    error = only_error(report)
    assert (error.record_type, error.record_id) == ("service", EXAMPLE_SERVICE)
    assert "closes_at 18:00 is not after opens_at 19:00" in error.reason
    assert "schedules.csv row 2" in error.reason
    assert Service.objects.get().name == "Community Counselling"
    assert Schedule.objects.get().opens_at == datetime.time(10)


@needs_examples
def test_a_package_term_that_is_nowhere_skips_the_service_that_uses_it(tmp_path):
    folder = example_package(tmp_path)
    edit_csv(
        folder,
        "attributes.csv",
        "f28dd44b-0c4d-479f-8e90-4c52219a8b3c,3f7b145d-84af-42d7-8fae-eaca714b02b2,link_type,"
        "link_entity",
        f"{EXAMPLE_SERVICE},9e9e9e9e-0000-4000-8000-000000000000,link_type,service",
    )
    report = import_directory(folder)
    error = only_error(report)
    assert error.record_id == EXAMPLE_SERVICE
    assert "taxonomy term 9e9e9e9e-0000-4000-8000-000000000000 is neither in this source" in (
        error.reason
    )
    assert not Service.objects.exists()


@needs_examples
def test_a_duplicate_id_in_a_package_table_is_an_error(tmp_path):
    folder = example_package(tmp_path)
    services = folder / "services.csv"
    lines = services.read_text(encoding="utf-8").splitlines()
    services.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    report = import_directory(folder)
    error = only_error(report)
    assert error.where == "services.csv row 3"
    assert "appears more than once in this source (first at services.csv row 2)" in error.reason
    assert Service.objects.count() == 1


@needs_examples
def test_a_package_reimport_is_unchanged(tmp_path):
    folder = example_package(tmp_path)
    import_directory(folder)
    again = import_directory(folder)
    assert again.created == {} and again.updated == {}
    assert again.unchanged["service"] == 1


# --- an Open Referral API ---------------------------------------------------------------------


def test_an_api_is_read_page_by_page():
    records = [hsds_service() for _ in range(3)]
    pages = [
        envelope(records[:2], page=1, pages=2, size=2, total=3),
        envelope(records[2:], page=2, pages=2, size=2, total=3),
    ]
    seen = []
    with FeedServer(pages) as feed:
        report = import_directory(f"{feed.url}/", progress=lambda d, t: seen.append((d, t)))
    assert report.created["service"] == 3
    assert Service.objects.count() == 3
    assert [q["page"] for q in feed.requests] == [["1"], ["2"]]
    assert all(q["full"] == ["true"] for q in feed.requests)
    assert seen[-1] == (3, 3)
    assert report.source.endswith("/api")


def test_an_api_that_fails_part_way_keeps_what_it_read():
    records = [hsds_service() for _ in range(2)]
    pages = [envelope(records[:1], page=1, pages=2, size=1, total=2), (500, b"{}")]
    with FeedServer(pages) as feed:
        report = import_directory(feed.url)
    assert report.incomplete
    assert report.created["service"] == 1
    error = only_error(report)
    assert (error.record_type, error.record_id) == ("page", "2")
    assert "answered 500 Internal Server Error" in error.reason
    assert "The source stopped answering part way" in report.summary()


def test_an_api_that_does_not_answer_in_open_referral_form_cannot_be_read():
    html = FeedServer([(200, b"<html>Welcome</html>")])
    with html as feed, pytest.raises(ImportSourceError, match="is not valid JSON"):
        import_directory(feed.url)
    wrong = FeedServer([(200, b'{"services": []}')])
    with wrong as feed, pytest.raises(ImportSourceError, match="not answer with an Open Referral"):
        import_directory(feed.url)
    with FeedServer([]) as feed:
        url = feed.url
    with pytest.raises(ImportSourceError, match="could not be reached"):
        import_directory(url)


# --- the command ------------------------------------------------------------------------------


def test_the_command_prints_the_summary(tmp_path, scheme):
    out = StringIO()
    call_command(
        "import_directory",
        str(write_json(tmp_path, [hsds_service()])),
        "--scheme",
        "riverside",
        stdout=out,
        stderr=StringIO(),
    )
    text = out.getvalue()
    assert "Import from directory.json" in text
    assert "service" in text and "records read" in text
    assert Service.objects.get().owner_scheme == scheme


def test_the_command_fails_when_the_source_cannot_be_read(tmp_path):
    with pytest.raises(CommandError, match=r"missing\.json does not exist"):
        call_command("import_directory", str(tmp_path / "missing.json"))
    with pytest.raises(CommandError, match="No scheme has the slug 'nowhere'"):
        call_command("import_directory", str(tmp_path), "--scheme", "nowhere")


def test_the_command_exits_2_when_an_api_stops_part_way():
    pages = [envelope([hsds_service()], page=1, pages=2, size=1, total=2), (503, b"")]
    with FeedServer(pages) as feed, pytest.raises(SystemExit) as exited:
        call_command("import_directory", feed.url, stdout=StringIO())
    assert exited.value.code == 2


class Terminal(StringIO):
    def isatty(self):
        return True


def test_the_command_shows_a_progress_bar_only_on_a_terminal(tmp_path, monkeypatch):
    source = str(write_json(tmp_path, [hsds_service(), hsds_service()]))
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    call_command("import_directory", source, stdout=StringIO())
    assert "2/2" in terminal.getvalue()
    piped = StringIO()
    monkeypatch.setattr("sys.stderr", piped)
    call_command("import_directory", source, stdout=StringIO())
    assert piped.getvalue() == ""


def test_the_command_exit_code_for_an_unreadable_source(tmp_path):
    """Run as a process: `manage.py import_directory` exits 1 when it cannot read SOURCE."""
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["LINKWELL_VAR_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, str(root / "manage.py"), "import_directory", str(tmp_path / "no.json")],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=120,
    )
    assert done.returncode == 1
    assert "no.json does not exist" in done.stderr


def test_linkwell_terms_are_found_by_their_fixed_ids(tmp_path):
    """Linkwell's own terms have the same ids everywhere, so a record may name them by id."""
    record = hsds_service()
    report = import_directory(write_json(tmp_path, [record]))
    assert report.created.get("taxonomy term") is None
    attribute = Attribute.objects.get()
    assert attribute.taxonomy_term_id == taxonomy.term_id("physical-activity")
    assert attribute.taxonomy_term.taxonomy_id == taxonomy.NEED_AREAS_ID


def test_a_service_at_a_location_can_name_a_stored_service(tmp_path):
    record = hsds_service()
    import_directory(write_json(tmp_path, [record]))
    place = {
        "id": uid(),
        "service_id": record["id"],
        "location": {"id": uid(), "name": "Library", "location_type": "physical"},
    }
    report = import_directory(write_json(tmp_path, [place], name="places.json"))
    assert report.created == {"service at location": 1, "location": 1}
    assert Service.objects.get().service_at_locations.count() == 2
    orphan = {**place, "id": uid(), "service_id": uid()}
    report = import_directory(write_json(tmp_path, [orphan], name="orphan.json"))
    assert "its service" in only_error(report).reason


def test_an_import_cannot_change_another_schemes_listing_through_its_children(
    tmp_path, scheme, other_scheme
):
    """Phones (or schedules, attributes …) that point at a service another scheme keeps are
    refused, whether new or reusing a stored phone's id; the other listing is unchanged."""
    from linkwell.directory.importer import import_directory
    from linkwell.directory.models import Organization, Phone, Service

    org = Organization.objects.create(name="Theirs", owner_scheme=other_scheme)
    theirs = Service.objects.create(organization=org, name="Their group", owner_scheme=other_scheme)
    their_phone = Phone.objects.create(service=theirs, number="01632 000001")
    (tmp_path / "phones.csv").write_text(
        "id,location_id,service_id,organization_id,contact_id,service_at_location_id,number,"
        "extension,type,description\n"
        f"9b0f5c8e-1d2a-4b3c-8d4e-5f6a7b8c9d0e,,{theirs.pk},,,,01632 999999,,voice,\n"
        f"{their_phone.pk},,{theirs.pk},,,,01632 999998,,voice,\n"
    )
    report = import_directory(tmp_path, owner_scheme=scheme)
    assert len(report.errors) == 2
    assert all("kept by" in str(issue) for issue in report.errors)
    assert list(theirs.phones.values_list("number", flat=True)) == ["01632 000001"]
