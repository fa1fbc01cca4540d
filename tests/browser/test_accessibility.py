"""axe-core finds no WCAG 2.2 A/AA violation on any page, for any role."""

import pytest

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
    assert page.locator(".nhsuk-error-summary").is_visible()
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
    assert page.locator(".nhsuk-error-summary").is_visible()
    assert axe_violations(page) == []
    page.goto("/account/")
    page.get_by_label("Token name").fill("Reporting")
    page.get_by_role("button", name="Create token").click()
    assert page.get_by_test_id("new-token").is_visible()
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
