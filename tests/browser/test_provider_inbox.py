"""The provider inbox and the emailed-link page in Chromium: no axe-core WCAG 2.2 A/AA
violations, with and without errors, and accepting a referral works by keyboard alone."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from linkwell.casework.models import Need
from linkwell.connections import services
from linkwell.connections.models import Connection, ProviderLink
from linkwell.connections.provider_links import provider_link_create
from linkwell.connections.states import Kind, Status
from linkwell.core.models import Role
from linkwell.directory.models import ReferralRoute
from linkwell.people.models import Consent, ConsentMethod, ConsentScope
from tests.browser.conftest import axe_violations, signed_in
from tests.directory.factories import OrganizationFactory, default_term, listed_service
from tests.factories import CaseFactory, MembershipFactory, PersonFactory


@pytest.fixture
def setting(scheme):
    worker = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER).user
    provider = MembershipFactory(scheme=scheme, role=Role.PROVIDER)
    organization = OrganizationFactory(name="Riverside Arts")
    organization.staff.add(provider.user)
    service = listed_service(
        organization=organization, name="Art group", referral_route=ReferralRoute.LINKWELL
    )
    referrals = []
    for name in ("Carol", "Aled"):
        person = PersonFactory(scheme=scheme, given_name=name, email=f"{name.lower()}@ex.org")
        Consent.objects.create(
            person=person, scope=ConsentScope.SHARE_PROVIDERS, method=ConsentMethod.VERBAL
        )
        case = CaseFactory(scheme=scheme, person=person, worker=worker)
        Need.objects.create(case=case, area=default_term("loneliness"), severity=2)
        connection = services.connection_offer(
            case=case, service=service, kind=Kind.REFERRAL, by=worker, message="Likes painting."
        )
        referrals.append(services.connection_send(connection=connection, by=worker))
    return provider, service, referrals


def _tab_to(page, locator, limit=120):
    """Press Tab until `locator` has the focus, as a keyboard user would."""
    handle = locator.element_handle()
    for _ in range(limit):
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {locator}")


def test_the_inbox_by_keyboard_with_and_without_errors(page, live_server, setting):
    provider, _, (carol, aled) = setting
    signed_in(page, live_server, provider.user)
    page.goto("/provider/referrals/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Referrals to you")
    expect(page.get_by_test_id("referral-count")).to_have_text("2 referrals")
    assert axe_violations(page) == []

    # Accept Carol's referral by keyboard alone.
    accept = page.get_by_role("button", name=re.compile(r"^Accept\s*\(Carol, Art group\)$"))
    _tab_to(page, accept)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Referral for Carol at Art group: now 'Accepted'.")).to_be_visible()
    assert Connection.objects.get(pk=carol.pk).status == Status.ACCEPTED
    assert axe_violations(page) == []

    # Declining takes a reason: the form with an error, then the answer.
    page.get_by_role("link", name=re.compile(r"^Decline\s*\(Aled, Art group\)$")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Decline")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Decline").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Say why")
    assert axe_violations(page) == []
    page.get_by_label("Why are you declining this referral?").fill("Out of our area")
    page.get_by_role("button", name="Decline").click()
    expect(page.get_by_text("now 'Declined by the service'")).to_be_visible()
    assert Connection.objects.get(pk=aled.pk).status_reason == "Out of our area"

    # The capacity update (asked for from the inbox), with an error.
    page.get_by_test_id("places-link").click()
    page.get_by_label("Typical wait, in weeks").fill("-3")
    page.get_by_role("button", name=re.compile(r"^Update places\s+for Art group$")).click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("cannot be less than 0 weeks")
    assert axe_violations(page) == []


def test_the_link_page_by_keyboard_with_and_without_errors(page, live_server, setting):
    _, _, (carol, _) = setting
    secret = provider_link_create(connection=carol, sent_to="bookings@arts.example.test")
    page.goto(f"/r/{secret}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("A referral to Art group")
    assert axe_violations(page) == []

    page.get_by_role("link", name="Decline").click()
    page.get_by_role("button", name="Decline").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Say why")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Cancel").click()

    accept = page.get_by_role("button", name="Accept")
    _tab_to(page, accept)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Thank you. The referral is now 'Accepted'.")).to_be_visible()
    assert Connection.objects.get(pk=carol.pk).status == Status.ACCEPTED
    assert axe_violations(page) == []


@pytest.mark.parametrize("state", ["unknown", "expired"])
def test_the_gone_link_pages(page, setting, state):
    _, _, (carol, _) = setting
    secret = provider_link_create(connection=carol, sent_to="bookings@arts.example.test")
    if state == "expired":
        ProviderLink.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
        response = page.goto(f"/r/{secret}/")
        assert response.status == 410
    else:
        response = page.goto("/r/" + "x" * 43 + "/")
        assert response.status == 404
    assert axe_violations(page) == []
