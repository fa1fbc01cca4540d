"""The virtual waiting room: the private link offered on referral, the person's page, what staff
see and do (send, stop, print and post the pack)."""

import hashlib
import re
import zlib
from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linkwell.core.models import LogEntry, Role
from linkwell.directory.taxonomy import term_id
from linkwell.notify import backends
from linkwell.people.models import Consent
from linkwell.people.services import consent_record, consent_withdraw
from linkwell.referrals import waiting_room
from linkwell.referrals.models import PackPosting, WaitingRoomLink
from linkwell.referrals.services import IntakeRequest, referral_intake
from linkwell.referrals.waiting_room import working_days_between
from linkwell.resources import services as resource_services
from tests.conftest import sign_in
from tests.factories import MembershipFactory, PersonFactory, ReferralFactory, UserFactory
from tests.resources.conftest import make_pdf
from tests.resources.factories import ResourceFactory

MOBILE = "+447700900123"
LANDLINE = "+441632960555"


@pytest.fixture(autouse=True)
def outbox(settings):
    settings.NOTIFY_BACKEND = "memory"
    backends.outbox.clear()
    yield backends.outbox
    backends.outbox.clear()


def make_referral(
    scheme,
    *,
    phone=MOBILE,
    email="",
    preferred="phone",
    digital="smartphone",
    consent=True,
    channels=(),
    reasons=("loneliness",),
    **person_fields,
):
    person = PersonFactory(
        scheme=scheme,
        given_name="Aled",
        family_name="Pryce-Jones",
        phone=phone,
        email=email,
        preferred_contact_method=preferred,
        digital_access=digital,
        **person_fields,
    )
    if consent:
        Consent.objects.create(
            person=person, scope="contact", method="verbal", channels=list(channels)
        )
    return ReferralFactory(scheme=scheme, person=person, reasons=list(reasons))


def secret_in(message) -> str:
    return re.search(r"/waiting-room/([A-Za-z0-9_-]{43})/", message.body).group(1)


def offer(referral):
    link = waiting_room.offer_on_referral(referral_id=referral.pk)
    return link


# --- Offering the link on referral ---------------------------------------------------------------


def test_a_link_goes_by_text_message_and_only_its_digest_is_kept(scheme, outbox):
    referral = make_referral(scheme)
    link = offer(referral)
    [message] = outbox
    assert message.channel == "sms" and message.to_phone == MOBILE
    secret = secret_in(message)
    assert "Aled" in message.body and "Pryce-Jones" not in message.body
    link.refresh_from_db()
    assert link.digest == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(v) for v in WaitingRoomLink.objects.values().get().values()]
    assert not any(secret in value for value in stored)
    assert not LogEntry.objects.filter(data__icontains=secret).exists()
    assert link.sent_by == "sms" and link.sent_to == MOBILE and link.send_error == ""
    assert link.expires_at - link.created_at == timedelta(days=scheme.waiting_room_days)
    entry = LogEntry.objects.get(action="waiting_room.link_sent")
    assert entry.person_id == str(referral.person_id) and entry.scheme == scheme


def test_each_link_is_different(scheme, outbox):
    offer(make_referral(scheme))
    offer(make_referral(scheme, phone="+447700900124"))
    first, second = (secret_in(m) for m in outbox)
    assert first != second and len(first) == 43


def test_someone_who_prefers_email_gets_an_email(scheme, outbox):
    offer(make_referral(scheme, email="aled@example.test", preferred="email"))
    [message] = outbox
    assert message.channel == "email" and message.to_email == "aled@example.test"
    assert secret_in(message)
    assert "116 123" in message.body


def test_the_other_route_is_used_when_the_preferred_one_is_missing(scheme, outbox):
    offer(make_referral(scheme, email="", preferred="email"))
    assert [m.channel for m in outbox] == ["sms"]


def test_consent_decides_the_route(scheme, outbox):
    offer(make_referral(scheme, email="aled@example.test", channels=["email", "phone"]))
    assert [m.channel for m in outbox] == ["email"]


