"""axe-core finds no WCAG 2.2 A/AA violation on any page, for any role."""

import pytest
from playwright.sync_api import expect

from linkwell.core.models import Role
from tests.browser.conftest import axe_violations, signed_in
from tests.factories import MembershipFactory

ANONYMOUS_PAGES = ["/sign-in/", "/password-reset/", "/password-reset/sent/", "/accessibility/"]


def check(page, url):
    response = page.goto(url)
    assert response is not None
    violations = axe_violations(page)
    assert violations == [], f"{url}: {violations}"
    return response


@pytest.mark.parametrize("url", ANONYMOUS_PAGES)
def test_public_pages(page, db, url):
    assert check(page, url).status == 200


def test_sign_in_page_with_errors(page, db):
    page.goto("/sign-in/")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert axe_violations(page) == []


@pytest.mark.parametrize("role", list(Role))
def test_each_roles_dashboard(page, live_server, scheme, other_scheme, role):
    membership = MembershipFactory(scheme=scheme, role=role)
    MembershipFactory(scheme=other_scheme, user=membership.user, role=Role.COMMISSIONER)
    signed_in(page, live_server, membership.user)
    assert check(page, "/").status == 200
    # The scheme switcher, opened.
    page.get_by_text("Switch scheme", exact=True).first.click()
    assert axe_violations(page) == []


def test_admin_pages(page, live_server, scheme):
    admin = MembershipFactory(scheme=scheme, role=Role.ADMIN)
    worker = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    signed_in(page, live_server, admin.user)
    for url in [
        "/team/",
        "/team/add/",
        f"/team/{worker.pk}/",
        f"/team/{worker.pk}/end/",
        "/audit/",
        "/audit/?date_from=2026-02-30",
        "/scheme/settings/",
        "/account/",
        "/no-such-page/",
    ]:
        check(page, url)
    page.goto("/team/add/")
    page.get_by_role("button", name="Add to team").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert axe_violations(page) == []
    page.goto("/account/")
    page.get_by_label("Token name").fill("Reporting")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_test_id("new-token")).to_be_visible()
    assert axe_violations(page) == []


def test_forbidden_page(page, live_server, scheme):
    worker = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    signed_in(page, live_server, worker.user)
    assert check(page, "/team/").status == 403


def test_two_factor_pages(page, live_server, scheme):
    from django.test import Client

    from tests.conftest import sign_in

    worker = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    client = sign_in(Client(), worker.user, verified=False)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    check(page, "/two-factor/set-up/")
    page.get_by_text("I cannot scan the QR code").click()
    assert axe_violations(page) == []


def test_api_documentation(page, db):
    page.goto("/api/v1/docs")
    page.wait_for_selector("#operation\\/linkwell_core_api_me")
    # Open a JSON sample's expand buttons too: they must be big enough to hit.
    assert page.locator("html").get_attribute("lang") == "en-GB"
    assert axe_violations(page) == []


def test_directory_pages(page, live_server, scheme):
    from datetime import timedelta

    from django.utils import timezone

    from linkwell.directory.models import Flag
    from linkwell.geo.models import Postcode
    from tests.directory.test_pages import make_service

    Postcode.objects.create(postcode="RV1 1AA", latitude=52.48, longitude=-1.90, source="demo")
    service = make_service(
        "Art group",
        scheme=scheme,
        lat=52.481,
        lon=-1.9,
        terms=["arts-creativity"],
        in_person=True,
        capacity="waiting_list",
        typical_wait_weeks=4,
        last_verified_at=timezone.now() - timedelta(days=300),
    )
    Flag.objects.create(service=service, scheme=scheme, kind=Flag.Kind.WRONG_PHONE, note="x")
    manager = MembershipFactory(scheme=scheme, role=Role.MANAGER)
    signed_in(page, live_server, manager.user)
    for url in [
        "/directory/",
        "/directory/?postcode=RV1+1AA&distance=5000",
        "/directory/?postcode=nonsense",
        f"/directory/services/{service.pk}/",
        f"/directory/services/{service.pk}/flag/",
        f"/directory/services/{service.pk}/edit/",
        "/directory/freshness/",
        "/directory/flags/",
        "/directory/add/",
        "/directory/terms/",
        f"/directory/organisations/{service.organization_id}/edit/",
    ]:
        assert check(page, url).status == 200, url
    page.goto(f"/directory/services/{service.pk}/flag/")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert axe_violations(page) == []


