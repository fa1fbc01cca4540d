"""The library's pages: list with filters, add, change, retire, the leaflet download."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from linkwell.core.models import LogEntry, Role
from linkwell.directory.taxonomy import term_id
from linkwell.resources.models import Resource
from tests.resources.conftest import make_pdf
from tests.resources.factories import ResourceFactory

TODAY = datetime.date.today()


@pytest.fixture
def manager(client_as):
    return client_as(Role.MANAGER)


def form_data(**overrides):
    values = {
        "title": "Get Online helpline",
        "summary": "Help with getting online.",
        "format": "phone",
        "url": "",
        "phone": "020 7946 0160",
        "phone_hours": "Tuesdays",
        "need_areas": [str(term_id("digital-skills"))],
        "accessibility_notes": "",
        "review_date": (TODAY + datetime.timedelta(days=200)).isoformat(),
    }
    values.update(overrides)
    return values


def titles(response):
    return [r.title for r in response.context["page"].object_list]


def test_the_list_filters_by_need_area_format_and_review(manager):
    scheme = manager.membership.scheme
    ResourceFactory(scheme=scheme, title="Befriending line", needs=["loneliness"])
    ResourceFactory(
        scheme=scheme,
        title="Money website",
        format="web",
        url="https://money.example.org/",
        phone="",
        needs=["money-debt"],
        review_date=TODAY - datetime.timedelta(days=3),
    )
    ResourceFactory(scheme=scheme, title="Retired line", is_active=False)
    response = manager.get("/resources/")
    assert titles(response) == ["Befriending line", "Money website"]
    page = response.content.decode()
    assert page.count("Review due") == 1
    assert titles(manager.get("/resources/", {"need": str(term_id("loneliness"))})) == [
        "Befriending line"
    ]
    assert titles(manager.get("/resources/", {"format": "web"})) == ["Money website"]
    assert titles(manager.get("/resources/", {"due": "on"})) == ["Money website"]
    assert titles(manager.get("/resources/", {"retired": "on"})) == ["Retired line"]


def test_another_schemes_resources_are_not_listed(manager, other_scheme):
    ResourceFactory(scheme=other_scheme, title="Theirs")
    assert titles(manager.get("/resources/")) == []


def test_the_list_query_count_does_not_grow(manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    scheme = manager.membership.scheme
    for _ in range(2):
        ResourceFactory(scheme=scheme, needs=["loneliness", "housing"])
    with CaptureQueriesContext(connection) as small:
        manager.get("/resources/")
    for _ in range(20):
        ResourceFactory(scheme=scheme, needs=["loneliness", "bereavement"])
    with CaptureQueriesContext(connection) as large:
        response = manager.get("/resources/")
    assert len(response.context["page"].object_list) == 22
    assert len(large) == len(small)


def test_add_a_resource(manager):
    response = manager.post("/resources/add/", form_data())
    assert response.status_code == 302
    resource = Resource.objects.get()
    assert resource.title == "Get Online helpline"
    assert resource.created_by == manager.membership.user
    assert "Added Get Online helpline" in manager.get("/resources/").content.decode()


def test_add_with_errors_shows_them_at_the_fields(manager):
    response = manager.post(
        "/resources/add/", form_data(format="web", phone="", title="", review_date="2027-02-30")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "Enter a title." in errors["title"]
    assert "Enter a real date, like 31 3 2027." in errors["review_date"]
    page = response.content.decode()
    assert "There is a problem" in page
    assert not Resource.objects.exists()


def test_service_errors_reach_the_form(manager):
    response = manager.post("/resources/add/", form_data(format="web", phone=""))
    assert response.context["form"].errors["url"] == ["Enter the web address."]


def test_upload_a_leaflet_and_open_it(manager, media):
    upload = SimpleUploadedFile("sleep.pdf", make_pdf(), "application/pdf")
    response = manager.post(
        "/resources/add/", {**form_data(format="leaflet", phone=""), "file": upload}
    )
    assert response.status_code == 302
    resource = Resource.objects.get()
    response = manager.get(f"/resources/{resource.pk}/file")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_a_non_pdf_upload_is_refused_at_the_field(manager, media):
    upload = SimpleUploadedFile("sleep.pdf", b"GIF89a not a pdf", "application/pdf")
    response = manager.post(
        "/resources/add/", {**form_data(format="leaflet", phone=""), "file": upload}
    )
    assert response.context["form"].errors["file"] == ["The file must be a PDF."]
    assert not Resource.objects.exists()


def test_edit_shows_review_due_and_saves(manager):
    resource = ResourceFactory(
        scheme=manager.membership.scheme, review_date=TODAY - datetime.timedelta(days=1)
    )
    page = manager.get(f"/resources/{resource.pk}/").content.decode()
    assert "Review due" in page
    response = manager.post(
        f"/resources/{resource.pk}/", form_data(title="Renamed", phone=resource.phone)
    )
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.title == "Renamed"
    assert resource.review_date > TODAY
    assert LogEntry.objects.filter(action="resource.updated").exists()


def test_retire_and_bring_back(manager):
    resource = ResourceFactory(scheme=manager.membership.scheme)
    assert manager.get(f"/resources/{resource.pk}/retire/").status_code == 405
    manager.post(f"/resources/{resource.pk}/retire/")
    resource.refresh_from_db()
    assert not resource.is_active
    assert titles(manager.get("/resources/")) == []
    manager.post(f"/resources/{resource.pk}/restore/")
    resource.refresh_from_db()
    assert resource.is_active


@pytest.mark.parametrize("role", [Role.LINK_WORKER, Role.REFERRER, Role.COMMISSIONER])
def test_other_roles_cannot_manage(client_as, role, scheme):
    resource = ResourceFactory(scheme=scheme)
    client = client_as(role)
    assert client.get("/resources/").status_code == 403
    assert client.post("/resources/add/", form_data()).status_code == 403
    assert client.post(f"/resources/{resource.pk}/retire/").status_code == 403
    resource.refresh_from_db()
    assert resource.is_active