@pytest.mark.parametrize(
    ("kwargs", "why", "offer_pack"),
    [
        ({"consent": False}, "no consent to be contacted", False),
        ({"digital": "none"}, "no digital access: print the pack and post it", True),
        ({"digital": "phone_only"}, "a basic phone only: print the pack and post it", True),
        ({"preferred": "letter"}, "prefers letters: print the pack and post it", True),
        ({"phone": LANDLINE}, "no mobile number; no email address", True),
        (
            {"channels": ["phone", "letter"], "email": "a@example.test"},
            "consent to contact does not include text message; consent to contact does not "
            "include email",
            True,
        ),
    ],
)
def test_no_link_without_consent_or_a_route_and_staff_see_why(
    scheme, outbox, kwargs, why, offer_pack
):
    referral = make_referral(scheme, address_line_1="1 River Street", **kwargs)
    assert offer(referral) is None
    assert outbox == []
    assert not WaitingRoomLink.objects.exists()
    entry = LogEntry.objects.get(action="waiting_room.not_offered")
    assert entry.data == {"why": why, "offer_pack": offer_pack}
    summary = waiting_room.waiting_room_summary(referral=referral)
    assert summary["route"].why_not == why
    # A pack is a letter: offered only with consent to be contacted that allows letters.
    assert summary["offer_pack"] is (why != "no consent to be contacted")


def test_a_failed_send_is_recorded_on_the_link_and_shown_to_staff(scheme, settings):
    settings.NOTIFY_BACKEND = "email"
    referral = make_referral(scheme)
    link = offer(referral)
    link.refresh_from_db()
    assert "cannot send text messages" in link.send_error
    entry = LogEntry.objects.get(action="waiting_room.send_failed")
    assert "cannot send text messages" in entry.data["error"]
    summary = waiting_room.waiting_room_summary(referral=referral)
    assert summary["current"].state == "failed"
    html = render_panel(referral)
    assert "cannot send text messages" in html
    assert "Not sent" in html


def test_an_unexpected_failure_does_not_break_intake(scheme, monkeypatch, caplog):
    referral = make_referral(scheme)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(waiting_room, "choose_route", broken)
    assert waiting_room.offer_on_referral(referral_id=referral.pk) is None
    assert "Could not offer a waiting-room link" in caplog.text


def test_intake_offers_the_link_once_the_referral_is_stored(
    scheme, outbox, django_capture_on_commit_callbacks
):
    request = IntakeRequest(
        scheme=scheme,
        channel="staff",
        source_type="gp_practice",
        person={"given_name": "Carol", "family_name": "Nash", "phone": "07700 900 555"},
        reasons=["mental-wellbeing"],
        consents={"contact": {"method": "verbal", "channels": ["sms"]}},
    )
    with django_capture_on_commit_callbacks(execute=True):
        referral = referral_intake(request, by=None)
    [message] = outbox
    assert message.to_phone == "+447700900555"
    assert WaitingRoomLink.objects.get().referral == referral


# --- The person's page ---------------------------------------------------------------------------


def link_and_secret(scheme, **kwargs):
    referral = make_referral(scheme, **kwargs)
    link = offer(referral)
    return referral, link, secret_in(backends.outbox[-1])


