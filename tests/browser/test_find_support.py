"""Find support in the browser: the list, the preferences, declining and the weights pass
axe-core (with and without errors), and a link worker can shortlist, choose and decline by
keyboard alone."""

import re

from playwright.sync_api import expect

from linkwell.casework import services as case_services
from linkwell.casework.models import PlanSupport
from linkwell.core.models import Role
from linkwell.directory.models import Capacity
from linkwell.directory.taxonomy import term_id
from linkwell.geo.models import Postcode
from linkwell.matching.services import match_text_refresh
from tests.browser.conftest import axe_violations, signed_in
from tests.directory.factories import CENTRE, listed_service
from tests.factories import CaseFactory, MembershipFactory, PersonFactory

NEAR = (CENTRE[0] + 0.01, CENTRE[1])


def _no_violations(page, where):
    violations = axe_violations(page)
    assert violations == [], f"{where}: {violations}"


def _press_until_focused(page, locator, key="Tab", limit=120):
    handle = locator.element_handle()
    for _ in range(limit):
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{key} never reached {locator}")


def _set_up(scheme):
    Postcode.objects.create(
        postcode="B1 1AA", latitude=CENTRE[0], longitude=CENTRE[1], source="demo"
    )
    worker = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    person = PersonFactory(
        scheme=scheme, given_name="Edna", family_name="Hughes", postcode="B1 1AA"
    )
    case = CaseFactory(scheme=scheme, person=person, worker=worker.user)
    area = case_services.need_area(term_id("loneliness"))
    case_services.need_set(case=case, area=area, severity=3, in_their_words="Lonely", by=None)
    listed_service(name="Friendship club", terms=("loneliness",), at=NEAR, in_person=True)
    listed_service(name="Chatty cafe", terms=("loneliness",), at=NEAR, in_person=True)
    listed_service(
        name="Lunch club", terms=("loneliness",), at=NEAR, in_person=True, capacity=Capacity.FULL
    )
    match_text_refresh()
    return worker, case


def test_find_support_pages_pass_axe(page, live_server, scheme):
    worker, case = _set_up(scheme)
    manager = MembershipFactory(scheme=scheme, role=Role.MANAGER)
    signed_in(page, live_server, worker.user)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.get_by_test_id("find-support-link").click()
    expect(page.get_by_test_id("matches")).to_contain_text("Friendship club")
    expect(page.get_by_test_id("near-misses")).to_contain_text("Lunch club")
    page.get_by_text("Why this score").first.click()
    expect(page.get_by_test_id("breakdown").first).to_be_visible()
    page.get_by_text("Narrow the search").click()
    _no_violations(page, "list")

    page.get_by_label("Furthest they can go (km)").fill("-2")
    page.get_by_role("button", name="Show services").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("0 km or more")
    _no_violations(page, "list with a refinement error")

    page.goto(f"{live_server.url}/cases/{case.pk}/find-support/preferences/")
    page.get_by_label("In person").uncheck()
    page.get_by_label("By phone").uncheck()
    page.get_by_label("Online").uncheck()
    page.get_by_label("A home visit").uncheck()
    page.get_by_role("button", name="Save and show services").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("at least one way")
    _no_violations(page, "preferences with errors")

    page.goto(f"{live_server.url}/cases/{case.pk}/find-support/")
    page.get_by_role("link", name=re.compile(r"chose not to use this\W+Friendship club")).click()
    page.get_by_role("button", name="Record their choice").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    _no_violations(page, "decline with errors")

    page.context.clear_cookies()
    signed_in(page, live_server, manager.user)
    page.goto(f"{live_server.url}/matching/weights/")
    page.get_by_label("Needs met").fill("9")
    page.get_by_role("button", name="Save the weights").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("from 0 to 5")
    _no_violations(page, "weights with errors")
    page.goto(f"{live_server.url}/matching/gaps/")
    _no_violations(page, "gaps")


def test_shortlist_choose_and_decline_by_keyboard(page, live_server, scheme):
    worker, case = _set_up(scheme)
    signed_in(page, live_server, worker.user)
    page.goto(f"{live_server.url}/cases/{case.pk}/find-support/")

    shortlist = page.get_by_role("button", name=re.compile(r"Shortlist\W+Chatty cafe"))
    _press_until_focused(page, shortlist)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Recorded: Edna is thinking about Chatty cafe.")).to_be_visible()

    choose = page.get_by_role("button", name=re.compile(r"Edna chose this\W+Friendship club"))
    _press_until_focused(page, choose)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Recorded: Edna chose Friendship club.")).to_be_visible()

    decline = page.get_by_role("link", name=re.compile(r"chose not to use this\W+Chatty cafe"))
    _press_until_focused(page, decline)
    page.keyboard.press("Enter")
    words = page.get_by_label("Why, in their own words")
    _press_until_focused(page, words)
    page.keyboard.type("Too noisy for me")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Their choice is respected")).to_be_visible()

    decisions = dict(PlanSupport.objects.filter(case=case).values_list("service__name", "decision"))
    assert decisions == {"Friendship club": "chosen", "Chatty cafe": "declined"}
    assert PlanSupport.objects.get(service__name="Chatty cafe").in_their_words == "Too noisy for me"
