"""The directory's pages: search, a listing, flags, provider and manager edits, freshness."""

import re
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from linkwell.core.models import LogEntry, Role
from linkwell.directory.models import (
    Attribute,
    Flag,
    Location,
    Organization,
    Service,
    ServiceAtLocation,
    ServiceStatus,
    VerificationRequest,
)
from linkwell.directory.taxonomy import term_id
from linkwell.geo.models import Postcode
from linkwell.notify.models import OutgoingStatus
from linkwell.notify.outbox import messages_send_due


def make_service(
    name,
    *,
    scheme=None,
    public=True,
    status=ServiceStatus.ACTIVE,
    lat=None,
    lon=None,
    terms=(),
    org=None,
    **fields,
):
    org = org or Organization.objects.create(
        name=f"{name} org", email="org@example.test", owner_scheme=scheme
    )
    service = Service.objects.create(
        organization=org,
        name=name,
        description=f"All about {name}",
        owner_scheme=scheme,
        is_public=public,
        status=status,
        **fields,
    )
    if lat is not None:
        location = Location.objects.create(organization=org, latitude=lat, longitude=lon)
        ServiceAtLocation.objects.create(service=service, location=location)
    for code in terms:
        Attribute.objects.create(link_id=service.pk, taxonomy_term_id=term_id(code))
    return service


@pytest.fixture
def worker(client_as):
    return client_as(Role.LINK_WORKER)


@pytest.fixture
def manager(client_as):
    return client_as(Role.MANAGER)


def test_search_by_text_need_and_way_of_taking_part(worker):
    make_service("Walking group", terms=["physical-activity"], in_person=True)
    make_service("Phone befriending", terms=["loneliness"], by_phone=True)
    make_service("Closed group", status=ServiceStatus.DEFUNCT, terms=["loneliness"])
    response = worker.get("/directory/", {"need": str(term_id("loneliness"))})
    assert [s.name for s in response.context["services"]] == ["Phone befriending"]
    response = worker.get("/directory/", {"q": "walking", "take_part": ["in_person"]})
    assert [s.name for s in response.context["services"]] == ["Walking group"]
    response = worker.get("/directory/", {"take_part": ["online"]})
    assert response.context["services"] == []
    assert "No listings match" in response.content.decode()


def test_search_near_a_postcode_orders_by_distance(worker):
    Postcode.objects.create(postcode="RV1 1AA", latitude=52.48, longitude=-1.90, source="demo")
    make_service("Far", lat=52.52, lon=-1.90)  # about 4.4 km north
    make_service("Near", lat=52.481, lon=-1.90)  # about 110 m
    make_service("Very far", lat=53.0, lon=-1.90)
    response = worker.get("/directory/", {"postcode": "rv11aa", "distance": "5000"})
    assert [s.name for s in response.context["services"]] == ["Near", "Far"]
    assert re.search(r"\b11\d m away", response.content.decode())


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"postcode": "not a postcode"}, "Enter a real postcode"),
        ({"postcode": "RV9 9ZZ"}, "We could not find that postcode"),
        ({"age": "-3"}, "Age must be 0 or more"),
        ({"time": "25:99", "day": "MO"}, "Enter a time like 14:30"),
        ({"time": "10:00"}, "Choose a day to search by time"),
    ],
)
def test_bad_search_input_is_explained(worker, params, message):
    make_service("Anything")
    response = worker.get("/directory/", params)
    body = response.content.decode()
    assert response.status_code == 200
    assert message in body
    assert "There is a problem" in body
    assert response.context["services"] == []


