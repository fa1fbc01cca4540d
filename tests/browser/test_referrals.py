"""The referral pages in Chromium: axe finds nothing, and the main journeys work by keyboard."""

from playwright.sync_api import expect

from linkwell.core.models import Role
from linkwell.referrals.models import ContactAttempt, Referral
from tests.browser.conftest import axe_violations, signed_in
from tests.factories import MembershipFactory, ReferralFactory


def _check(page, url):
    response = page.goto(url)
    assert response is not None and response.status < 500, url
    assert axe_violations(page) == [], url


def test_self_referral_on_a_phone_by_keyboard(page, scheme):
    page.set_viewport_size({"width": 375, "height": 800})
    _check(page, f"/refer/{scheme.slug}/")
    # Submitting empty shows the error summary, itself accessible.
    page.get_by_role("button", name="Send my request").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_label("First name").fill("Edna")
    page.get_by_label("Last name").fill("Hughes")
    page.get_by_label("Date of birth").fill("1944-11-30")
    page.get_by_label("Postcode").fill("RV3 1AA")
    page.get_by_label("Phone number").fill("01632 960 001")
    page.get_by_label("Loneliness and isolation").press("Space")
    page.get_by_label("I agree to the social prescribing team contacting me").press("Space")
    page.get_by_role("button", name="Send my request").press("Enter")
    expect(page.get_by_test_id("self-referral-done")).to_be_visible()
    assert axe_violations(page) == []
    assert Referral.objects.get().person.given_name == "Edna"


def test_staff_referral_pages(page, live_server, scheme):
    manager = MembershipFactory(scheme=scheme, role=Role.MANAGER)
    MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    referral = ReferralFactory(scheme=scheme, urgency="urgent", lives_alone=True)
    signed_in(page, live_server, manager.user)
    for url in [
        "/",
        "/referrals/triage/",
        "/referrals/waiting/?who=all",
        "/referrals/new/",
        f"/referrals/{referral.pk}/",
    ]:
        _check(page, url)
    # An empty staff form shows its errors accessibly.
    page.goto("/referrals/new/")
    page.get_by_role("button", name="Save referral").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert axe_violations(page) == []


def test_link_worker_logs_a_call_by_keyboard(page, live_server, scheme):
    worker = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    referral = ReferralFactory(scheme=scheme, status="waiting", assigned_to=worker.user)
    signed_in(page, live_server, worker.user)
    page.goto(f"/referrals/{referral.pk}/")
    page.locator("#id_attempt-outcome_1").focus()  # "No answer"
    page.keyboard.press("Space")
    page.get_by_role("button", name="Log attempt").press("Enter")
    expect(page.get_by_test_id("attempts")).to_contain_text("No answer")
    assert ContactAttempt.objects.get().outcome == "no_answer"
    assert axe_violations(page) == []


def test_referrer_pages(page, live_server, scheme):
    referrer = MembershipFactory(scheme=scheme, role=Role.REFERRER)
    ReferralFactory(scheme=scheme, referred_by=referrer.user)
    signed_in(page, live_server, referrer.user)
    for url in ["/", "/referrals/new/", "/referrals/sent/"]:
        _check(page, url)