def test_the_page_greets_by_first_name_and_shows_matched_help(scheme, other_scheme, client):
    ResourceFactory(scheme=scheme, title="Friendship Line", needs=["loneliness"])
    ResourceFactory(scheme=scheme, title="Housing Advice", needs=["housing"])
    ResourceFactory(scheme=scheme, title="Old line", needs=["loneliness"], is_active=False)
    ResourceFactory(scheme=other_scheme, title="Their line", needs=["loneliness"])
    _referral, _link, secret = link_and_secret(scheme)
    response = client.get(f"/waiting-room/{secret}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Hello Aled" in page
    assert "Pryce-Jones" not in page
    assert [r.title for r in response.context["resources"]] == ["Friendship Line"]
    assert "Housing Advice" not in page and "Their line" not in page and "Old line" not in page
    assert 'href="tel:01632960001"' in page
    for number in ("999", "NHS 111", "116 123"):
        assert number in page
    assert "What happens next" in page
    assert "by phone" in page


def test_the_page_is_private_not_cached_nor_indexed(scheme, client):
    _, _, secret = link_and_secret(scheme)
    response = client.get(f"/waiting-room/{secret}/")
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()


def test_staff_navigation_is_not_on_the_page_even_when_signed_in(scheme, member):
    _, _, secret = link_and_secret(scheme)
    client = sign_in(Client(), member(Role.MANAGER).user)
    page = client.get(f"/waiting-room/{secret}/").content.decode()
    assert "Dashboard" not in page
    assert "Sign out" not in page
    assert "Working in" not in page


def test_every_view_is_counted_and_logged(scheme, client):
    referral, link, secret = link_and_secret(scheme)
    client.get(f"/waiting-room/{secret}/")
    client.get(f"/waiting-room/{secret}/")
    link.refresh_from_db()
    assert link.view_count == 2 and link.last_viewed_at is not None
    entries = LogEntry.objects.filter(action="waiting_room.viewed")
    assert entries.count() == 2
    entry = entries.first()
    assert entry.actor is None
    assert entry.actor_label == "the person, by their waiting-room link"
    assert entry.person_id == str(referral.person_id)
    assert entry.scheme == scheme


def test_general_help_is_shown_when_nothing_matches(scheme, client):
    ResourceFactory(scheme=scheme, title="Five ways to wellbeing")
    ResourceFactory(scheme=scheme, title="Housing Advice", needs=["housing"])
    _, _, secret = link_and_secret(scheme, reasons=["bereavement"])
    response = client.get(f"/waiting-room/{secret}/")
    assert [r.title for r in response.context["resources"]] == ["Five ways to wellbeing"]
    assert "These can help anyone" in response.content.decode()


def test_the_best_matches_come_first_and_the_list_is_capped(scheme, client):
    for n in range(12):
        ResourceFactory(scheme=scheme, title=f"Line {n:02d}", needs=["loneliness"])
    ResourceFactory(scheme=scheme, title="Zz both", needs=["loneliness", "bereavement"])
    _, _, secret = link_and_secret(scheme, reasons=["loneliness", "bereavement"])
    shown = [r.title for r in client.get(f"/waiting-room/{secret}/").context["resources"]]
    assert len(shown) == 8
    assert shown[0] == "Zz both"


def test_the_page_query_count_does_not_grow_with_resources(scheme, client):
    _, _, secret = link_and_secret(scheme)
    ResourceFactory(scheme=scheme, needs=["loneliness"])
    with CaptureQueriesContext(connection) as small:
        client.get(f"/waiting-room/{secret}/")
    for _ in range(10):
        ResourceFactory(scheme=scheme, needs=["loneliness", "housing"])
    with CaptureQueriesContext(connection) as large:
        client.get(f"/waiting-room/{secret}/")
    assert len(large) == len(small)


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        ("2026-03-02", "2026-03-02", 0),  # Monday, same day
        ("2026-03-02", "2026-03-04", 2),  # Monday to Wednesday
        ("2026-03-06", "2026-03-09", 1),  # Friday to Monday
        ("2026-03-07", "2026-03-08", 0),  # Saturday to Sunday
        ("2026-03-02", "2026-03-16", 10),  # two weeks
        ("2026-03-05", "2026-03-17", 8),
    ],
)
def test_working_days(start, end, days):
    as_date = lambda text: datetime.fromisoformat(text).date()  # noqa: E731
    assert working_days_between(as_date(start), as_date(end)) == days


def contacted(scheme, received, working_days_later):
    referral = ReferralFactory(scheme=scheme, received_at=received, status="contacted")
    contact = received
    added = 0
    while added < working_days_later:
        contact += timedelta(days=1)
        if contact.weekday() < 5:
            added += 1
    referral.first_contact_at = contact + timedelta(hours=2)
    referral.save()
    return referral