def test_directory_search_by_keyboard_updates_results(page, live_server, scheme):
    from tests.directory.test_pages import make_service

    make_service("Walking group", scheme=scheme, in_person=True)
    make_service("Phone befriending", scheme=scheme, by_phone=True)
    worker = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    signed_in(page, live_server, worker.user)
    page.goto("/directory/")
    page.get_by_label("Search").focus()
    page.keyboard.type("walking")
    page.keyboard.press("Enter")
    page.wait_for_url("**/directory/?q=walking**")
    results = page.locator("#results")
    expect(results).to_contain_text("1 listing")
    assert "Walking group" in results.inner_text()
    assert "Phone befriending" not in results.inner_text()
    page.get_by_role("link", name="Walking group").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Walking group")


def test_provider_pages(page, live_server, scheme):
    from tests.directory.test_pages import make_service

    service = make_service("Choir", scheme=scheme)
    provider = MembershipFactory(scheme=scheme, role=Role.PROVIDER)
    service.organization.staff.add(provider.user)
    signed_in(page, live_server, provider.user)
    check(page, "/directory/yours/")
    check(page, f"/directory/services/{service.pk}/edit/")


def test_verification_link_pages(page, live_server, scheme, settings):
    import re

    from django.core import mail

    from linkwell.directory.services import verification_requests_send
    from linkwell.notify.outbox import messages_send_due
    from tests.directory.test_pages import make_service

    settings.NOTIFY_BACKEND = "email"
    service = make_service("Lunch club", scheme=scheme)
    manager = MembershipFactory(scheme=scheme, role=Role.MANAGER)
    # Browser tests run in autocommit: the request is stored in the outbox at once, and the
    # sweep sends it (the background worker's job).
    verification_requests_send(services=[service], membership=manager)
    messages_send_due()
    link = re.search(r"(/directory/confirm/\S+/)", mail.outbox[-1].body).group(1)
    check(page, link)
    page.get_by_role("button", name="Yes, it is still correct").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    assert axe_violations(page) == []
    assert check(page, "/directory/confirm/not-a-real-link/").status == 404


def test_import_pages(page, live_server, scheme, settings, tmp_path):
    from linkwell.directory.models import DirectoryImport

    settings.MEDIA_ROOT = tmp_path
    manager = MembershipFactory(scheme=scheme, role=Role.MANAGER)
    signed_in(page, live_server, manager.user)
    check(page, "/directory/import/")
    page.get_by_role("button", name="Start the import").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert axe_violations(page) == []
    done = DirectoryImport.objects.create(
        scheme=scheme,
        source_label="council.json",
        status=DirectoryImport.Status.DONE,
        done=3,
        total=3,
        summary={
            "counts": {"service": {"created": 2, "updated": 1}},
            "errors": [{"text": "service x: closes_at is before opens_at"}],
            "warnings": [{"text": "location y: latitude 100 is impossible; left out"}],
            "error_count": 1,
            "warning_count": 1,
            "seconds": 0.4,
        },
    )
    check(page, f"/directory/import/{done.pk}/")
    waiting = DirectoryImport.objects.create(scheme=scheme, source_label="feed")
    check(page, f"/directory/import/{waiting.pk}/")


@pytest.mark.parametrize("role", [Role.MANAGER, Role.LINK_WORKER])
def test_pages_on_a_phone_fold_the_menu_into_more(page, live_server, scheme, role):
    membership = MembershipFactory(scheme=scheme, role=role)
    signed_in(page, live_server, membership.user)
    page.set_viewport_size({"width": 375, "height": 800})
    for url in ["/", "/cases/", "/referrals/triage/"]:
        assert check(page, url).status == 200
    more = page.get_by_role("button", name="Browse More")
    expect(more).to_be_visible()
    more.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".nhsuk-header__menu-list a", has_text="Directory")).to_be_visible()
    assert axe_violations(page) == []
