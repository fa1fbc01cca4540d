"""Proactive call lists in the browser: no axe-core violations, and a call recorded by keyboard."""

from playwright.sync_api import expect

from linkwell.core.models import Role
from linkwell.referrals.campaigns import (
    call_record,
    campaign_add_people,
    campaign_assign_callers,
    campaign_create,
)
from linkwell.referrals.models import CallOutcome, CampaignEntry
from tests.browser.conftest import axe_violations, signed_in
from tests.factories import MembershipFactory, PersonFactory


def _set_up(scheme):
    manager = MembershipFactory(scheme=scheme, role=Role.MANAGER)
    worker = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    campaign = campaign_create(
        scheme=scheme,
        by=manager.user,
        name="Over-75s living alone",
        description="From the practice's list.",
        script="Hello, I'm calling from the surgery.\nHow are you keeping?",
    )
    people = [
        PersonFactory(scheme=scheme, given_name="Edna", family_name="Able"),
        PersonFactory(scheme=scheme, given_name="Bert", family_name="Baker"),
        PersonFactory(scheme=scheme, given_name="Cyril", family_name="Cole"),
    ]
    campaign_add_people(campaign=campaign, people=people, by=manager.user)
    campaign_assign_callers(campaign=campaign, callers=[worker.user], by=manager.user)
    entries = {e.person.given_name: e for e in CampaignEntry.objects.select_related("person")}
    call_record(
        entry=entries["Cyril"], by=worker.user, outcome=CallOutcome.SUPPORT_NEEDED, needs=["food"]
    )
    return manager, worker, campaign, entries


def _check(page, url):
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    violations = axe_violations(page)
    assert violations == [], f"{url}: {violations}"


def test_campaign_pages_pass_axe(page, live_server, scheme):
    manager, _, campaign, entries = _set_up(scheme)
    signed_in(page, live_server, manager.user)
    _check(page, "/campaigns/")
    expect(page.get_by_text("1 of 3 called (33%)")).to_be_visible()
    _check(page, f"/campaigns/{campaign.pk}/")
    _check(page, f"/campaigns/{campaign.pk}/?outcome=pending")
    _check(page, f"/campaigns/{campaign.pk}/calls/{entries['Edna'].pk}/")
    # The call screen with errors: support needed, no need chosen; then a referral without
    # the person's agreement.
    page.get_by_test_id("call-form").get_by_label("Reached, support needed").check()
    page.get_by_role("button", name="Save the call").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Make a referral").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Ask whether they agree")
    assert axe_violations(page) == []
    for url in ("new/", f"{campaign.pk}/people/?q=a", f"{campaign.pk}/callers/"):
        _check(page, f"/campaigns/{url}")
    _check(page, f"/campaigns/{campaign.pk}/finish/")


def _tab_to(page, locator, limit=80):
    """Press Tab until `locator` has the focus, as a keyboard user would."""
    handle = locator.element_handle()
    for _ in range(limit):
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {locator}")


def test_record_a_call_with_the_keyboard_only(page, live_server, scheme):
    _, worker, campaign, entries = _set_up(scheme)
    signed_in(page, live_server, worker.user)
    page.goto(f"/campaigns/{campaign.pk}/calls/{entries['Edna'].pk}/")
    expect(page.get_by_role("link", name=entries["Edna"].person.phone_display)).to_have_attribute(
        "href", f"tel:{entries['Edna'].person.phone}"
    )
    # Into the outcome radios, choose "Reached, support needed", then open the needs.
    _tab_to(page, page.get_by_label("Reached, no support needed"))
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Reached, support needed")).to_be_checked()
    _tab_to(page, page.get_by_test_id("needs-details").locator("summary"))
    page.keyboard.press("Enter")
    need = page.get_by_test_id("call-form").get_by_label("Loneliness and isolation")
    expect(need).to_be_visible()
    _tab_to(page, need)
    page.keyboard.press("Space")
    expect(need).to_be_checked()
    _tab_to(page, page.get_by_label("Note"))
    page.keyboard.type("Would like a weekly call")
    _tab_to(page, page.get_by_role("button", name="Save the call"))
    page.keyboard.press("Enter")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(
        "Call to Edna Able saved: reached, support needed"
    )
    entry = CampaignEntry.objects.get(pk=entries["Edna"].pk)
    assert (entry.outcome, entry.attempts, entry.note) == (
        CallOutcome.SUPPORT_NEEDED,
        1,
        "Would like a weekly call",
    )
    assert list(entry.needs.values_list("code", flat=True)) == ["loneliness"]
    # It moved on to the next person to call.
    expect(page.get_by_role("heading", level=1)).to_have_text("Call Bert Baker")