def test_the_usual_wait_is_the_median_of_recent_first_contacts(scheme, other_scheme, client):
    monday = timezone.make_aware(datetime(2026, 1, 5, 9))
    now = timezone.now()
    # 10:00 on a Monday well inside the 90 days (at any hour the test runs: a first contact
    # two hours later must stay on the same day).
    base = timezone.localtime(now - timedelta(days=40)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    base -= timedelta(days=base.weekday())
    for days in (2, 3, 4, 4, 9):
        contacted(scheme, base, days)
    contacted(scheme, monday - timedelta(days=400), 30)  # long ago: not counted
    for _ in range(5):
        contacted(other_scheme, base, 20)  # another scheme's figures
    assert waiting_room.usual_wait(scheme) == 4
    _, _, secret = link_and_secret(scheme)
    page = client.get(f"/waiting-room/{secret}/").content.decode()
    assert "We usually contact people within 4 working days" in page


def test_too_few_first_contacts_give_no_figure(scheme, client):
    base = timezone.now() - timedelta(days=30)
    for days in (2, 3, 4, 5):
        contacted(scheme, base, days)
    assert waiting_room.usual_wait(scheme) is None
    _, _, secret = link_and_secret(scheme)
    page = client.get(f"/waiting-room/{secret}/").content.decode()
    assert "We cannot yet say how long the wait usually is" in page


def test_an_unknown_link_is_a_friendly_404(scheme, client):
    link_and_secret(scheme)
    for path in ("/waiting-room/" + "x" * 43 + "/", "/waiting-room/short/"):
        response = client.get(path)
        assert response.status_code == 404
        page = response.content.decode()
        assert "Page not found" in page and "GP practice" in page and "116 123" in page
        assert response["Cache-Control"] == "no-store"
    assert not LogEntry.objects.filter(action="waiting_room.viewed").exists()


def test_an_expired_link_is_410_and_says_whom_to_contact(scheme, client):
    _, link, secret = link_and_secret(scheme)
    WaitingRoomLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    response = client.get(f"/waiting-room/{secret}/")
    assert response.status_code == 410
    page = response.content.decode()
    assert "has expired" in page and scheme.name in page
    assert "Hello" not in page
    link.refresh_from_db()
    assert link.view_count == 0


def test_withdrawing_consent_stops_the_link(scheme, client, member):
    referral, _link, secret = link_and_secret(scheme)
    consent = Consent.objects.get(person=referral.person)
    consent_withdraw(consent=consent, by=member(Role.MANAGER).user)
    assert client.get(f"/waiting-room/{secret}/").status_code == 410


def test_consent_is_checked_again_when_the_page_is_opened(scheme, client, member):
    referral, _link, secret = link_and_secret(scheme)
    # Consent re-recorded without text messages (the old one is replaced, not withdrawn by
    # the waiting room): the link that went by text stops working.
    Consent.objects.filter(person=referral.person).update(channels=["email"])
    assert client.get(f"/waiting-room/{secret}/").status_code == 410
    Consent.objects.filter(person=referral.person).update(channels=["sms"])
    assert client.get(f"/waiting-room/{secret}/").status_code == 200
    consent_record(
        person=referral.person, scope="contact", method="verbal", by=None, channels=["letter"]
    )
    assert client.get(f"/waiting-room/{secret}/").status_code == 410


# --- Leaflets through the link -------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def leaflet(scheme, member, media):
    manager = member(Role.MANAGER)
    return resource_services.resource_create(
        membership=manager,
        data={
            "title": "Sleep well",
            "summary": "A guide.",
            "format": "leaflet",
            "need_areas": [str(term_id("loneliness"))],
            "review_date": timezone.localdate() + timedelta(days=90),
        },
        file=SimpleUploadedFile("sleep.pdf", make_pdf(), "application/pdf"),
    )


def test_a_leaflet_opens_through_the_link(scheme, client, leaflet):
    _, _link, secret = link_and_secret(scheme)
    page = client.get(f"/waiting-room/{secret}/").content.decode()
    url = f"/waiting-room/{secret}/resources/{leaflet.pk}/file"
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    entry = LogEntry.objects.get(action="waiting_room.leaflet_opened")
    assert entry.data == {"resource": str(leaflet.pk)} and entry.actor is None


def test_a_leaflet_needs_a_working_link_and_the_schemes_own_resource(
    scheme, other_scheme, client, leaflet, member
):
    _, link, secret = link_and_secret(scheme)
    theirs = resource_services.resource_create(
        membership=member(Role.MANAGER, of=other_scheme),
        data={
            "title": "Theirs",
            "summary": "x",
            "format": "leaflet",
            "review_date": timezone.localdate(),
        },
        file=SimpleUploadedFile("theirs.pdf", make_pdf(), "application/pdf"),
    )
    assert client.get(f"/waiting-room/{secret}/resources/{theirs.pk}/file").status_code == 404
    WaitingRoomLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    assert client.get(f"/waiting-room/{secret}/resources/{leaflet.pk}/file").status_code == 410


# --- Staff: send, stop, pack ---------------------------------------------------------------------


@pytest.fixture
def worker(client_as):
    return client_as(Role.LINK_WORKER)


def test_staff_stop_a_link(scheme, worker, client):
    referral, link, secret = link_and_secret(scheme)
    url = f"/waiting-room/links/{link.pk}/revoke/"
    assert worker.get(url).status_code == 405
    response = worker.post(url)
    assert response.status_code == 302
    assert response["Location"] == f"/referrals/{referral.pk}/#waiting-room"
    link.refresh_from_db()
    assert link.revoked_at is not None and link.revoked_by == worker.membership.user
    assert LogEntry.objects.filter(action="waiting_room.link_revoked").exists()
    assert client.get(f"/waiting-room/{secret}/").status_code == 410
    # Twice is a clear message, not an error page.
    worker.post(url)
    assert LogEntry.objects.filter(action="waiting_room.link_revoked").count() == 1


def test_a_safe_next_address_is_followed_and_another_site_is_not(scheme, worker):
    referral, link, _ = link_and_secret(scheme)
    response = worker.post(
        f"/waiting-room/links/{link.pk}/revoke/", {"next": "https://evil.example.org/"}
    )
    assert response["Location"] == f"/referrals/{referral.pk}/#waiting-room"
    response = worker.post(
        f"/waiting-room/referrals/{referral.pk}/send/", {"next": f"/referrals/{referral.pk}/"}
    )
    assert response["Location"] == f"/referrals/{referral.pk}/"


def test_staff_send_a_new_link_which_replaces_the_old(scheme, worker, client, outbox):
    referral, old, old_secret = link_and_secret(scheme, email="aled@example.test")
    response = worker.post(f"/waiting-room/referrals/{referral.pk}/send/", {"send_by": "email"})
    assert response.status_code == 302
    assert outbox[-1].channel == "email"
    new_secret = secret_in(outbox[-1])
    assert client.get(f"/waiting-room/{old_secret}/").status_code == 410
    assert client.get(f"/waiting-room/{new_secret}/").status_code == 200
    old.refresh_from_db()
    assert old.revoked_by == worker.membership.user


@pytest.mark.parametrize(
    ("kwargs", "post", "words"),
    [
        ({}, {"send_by": "email"}, "no email address"),
        ({"consent": False}, {}, "no consent to be contacted"),
        ({"digital": "none"}, {}, "print the pack"),
        ({}, {"send_by": "pigeon"}, "Choose text message or email"),
    ],
)
def test_staff_are_told_why_a_link_cannot_be_sent(scheme, worker, outbox, kwargs, post, words):
    referral = make_referral(scheme, **kwargs)
    response = worker.post(f"/waiting-room/referrals/{referral.pk}/send/", post, follow=True)
    assert words in response.content.decode()
    assert outbox == [] and not WaitingRoomLink.objects.exists()


def test_staff_may_text_someone_recorded_without_internet_when_they_choose_to(
    scheme, worker, outbox
):
    referral = make_referral(scheme, digital="none")
    worker.post(f"/waiting-room/referrals/{referral.pk}/send/", {"send_by": "sms"})
    assert [m.channel for m in outbox] == ["sms"]


def test_no_new_link_for_a_closed_referral(scheme, worker, outbox):
    referral = make_referral(scheme)
    referral.status = "withdrawn"
    referral.save()
    response = worker.post(f"/waiting-room/referrals/{referral.pk}/send/", follow=True)
    assert "This referral is closed" in response.content.decode()
    assert outbox == []


def pdf_text(data: bytes) -> str:
    """The text drawn in a PDF made by fpdf2 (its page streams are zlib-compressed)."""
    parts = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            parts.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            parts.append(stream.decode("latin-1"))
    shown = re.findall(r"\((.*?)(?<!\\)\)\s*Tj", "\n".join(parts))
    return "\n".join(s.replace("\\(", "(").replace("\\)", ")") for s in shown)


def test_the_printed_pack_has_the_letter_and_the_same_help(scheme, worker):
    ResourceFactory(
        scheme=scheme,
        title="Friendship Line",
        phone="01632 960101",
        phone_hours="Weekdays",
        needs=["loneliness"],
    )
    ResourceFactory(
        scheme=scheme,
        title="Mind Online",
        format="web",
        phone="",
        url="https://mind.example.org/",
        needs=["loneliness"],
    )
    ResourceFactory(scheme=scheme, title="Housing Advice", needs=["housing"])
    referral = make_referral(
        scheme, digital="none", address_line_1="12 Mill Lane", town="Riverside", postcode="RV1 2AB"
    )
    response = worker.get(f"/waiting-room/referrals/{referral.pk}/pack.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    for expected in (
        "Aled Pryce-Jones",
        "12 Mill Lane",
        "RV1 2AB",
        "Dear Aled,",
        "Friendship Line",
        "01632 960101",
        "https://mind.example.org/",
        "116 123",
        "NHS 111",
        "What happens next",
    ):
        assert expected in text, expected
    assert "Housing Advice" not in text
    assert b"/URI" not in response.content  # paper has no links
    entry = LogEntry.objects.get(action="waiting_room.pack_printed")
    assert entry.actor == worker.membership.user
    assert entry.person_id == str(referral.person_id)


def test_the_pack_copes_with_typographic_characters(scheme, worker):
    ResourceFactory(
        scheme=scheme,
        title="Carers\u2019 Hub \u2013 advice",
        summary="\u201cHelp\u201d \u2026 for carers",
        needs=["carers"],
    )
    referral = make_referral(scheme, reasons=["carers"])
    response = worker.get(f"/waiting-room/referrals/{referral.pk}/pack.pdf")
    assert response.status_code == 200
    assert "Carers' Hub - advice" in pdf_text(response.content)


def test_recording_the_posted_pack_keeps_the_address_it_went_to(scheme, worker):
    referral = make_referral(scheme, address_line_1="12 Mill Lane", postcode="RV1 2AB")
    response = worker.post(f"/waiting-room/referrals/{referral.pk}/pack-posted/")
    assert response.status_code == 302
    posting = PackPosting.objects.get()
    assert posting.address == "Aled Pryce-Jones\n12 Mill Lane\nRV1 2AB"
    assert posting.posted_by == worker.membership.user
    person = referral.person
    person.address_line_1 = "3 New Road"
    person.save()
    posting.refresh_from_db()
    assert "12 Mill Lane" in posting.address
    entry = LogEntry.objects.get(action="waiting_room.pack_posted")
    assert entry.person_id == str(referral.person_id) and entry.scheme == scheme


def test_no_posting_without_an_address(scheme, worker):
    referral = make_referral(scheme, postcode="")
    response = worker.post(f"/waiting-room/referrals/{referral.pk}/pack-posted/", follow=True)
    assert "There is no postal address" in response.content.decode()
    assert not PackPosting.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "pack.pdf"),
        ("post", "pack-posted/"),
        ("post", "send/"),
    ],
)
@pytest.mark.parametrize("role", [Role.REFERRER, Role.COMMISSIONER, Role.PROVIDER, Role.ADMIN])
def test_only_triage_roles_use_the_staff_actions(scheme, client_as, method, path, role):
    referral = make_referral(scheme, postcode="RV1 1AA")
    response = getattr(client_as(role), method)(f"/waiting-room/referrals/{referral.pk}/{path}")
    assert response.status_code == 403
    assert not PackPosting.objects.exists()
    assert not WaitingRoomLink.objects.exists()


