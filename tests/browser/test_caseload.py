"""The caseload pages in Chromium: axe finds nothing, and a manager gives cases to another
link worker by keyboard alone."""

from datetime import datetime, time, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from linkwell.casework.models import Case, CaseAssignment
from linkwell.core.models import Role
from tests.browser.conftest import axe_violations, signed_in
from tests.factories import (
    CaseFactory,
    ContactFactory,
    FollowUpFactory,
    MembershipFactory,
    PersonFactory,
)


def _check(page, url):
    response = page.goto(url)
    assert response is not None and response.status < 500, url
    assert axe_violations(page) == [], url


def _caseload(scheme, worker):
    """A few cases of every kind the caseload shows: overdue, due today, later, nothing
    scheduled; with contacts, risk flags and a site."""
    today = timezone.localdate()
    long_ago = timezone.make_aware(datetime.combine(today - timedelta(days=40), time(10)))
    site = scheme.sites.first()
    cases = []
    for n, (name, due) in enumerate([("Aled", -3), ("Carol", 0), ("Tess", 4), ("Edna", None)]):
        case = CaseFactory(
            scheme=scheme,
            worker=worker,
            person=PersonFactory(scheme=scheme, given_name=name, family_name="Jones"),
            site=site if n % 2 else None,
            referral__lives_alone=n == 3,
            referral__safeguarding_concern=n == 0,
            referral__recent_bereavement=n == 1,
            opened_at=long_ago,
        )
        if due is not None:
            FollowUpFactory(case=case, due_on=today + timedelta(days=due))
        if n:
            ContactFactory(case=case, at=long_ago + timedelta(days=n))
        cases.append(case)
    return cases


def test_caseload_and_team_pages(page, live_server, scheme):
    manager = MembershipFactory(scheme=scheme, role=Role.MANAGER, user__full_name="Mo Manager")
    worker = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER, user__full_name="Ann Lee")
    _caseload(scheme, worker.user)

    signed_in(page, live_server, worker.user)
    _check(page, "/cases/")
    expect(page.get_by_test_id("caseload-row")).to_have_count(4)
    expect(page.get_by_test_id("caseload-due").first).to_contain_text("Overdue")
    _check(page, "/cases/?due=overdue&flag=safeguarding_concern&q=aled")
    expect(page.get_by_test_id("caseload-row")).to_have_count(1)
    _check(page, "/cases/?q=nobody")

    page.context.clear_cookies()
    signed_in(page, live_server, manager.user)
    _check(page, "/cases/team/")
    page.get_by_role("link", name="Ann Lee (caseload)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ann Lee's caseload")
    assert axe_violations(page) == []
    # Submitting with nothing chosen shows the error summary, itself accessible.
    page.get_by_role("button", name="Give cases to worker").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert axe_violations(page) == []


def _tab_to(page, locator, limit=80):
    """Press Tab until `locator` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if locator.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {locator}")


def test_manager_gives_cases_to_another_worker_by_keyboard(page, live_server, scheme):
    manager = MembershipFactory(scheme=scheme, role=Role.MANAGER, user__full_name="Mo Manager")
    ann = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER, user__full_name="Ann Lee")
    bob = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER, user__full_name="Bob Price")
    aled, carol, *_ = _caseload(scheme, ann.user)
    signed_in(page, live_server, manager.user)
    page.goto(f"/cases/?worker={ann.user.pk}")

    for name in ("Select Aled Jones", "Select Carol Jones"):
        box = page.get_by_label(name)
        _tab_to(page, box)
        page.keyboard.press("Space")
        expect(box).to_be_checked()
    worker_select = page.get_by_label("Give the selected cases to")
    _tab_to(page, worker_select)
    page.keyboard.type("Bob")
    expect(worker_select).to_have_value(str(bob.user.pk))
    _tab_to(page, page.get_by_label("Reason"))
    page.keyboard.type("Ann is on leave")
    _tab_to(page, page.get_by_role("button", name="Give cases to worker"))
    page.keyboard.press("Enter")

    expect(page.get_by_text("2 cases given to Bob Price.")).to_be_visible()
    expect(page.get_by_test_id("caseload-row")).to_have_count(2)
    assert axe_violations(page) == []
    assert set(Case.objects.filter(worker=bob.user).values_list("pk", flat=True)) == {
        aled.pk,
        carol.pk,
    }
    assert CaseAssignment.objects.filter(worker=bob.user, reason="Ann is on leave").count() == 2