def test_the_search_query_count_does_not_grow(worker, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(3):
        make_service(f"Group {i}", terms=["loneliness", "befriending"])
    with CaptureQueriesContext(connection) as few:
        worker.get("/directory/", {"q": "group"})
    for i in range(3, 25):
        make_service(f"Group {i}", terms=["loneliness", "befriending"])
    with CaptureQueriesContext(connection) as many:
        worker.get("/directory/", {"q": "group"})
    assert len(many) == len(few)


def test_another_schemes_private_listing_is_404(worker, other_scheme, scheme):
    theirs = make_service("Their private group", scheme=other_scheme, public=False)
    ours = make_service("Our private group", scheme=scheme, public=False)
    assert worker.get(f"/directory/services/{theirs.pk}/").status_code == 404
    assert worker.get(f"/directory/services/{ours.pk}/").status_code == 200
    names = [s.name for s in worker.get("/directory/").context["services"]]
    assert names == ["Our private group"]


def test_listing_page_shows_when_it_was_last_checked(worker):
    service = make_service("Art group", last_verified_at=timezone.now() - timedelta(days=400))
    body = worker.get(f"/directory/services/{service.pk}/").content.decode()
    assert "Last checked" in body
    assert "Not checked recently" in body


def test_link_worker_flags_a_listing_and_the_manager_resolves_it(worker, manager, scheme):
    service = make_service("Lunch club", scheme=scheme)
    response = worker.post(f"/directory/services/{service.pk}/flag/", {"kind": "other"})
    assert "Say what is wrong" in response.content.decode()
    response = worker.post(
        f"/directory/services/{service.pk}/flag/", {"kind": "wrong_phone", "note": "Now 01632 1"}
    )
    assert response.status_code == 302
    flag = Flag.objects.get(service=service)
    assert flag.status == Flag.Status.OPEN
    entry = LogEntry.objects.get(action="directory.flag_raised")
    assert "note" not in entry.data  # free text stays out of the audit log
    page = manager.get("/directory/flags/")
    assert "Lunch club" in page.content.decode()
    manager.post(f"/directory/flags/{flag.pk}/close/", {"status": "resolved"})
    flag.refresh_from_db()
    assert flag.status == Flag.Status.RESOLVED
    assert flag.resolved_by == manager.membership.user


def test_provider_edits_their_own_listing_only(client_as, scheme):
    provider = client_as(Role.PROVIDER)
    mine = make_service("Our choir", capacity="open")
    mine.organization.staff.add(provider.membership.user)
    theirs = make_service("Not ours")
    response = provider.get(f"/directory/services/{theirs.pk}/edit/")
    assert response.status_code == 403
    form = provider.get(f"/directory/services/{mine.pk}/edit/").context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data = {k: v for k, v in data.items() if v is not False}
    data.update({"capacity": "waiting_list", "typical_wait_weeks": "6"})
    response = provider.post(f"/directory/services/{mine.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    mine.refresh_from_db()
    assert mine.capacity == "waiting_list"
    assert mine.typical_wait_weeks == 6
    assert mine.last_verified_at is not None
    assert "is_public" not in form.fields  # managers only
    listing = provider.get("/directory/yours/").content.decode()
    assert "Our choir" in listing and "Not ours" not in listing


def test_edit_rejects_a_fee_without_an_amount_and_impossible_ages(manager, scheme):
    service = make_service("Gym", scheme=scheme)
    form = manager.get(f"/directory/services/{service.pk}/edit/").context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data = {k: v for k, v in data.items() if v is not False}
    data.update({"cost_type": "fee", "fee_amount": "", "minimum_age": "60", "maximum_age": "18"})
    body = manager.post(f"/directory/services/{service.pk}/edit/", data).content.decode()
    assert "Enter the fee, in pounds" in body
    assert "The oldest age must be the same as or more than the youngest" in body
    service.refresh_from_db()
    assert service.cost_type == "free"


def test_freshness_queue_sends_one_click_verification(
    manager, scheme, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_BACKEND = "email"
    stale = make_service(
        "Old listing", scheme=scheme, last_verified_at=timezone.now() - timedelta(days=200)
    )
    make_service("Fresh listing", scheme=scheme, last_verified_at=timezone.now())
    page = manager.get("/directory/freshness/")
    assert [s.name for s in page.context["page"].object_list] == ["Old listing"]
    response = manager.post("/directory/freshness/", {})
    assert "Choose at least one listing" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        manager.post("/directory/freshness/", {"service": [str(stale.pk), "junk"]})
    assert mail.outbox == []  # sent in the background
    assert messages_send_due() == {OutgoingStatus.SENT: 1}
    assert len(mail.outbox) == 1
    link = re.search(r"http://127\.0\.0\.1:8000(/directory/confirm/\S+/)", mail.outbox[0].body)
    path = link.group(1)
    anonymous = Client()
    assert "Is your listing for Old listing still right?" in anonymous.get(path).content.decode()
    stale.refresh_from_db()
    assert stale.last_verified_at < timezone.now() - timedelta(days=100)  # GET changes nothing
    assert "Thank you" in anonymous.post(path).content.decode()
    stale.refresh_from_db()
    assert stale.last_verified_at > timezone.now() - timedelta(minutes=1)
    assert anonymous.post(path).status_code == 404  # used once
    assert list(manager.get("/directory/freshness/").context["page"].object_list) == []
    request = VerificationRequest.objects.get(service=stale)
    assert request.digest not in path


def test_unknown_confirmation_link_is_404(db):
    assert Client().get(f"/directory/confirm/{uuid.uuid4()}/").status_code == 404


def test_link_workers_cannot_reach_manager_pages(worker):
    assert worker.get("/directory/freshness/").status_code == 403
    assert worker.get("/directory/flags/").status_code == 403


def test_manager_adds_a_listing_then_fills_it_in(manager, scheme):
    response = manager.post("/directory/add/", {"organization_name": "", "service_name": ""})
    assert "Enter the organisation&#x27;s name" in response.content.decode()
    response = manager.post(
        "/directory/add/",
        {"organization_name": "Riverside Choir", "service_name": "Community choir"},
    )
    service = Service.objects.get(name="Community choir")
    assert response["Location"] == f"/directory/services/{service.pk}/edit/"
    assert service.owner_scheme == scheme
    # A second listing for the same organisation joins it rather than copying it.
    manager.post(
        "/directory/add/",
        {"organization_name": "riverside choir", "service_name": "Choir for carers"},
    )
    assert Organization.objects.filter(name__iexact="riverside choir").count() == 1
    assert LogEntry.objects.filter(action="directory.listing_added").count() == 2


def test_provider_changes_their_organisation_but_not_others(client_as):
    provider = client_as(Role.PROVIDER)
    mine = make_service("Choir").organization
    mine.staff.add(provider.membership.user)
    theirs = make_service("Other").organization
    assert provider.get(f"/directory/organisations/{theirs.pk}/edit/").status_code == 403
    response = provider.post(
        f"/directory/organisations/{mine.pk}/edit/",
        {"name": "Choir org", "description": "New words", "email": "bad", "website": ""},
    )
    assert "Enter a valid email address" in response.content.decode()
    response = provider.post(
        f"/directory/organisations/{mine.pk}/edit/",
        {"name": "Choir org", "description": "New words", "email": "a@b.test", "website": "c.test"},
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.description, mine.website) == ("New words", "https://c.test")


def test_a_scheme_adds_its_own_terms_and_files_listings_under_them(
    manager, scheme, client_as, other_scheme
):
    response = manager.post("/directory/terms/", {"taxonomy": "", "name": ""})
    assert "Choose where the term goes" in response.content.decode()
    from linkwell.directory.taxonomy import NEED_AREAS_ID

    manager.post("/directory/terms/", {"taxonomy": str(NEED_AREAS_ID), "name": "Armed forces"})
    response = manager.post(
        "/directory/terms/", {"taxonomy": str(NEED_AREAS_ID), "name": "armed FORCES"}
    )
    assert "already in the list" in response.content.decode()
    response = manager.post(
        "/directory/terms/", {"taxonomy": str(NEED_AREAS_ID), "name": "Loneliness and isolation"}
    )
    assert "already in the list" in response.content.decode()
    from linkwell.directory.models import TaxonomyTerm

    term = TaxonomyTerm.objects.get(name="Armed forces")
    assert term.scheme == scheme

    service = make_service("Veterans breakfast", scheme=scheme)
    form = manager.get(f"/directory/services/{service.pk}/edit/").context["form"]
    assert str(term.pk) in [v for v, _ in form.fields["need_areas"].choices]
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data = {k: v for k, v in data.items() if v is not False}
    data["need_areas"] = [str(term.pk), str(term_id("loneliness"))]
    data["activity_types"] = [str(term_id("group-activity"))]
    assert manager.post(f"/directory/services/{service.pk}/edit/", data).status_code == 302
    codes = set(
        Attribute.objects.filter(link_id=service.pk).values_list("taxonomy_term__name", flat=True)
    )
    assert codes == {"Armed forces", "Loneliness and isolation", "Group activity"}
    results = manager.get("/directory/", {"need": str(term.pk)}).context["services"]
    assert [s.name for s in results] == ["Veterans breakfast"]

    # Another scheme does not see this scheme's term.
    theirs = client_as(Role.MANAGER, of=other_scheme)
    choices = theirs.get("/directory/").context["form"].fields["need"].choices
    assert str(term.pk) not in [v for v, _ in choices]


def test_manager_ties_provider_users_to_an_organisation(manager, member, scheme, other_scheme):
    provider = member(Role.PROVIDER)
    outsider = member(Role.PROVIDER, of=other_scheme)
    org = make_service("Choir", scheme=scheme).organization
    page = manager.get(f"/directory/organisations/{org.pk}/edit/")
    choices = [v for v, _ in page.context["form"].fields["staff"].choices]
    assert choices == [str(provider.user_id)]
    data = {
        "name": org.name,
        "description": "",
        "email": "",
        "website": "",
        "staff": [str(provider.user_id)],
    }
    assert manager.post(f"/directory/organisations/{org.pk}/edit/", data).status_code == 302
    assert list(org.staff.all()) == [provider.user]
    data["staff"] = [str(outsider.user_id)]
    response = manager.post(f"/directory/organisations/{org.pk}/edit/", data)
    assert "Select a valid choice" in response.content.decode()
    assert list(org.staff.all()) == [provider.user]
    entry = LogEntry.objects.filter(action="directory.organization_changed").last()
    assert entry.data["staff"] == [provider.user.email]


def test_managers_close_flags_only_on_their_own_listings(manager, scheme, other_scheme):
    theirs = make_service("Their club", scheme=other_scheme)
    flag = Flag.objects.create(service=theirs, scheme=scheme, kind=Flag.Kind.CLOSED)
    response = manager.post(f"/directory/flags/{flag.pk}/close/", {"status": "dismissed"})
    assert response.status_code == 404
    flag.refresh_from_db()
    assert flag.status == Flag.Status.OPEN


def test_a_scheme_term_is_not_in_the_open_feed(manager, scheme):
    from linkwell.directory.models import TaxonomyTerm
    from linkwell.directory.taxonomy import NEED_AREAS_ID

    term = TaxonomyTerm.objects.create(taxonomy_id=NEED_AREAS_ID, name="Ours", scheme=scheme)
    assert Client().get(f"/oruk/taxonomy_terms/{term.pk}").status_code == 404
    listed = Client().get("/oruk/taxonomy_terms", {"per_page": 200}).json()["contents"]
    assert str(term.pk) not in {t["id"] for t in listed}