def test_staff_actions_need_the_second_factor_even_under_the_open_path(scheme, member):
    referral, link, _ = link_and_secret(scheme)
    client = sign_in(Client(), member(Role.LINK_WORKER).user, verified=False)
    response = client.get(f"/waiting-room/referrals/{referral.pk}/pack.pdf")
    assert response.status_code == 302
    assert response["Location"].startswith("/two-factor/")
    response = client.post(f"/waiting-room/links/{link.pk}/revoke/")
    assert response["Location"].startswith("/two-factor/")
    link.refresh_from_db()
    assert link.revoked_at is None
    assert not LogEntry.objects.filter(action="waiting_room.pack_printed").exists()


def test_staff_actions_sign_in_first(scheme):
    referral = make_referral(scheme)
    response = Client().get(f"/waiting-room/referrals/{referral.pk}/pack.pdf")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


def test_a_member_limited_to_another_site_cannot_reach_the_referral(scheme):
    """Site limits apply as on the referral page."""
    north, south = scheme.sites.order_by("name")
    referral = make_referral(scheme, postcode="RV1 1AA")
    referral.site = south
    referral.save()
    membership = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    membership.sites.set([north])
    client = sign_in(Client(), membership.user)
    assert client.get(f"/waiting-room/referrals/{referral.pk}/pack.pdf").status_code == 404
    assert client.post(f"/waiting-room/referrals/{referral.pk}/pack-posted/").status_code == 404
    assert not PackPosting.objects.exists()
    membership.sites.set([south])
    assert client.get(f"/waiting-room/referrals/{referral.pk}/pack.pdf").status_code == 200


