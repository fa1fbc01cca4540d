"""The waiting room and the resources library in Chromium: axe-core finds no WCAG 2.2 A/AA
violation, the person's page works on a 375-pixel-wide phone, and the library works by
keyboard."""

import re

import pytest
from playwright.sync_api import expect

from linkwell.core.models import Role
from linkwell.notify import backends
from linkwell.people.models import Consent
from linkwell.referrals.waiting_room import offer_on_referral
from linkwell.resources.demo import load_demo_resources
from tests.browser.conftest import axe_violations, signed_in
from tests.factories import MembershipFactory, PersonFactory, ReferralFactory


@pytest.fixture
def secret(settings, scheme):
    settings.NOTIFY_BACKEND = "memory"
    backends.outbox.clear()
    load_demo_resources(scheme=scheme)
    person = PersonFactory(scheme=scheme, given_name="Carol", phone="+447700900123")
    Consent.objects.create(person=person, scope="contact", method="verbal")
    referral = ReferralFactory(scheme=scheme, person=person, reasons=["loneliness", "money-debt"])
    offer_on_referral(referral_id=referral.pk)
    [message] = backends.outbox
    backends.outbox.clear()
    return re.search(r"/waiting-room/([A-Za-z0-9_-]+)/", message.body).group(1)


def test_the_waiting_room_on_a_phone(page, secret):
    page.set_viewport_size({"width": 375, "height": 800})
    response = page.goto(f"/waiting-room/{secret}/")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello Carol")
    expect(page.get_by_role("heading", name="If you need help now")).to_be_visible()
    expect(page.get_by_text("Riverside Friendship Line")).to_be_visible()
    # Nothing wider than the phone's screen: no sideways scrolling.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width}px wide"
    assert axe_violations(page) == []


@pytest.mark.parametrize("state", ["unknown", "expired"])
def test_the_gone_pages(page, secret, state):
    from django.utils import timezone

    from linkwell.referrals.models import WaitingRoomLink

    page.set_viewport_size({"width": 375, "height": 800})
    if state == "expired":
        WaitingRoomLink.objects.update(expires_at=timezone.now())
        response = page.goto(f"/waiting-room/{secret}/")
        assert response.status == 410
    else:
        response = page.goto("/waiting-room/" + "x" * 43 + "/")
        assert response.status == 404
    assert axe_violations(page) == []


def test_the_resources_library(page, live_server, scheme):
    load_demo_resources(scheme=scheme)
    manager = MembershipFactory(scheme=scheme, role=Role.MANAGER)
    signed_in(page, live_server, manager.user)
    page.goto("/resources/")
    expect(page.get_by_role("heading", name="Waiting-room resources")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Only those due for review").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_test_id("resource-count")).to_have_text("2 resources")
    assert axe_violations(page) == []

    page.goto("/resources/add/")
    assert axe_violations(page) == []
    # By keyboard, and with mistakes: the error summary takes the focus.
    page.get_by_label("Title").fill("Walking for health")
    page.get_by_label("Website or online tool").check()
    page.get_by_role("button", name="Add resource").focus()
    page.keyboard.press("Enter")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Say in a sentence or two what it is.")
    assert axe_violations(page) == []

    page.get_by_label("Summary").fill("Free guided walks.")
    page.get_by_label("Web address").fill("https://walks.example.org/")
    page.get_by_label("Check again by").fill("2030-06-01")
    page.get_by_label("Physical activity").check()
    page.get_by_role("button", name="Add resource").click()
    expect(page.get_by_text("Added Walking for health.")).to_be_visible()

    page.get_by_role("link", name="Walking for health").click()
    expect(page.get_by_role("heading", name="Change Walking for health")).to_be_visible()
    assert axe_violations(page) == []


def test_the_panel_on_the_referral_page(page, live_server, scheme, secret):
    from linkwell.referrals.models import Referral

    referral = Referral.objects.get()
    worker = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    signed_in(page, live_server, worker.user)
    page.goto(f"/referrals/{referral.pk}/")
    panel = page.get_by_test_id("waiting-room-panel")
    expect(panel).to_contain_text("Working")
    assert axe_violations(page) == []
    panel.get_by_role("button", name="Stop this link working").click()
    expect(page.get_by_text("The waiting-room link no longer works.")).to_be_visible()
    expect(page.get_by_test_id("waiting-room-panel")).to_contain_text("Send a new link")
    assert axe_violations(page) == []
