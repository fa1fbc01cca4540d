"""Sign in with a password and a TOTP code, switch scheme, sign out: in a real browser."""

import re

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from linkwell.core.models import LogEntry, Role
from tests.factories import PASSWORD, MembershipFactory, TOTPDeviceFactory


def totp_code(device) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


@pytest.fixture
def worker(scheme, other_scheme):
    membership = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    MembershipFactory(scheme=other_scheme, user=membership.user, role=Role.MANAGER)
    device = TOTPDeviceFactory(user=membership.user)
    return membership, device


def test_sign_in_with_totp_switch_scheme_and_sign_out(page, worker, scheme, other_scheme):
    membership, device = worker
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/$"))
    page.get_by_label("Email address").fill(membership.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your security code")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter the 6-digit security code")
    # The error summary takes focus, as the NHS.UK pattern does.
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()
    page.get_by_label("Security code").fill(totp_code(device))
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_test_id("active-scheme")).to_have_text(scheme.name)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your work")

    page.get_by_text("Switch scheme", exact=True).first.click()
    page.get_by_label(re.compile(other_scheme.name)).check()
    page.get_by_role("button", name="Switch scheme").click()
    expect(page.get_by_test_id("active-scheme")).to_have_text(other_scheme.name)
    expect(page.get_by_role("heading", level=1)).to_have_text("Team overview")
    expect(page.get_by_role("alert")).to_contain_text(f"You are now working in {other_scheme.name}")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Linkwell")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in/"))
    actions = set(LogEntry.objects.filter(actor=membership.user).values_list("action", flat=True))
    assert {
        "auth.signed_in",
        "auth.two_factor_failed",
        "auth.two_factor_passed",
        "auth.signed_out",
    } <= actions


def test_sign_in_works_by_keyboard_alone(page, worker):
    membership, device = worker
    page.goto("/sign-in/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id_username":
            break
    expect(page.get_by_label("Email address")).to_be_focused()
    page.keyboard.type(membership.user.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_label("Security code")).to_be_visible()
    page.get_by_label("Security code").focus()
    page.keyboard.type(totp_code(device))
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("active-scheme")).to_be_visible()


def test_first_sign_in_sets_up_two_factor(page, scheme):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    membership = MembershipFactory(scheme=scheme, role=Role.REFERRER)
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(membership.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    expect(page.locator(".lw-qr svg")).to_be_visible()
    device = TOTPDevice.objects.get(user=membership.user)
    page.get_by_label("Security code").fill(totp_code(device))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your referrals")