# --- The panel on the referral page --------------------------------------------------------------


def render_panel(referral, path="/referrals/x/"):
    request = RequestFactory().get(path)
    request.user = UserFactory()
    return render_to_string(
        "referrals/partials/waiting_room_panel.html",
        {
            "referral": referral,
            "waiting_room": waiting_room.waiting_room_summary(referral=referral),
        },
        request=request,
    )


def test_the_panel_shows_the_link_its_views_and_the_actions(scheme, client):
    referral, link, secret = link_and_secret(scheme, address_line_1="1 River Street")
    client.get(f"/waiting-room/{secret}/")
    html = render_panel(referral)
    assert "Working" in html and "By text message" in html
    assert "1 time, last on" in html
    assert f"/waiting-room/links/{link.pk}/revoke/" in html
    assert f"/waiting-room/referrals/{referral.pk}/send/" in html
    assert f"/waiting-room/referrals/{referral.pk}/pack.pdf" in html
    assert f"/waiting-room/referrals/{referral.pk}/pack-posted/" in html
    assert secret not in html


def test_the_panel_says_why_no_link_was_sent(scheme):
    referral = make_referral(scheme, digital="none", postcode="")
    offer(referral)
    html = render_panel(referral)
    assert "No link sent:" in html and "print the pack and post it" in html
    assert "Add their postal address to post a pack" in html


