"""Adding, changing, retiring and restoring waiting-room resources: checks and audit."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from linkwell.core.errors import ApplicationError
from linkwell.core.models import LogEntry, Role
from linkwell.directory.taxonomy import term_id
from linkwell.resources import services
from linkwell.resources.models import Resource
from tests.resources.conftest import make_pdf
from tests.resources.factories import ResourceFactory

NEXT_YEAR = datetime.date.today() + datetime.timedelta(days=365)


def data(**overrides):
    values = {
        "title": "Riverside Friendship Line",
        "summary": "A weekly friendly call.",
        "format": "phone",
        "url": "",
        "phone": "01632 960101",
        "phone_hours": "Weekdays 10am to 4pm",
        "need_areas": [str(term_id("loneliness"))],
        "accessibility_notes": "",
        "review_date": NEXT_YEAR,
    }
    values.update(overrides)
    return values


@pytest.fixture
def manager(member):
    return member(Role.MANAGER)


def test_a_manager_adds_a_phone_line(manager):
    resource = services.resource_create(membership=manager, data=data())
    assert resource.scheme == manager.scheme
    assert resource.phone == "01632 960101"
    assert [t.code for t in resource.need_areas.all()] == ["loneliness"]
    entry = LogEntry.objects.get(action="resource.created")
    assert entry.actor == manager.user and entry.scheme == manager.scheme


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("01632960101", "01632 960101"),
        ("+44 20 7946 0110", "020 7946 0110"),
        ("116 123", "116 123"),
    ],
)
def test_phone_numbers_are_kept_as_people_dial_them(manager, typed, stored):
    resource = services.resource_create(membership=manager, data=data(phone=typed))
    assert resource.phone == stored


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"title": ""}, "title", "Enter a title"),
        ({"summary": "  "}, "summary", "sentence or two"),
        ({"format": "web", "phone": ""}, "url", "Enter the web address"),
        ({"format": "video", "phone": ""}, "url", "Enter the web address"),
        ({"phone": ""}, "phone", "Enter the phone number"),
        ({"phone": "call us"}, "phone", "Enter a phone number"),
        ({"format": "leaflet", "phone": ""}, "file", "Upload the leaflet"),
        ({"format": "web", "url": "ftp://example.org/x"}, "url", "https://"),
        ({"format": "podcast"}, "format", "Choose what kind"),
        ({"review_date": None}, "review_date", "next be checked"),
        ({"need_areas": ["not-a-term"]}, "need_areas", "from the list"),
        ({"need_areas": [str(term_id("befriending"))]}, "need_areas", "from the list"),
    ],
)
def test_bad_input_is_named_at_the_field_and_nothing_is_stored(manager, overrides, field, words):
    with pytest.raises(ValidationError) as caught:
        services.resource_create(membership=manager, data=data(**overrides))
    assert any(words in m for m in caught.value.message_dict[field]), caught.value.message_dict
    assert not Resource.objects.exists()
    assert not LogEntry.objects.filter(action="resource.created").exists()


def test_a_leaflet_pdf_is_stored_under_a_name_of_our_own(manager, media):
    upload = SimpleUploadedFile("Mrs Smith's leaflet.pdf", make_pdf(), "application/pdf")
    resource = services.resource_create(
        membership=manager, data=data(format="leaflet", phone=""), file=upload
    )
    assert resource.file.name.startswith("resources/")
    assert resource.file.name.endswith(".pdf")
    assert "Smith" not in resource.file.name
    assert resource.file.read().startswith(b"%PDF-")


def test_a_pdf_is_recognised_by_its_content_not_its_name(manager, media):
    upload = SimpleUploadedFile("leaflet.txt", make_pdf(), "text/plain")
    resource = services.resource_create(
        membership=manager, data=data(format="leaflet", phone=""), file=upload
    )
    assert resource.file


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n" + b"0" * 200,  # a picture called .pdf
        b"<html><body>not a leaflet</body></html>",
        b"%PDF-1.7\n" + b"0" * 5000,  # a PDF's first line, but cut off: no end
    ],
)
def test_a_file_that_is_not_a_pdf_is_refused(manager, media, content):
    upload = SimpleUploadedFile("leaflet.pdf", content, "application/pdf")
    with pytest.raises(ValidationError) as caught:
        services.resource_create(
            membership=manager, data=data(format="leaflet", phone=""), file=upload
        )
    assert caught.value.message_dict["file"] == ["The file must be a PDF."]
    assert not Resource.objects.exists()
    assert not any(media.rglob("*.pdf"))


def test_an_oversized_pdf_is_refused(manager, media, monkeypatch):
    monkeypatch.setattr(services, "LEAFLET_MAX_BYTES", 500)
    upload = SimpleUploadedFile("leaflet.pdf", make_pdf("x" * 40), "application/pdf")
    assert upload.size > 500
    with pytest.raises(ValidationError) as caught:
        services.resource_create(
            membership=manager, data=data(format="leaflet", phone=""), file=upload
        )
    assert "smaller than" in caught.value.message_dict["file"][0]
    assert not any(media.rglob("*.pdf"))


def test_an_empty_file_is_refused(manager, media):
    upload = SimpleUploadedFile("leaflet.pdf", b"", "application/pdf")
    with pytest.raises(ValidationError, match="empty"):
        services.resource_create(
            membership=manager, data=data(format="leaflet", phone=""), file=upload
        )


def test_update_records_what_changed(manager):
    resource = ResourceFactory(scheme=manager.scheme, needs=["loneliness"])
    services.resource_update(
        membership=manager,
        resource=resource,
        data=data(title=resource.title, summary="New words.", phone="01632 960001"),
    )
    resource.refresh_from_db()
    assert resource.summary == "New words."
    entry = LogEntry.objects.get(action="resource.updated")
    assert set(entry.data["fields"]) == {"summary", "phone_hours", "review_date"}


def test_removing_the_only_way_in_is_refused(manager, media):
    upload = SimpleUploadedFile("leaflet.pdf", make_pdf(), "application/pdf")
    resource = services.resource_create(
        membership=manager, data=data(format="leaflet", phone=""), file=upload
    )
    with pytest.raises(ValidationError, match="Upload the leaflet"):
        services.resource_update(
            membership=manager,
            resource=resource,
            data=data(format="leaflet", phone=""),
            remove_file=True,
        )
    resource.refresh_from_db()
    assert resource.file


def test_retire_and_restore(manager):
    resource = ResourceFactory(scheme=manager.scheme)
    services.resource_retire(membership=manager, resource=resource)
    resource.refresh_from_db()
    assert not resource.is_active and resource.retired_at is not None
    with pytest.raises(ApplicationError, match="already retired"):
        services.resource_retire(membership=manager, resource=resource)
    services.resource_restore(membership=manager, resource=resource)
    resource.refresh_from_db()
    assert resource.is_active and resource.retired_at is None
    actions = list(LogEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["resource.retired", "resource.restored"]


def test_another_schemes_resource_cannot_be_changed(manager, other_scheme):
    theirs = ResourceFactory(scheme=other_scheme)
    with pytest.raises(ApplicationError):
        services.resource_retire(membership=manager, resource=theirs)
    theirs.refresh_from_db()
    assert theirs.is_active


def test_a_link_worker_cannot_manage_resources(member):
    worker = member(Role.LINK_WORKER)
    with pytest.raises(PermissionDenied):
        services.resource_create(membership=worker, data=data())


def test_review_due_means_the_date_has_come():
    today = datetime.date(2026, 5, 1)
    assert Resource(review_date=datetime.date(2026, 4, 30)).review_due(today)
    assert Resource(review_date=today).review_due(today)
    assert not Resource(review_date=datetime.date(2026, 5, 2)).review_due(today)
