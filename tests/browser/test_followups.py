"""Follow-ups and closing in Chromium: axe finds nothing on the daily list, the follow-up form and
the closing checklist (with their errors), and a follow-up is marked done by keyboard alone."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from linkwell.casework.models import FollowUp, Goal
from linkwell.core.models import Role
from tests.browser.conftest import axe_violations, signed_in
from tests.factories import CaseFactory, FollowUpFactory, MembershipFactory, PersonFactory


def _check(page, url):
    response = page.goto(url)
    assert response is not None and response.status < 500, url
    assert axe_violations(page) == [], url


def _case(scheme, worker):
    person = PersonFactory(scheme=scheme, given_name="Aled", family_name="Pryce")
    case = CaseFactory(scheme=scheme, person=person, worker=worker)
    today = timezone.localdate()
    FollowUpFactory(case=case, due_on=today, purpose="Has the café placement started?")
    FollowUpFactory(
        case=case, due_on=today - timedelta(days=2), kind="check_referral", recurrence="weekly"
    )
    Goal.objects.create(case=case, text="Work in a café", progress=4)
    return case


def test_follow_up_and_closing_pages_pass_axe(page, live_server, scheme):
    worker = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER, user__full_name="Rhian Link")
    case = _case(scheme, worker.user)
    signed_in(page, live_server, worker.user)
    tomorrow = timezone.localdate() + timedelta(days=1)
    for url in [
        "/cases/follow-ups/",
        f"/cases/follow-ups/?day={tomorrow.isoformat()}",
        f"/cases/{case.pk}/follow-ups/",
        f"/cases/{case.pk}/close/",
    ]:
        _check(page, url)

    # The follow-up form with its errors.
    page.goto(f"/cases/{case.pk}/follow-ups/")
    page.get_by_label("Date").fill("")
    page.get_by_label("Appointment with the person").check()
    page.get_by_label("Remind the person the day before").check()
    page.get_by_role("button", name="Schedule follow-up").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert axe_violations(page) == []

    # The checklist asking to confirm cancelling the follow-ups still due.
    page.goto(f"/cases/{case.pk}/close/")
    page.get_by_label("Goals met").check()
    page.get_by_role("button", name="Close the case").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("2 follow-ups are still due")
    assert axe_violations(page) == []
    page.get_by_label("Cancel these follow-ups and close the case").check()
    page.get_by_role("button", name="Close the case").click()
    expect(page.locator(".nhsuk-error-summary")).to_have_count(0)
    case.refresh_from_db()
    assert case.status == "closed"

    # A closed case: how it closed, and the reopen form.
    _check(page, f"/cases/{case.pk}/close/")

    # A manager choosing whose list to see.
    manager = MembershipFactory(scheme=scheme, role=Role.MANAGER)
    signed_in(page, live_server, manager.user)
    _check(page, f"/cases/follow-ups/?worker={worker.user.pk}")


def test_a_follow_up_is_marked_done_by_keyboard(page, live_server, scheme):
    worker = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    case = _case(scheme, worker.user)
    overdue = FollowUp.objects.get(case=case, kind="check_referral")
    signed_in(page, live_server, worker.user)
    page.goto("/cases/follow-ups/")

    button = page.get_by_role(
        "button", name=re.compile(r"^Done\s?: check a referral is on track with Aled Pryce$")
    )
    button.focus()
    page.keyboard.press("Enter")

    expect(page.locator(".nhsuk-main-wrapper")).to_contain_text("Marked done")
    expect(page.get_by_test_id("overdue-list")).to_have_count(0)
    overdue.refresh_from_db()
    assert overdue.status == "done"
    # It repeats weekly: the next one is on the list when its day comes.
    following = FollowUp.objects.get(case=case, kind="check_referral", status="due")
    assert following.due_on > timezone.localdate()
    assert axe_violations(page) == []