def test_the_panel_lists_postings_and_earlier_links(scheme, worker):
    referral, _, _ = link_and_secret(scheme, address_line_1="1 River Street")
    worker.post(f"/waiting-room/referrals/{referral.pk}/send/")
    worker.post(f"/waiting-room/referrals/{referral.pk}/pack-posted/")
    html = render_panel(referral)
    assert "Earlier links" in html
    assert "1 River Street" in html


def test_the_summary_query_count_does_not_grow(scheme, worker):
    referral, _, _ = link_and_secret(scheme, address_line_1="1 River Street")
    with CaptureQueriesContext(connection) as small:
        waiting_room.waiting_room_summary(referral=referral)
    for _ in range(4):
        worker.post(f"/waiting-room/referrals/{referral.pk}/send/")
        worker.post(f"/waiting-room/referrals/{referral.pk}/pack-posted/")
    with CaptureQueriesContext(connection) as large:
        summary = waiting_room.waiting_room_summary(referral=referral)
    assert len(summary["links"]) == 5 and len(summary["postings"]) == 4
    assert len(large) == len(small)


def test_the_referral_page_shows_the_panel(scheme, worker):
    referral, link, secret = link_and_secret(scheme, address_line_1="1 River Street")
    response = worker.get(f"/referrals/{referral.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="waiting-room"' in page
    assert f"/waiting-room/links/{link.pk}/revoke/" in page
    assert secret not in page
