"""The what-matters conversation and the plan in the browser: no axe-core violations on the
step, finish, summary, goal and support pages (with and without errors), the summary prints
without the service's chrome, and two steps of the conversation can be done by keyboard."""

from playwright.sync_api import expect

from linkwell.casework import services
from linkwell.casework.models import Need
from linkwell.core.models import Role
from linkwell.directory.models import Organization, Service
from linkwell.directory.taxonomy import term_id
from tests.browser.conftest import axe_violations, signed_in
from tests.factories import CaseFactory, MembershipFactory, PersonFactory


def _set_up(scheme):
    worker = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    person = PersonFactory(scheme=scheme, given_name="Tess", family_name="Walker")
    case = CaseFactory(scheme=scheme, person=person, worker=worker.user)
    return worker, case


def _no_violations(page, where):
    violations = axe_violations(page)
    assert violations == [], f"{where}: {violations}"


def _tab_to(page, locator, limit=80):
    """Press Tab until `locator` has the focus, as a keyboard user would."""
    handle = locator.element_handle()
    for _ in range(limit):
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {locator}")


def test_plan_pages_pass_axe(page, live_server, scheme):
    worker, case = _set_up(scheme)
    org = Organization.objects.create(name="Riverside Carers")
    Service.objects.create(organization=org, name="Carers' counselling", is_public=True)
    signed_in(page, live_server, worker.user)
    base = f"/cases/{case.pk}"

    # A step, then the same step refused (no severity chosen).
    page.goto(f"{base}/what-matters/")
    expect(page.get_by_test_id("progress")).to_contain_text("Step 1 of 19")
    _no_violations(page, "step")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Choose how much")
    _no_violations(page, "step with errors")
    page.get_by_label("Quite a lot").check()
    page.get_by_label("What they said").fill("Tired all the time")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_test_id("progress")).to_contain_text("Step 2 of 19")

    # Finishing early from step 2 (housing recorded before: listed as such); the finish
    # refused without their words, then the summary.
    housing = services.need_area(term_id("housing"))
    services.need_set(case=case, area=housing, severity=2, in_their_words="Damp flat", by=None)
    page.get_by_role("button", name="Finish the conversation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Finish the conversation")
    expect(page.get_by_test_id("talked")).to_contain_text("Tired all the time")
    expect(page.get_by_test_id("earlier")).to_contain_text("Damp flat")
    _no_violations(page, "finish")
    page.get_by_role("button", name="Finish and see the summary").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    _no_violations(page, "finish with errors")
    page.get_by_label("What matters most to you?").fill("My kids being happy")
    page.get_by_role("button", name="Finish and see the summary").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What you told us matters to you")
    expect(page.get_by_test_id("what-matters")).to_contain_text("My kids being happy")
    expect(page.get_by_test_id("areas")).to_contain_text("Damp flat")
    _no_violations(page, "summary")
    # Printed, it leaves off the header, breadcrumbs, messages and footer.
    page.emulate_media(media="print")
    expect(page.locator("header.nhsuk-header")).to_be_hidden()
    expect(page.locator(".nhsuk-breadcrumb")).to_be_hidden()
    expect(page.locator("footer")).to_be_hidden()
    expect(page.get_by_test_id("what-matters")).to_be_visible()
    page.emulate_media(media="screen")

    # A goal: refused without words, then added and its progress page.
    page.goto(f"{base}/goals/")
    _no_violations(page, "goal form")
    page.get_by_role("button", name="Add the goal").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Write the goal")
    _no_violations(page, "goal form with errors")
    goal = services.goal_add(case=case, text="An hour a week for me", by=None)
    page.goto(f"{base}/goals/{goal.pk}/")
    expect(page.get_by_test_id("history")).to_contain_text("0 out of 10")
    _no_violations(page, "goal progress")

    # A support: a directory search, then a decline without a reason refused.
    page.goto(f"{base}/supports/?q=counsel")
    expect(page.get_by_label("Carers' counselling (Riverside Carers)")).to_be_visible()
    _no_violations(page, "support form")
    page.get_by_label("Carers' counselling (Riverside Carers)").check()
    page.get_by_label("Tess chose not to use it").check()
    page.get_by_role("button", name="Record their decision").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Write why the person declined")
    _no_violations(page, "support form with errors")
    page.get_by_label("What they said about it").fill("Not ready yet")
    page.get_by_role("button", name="Record their decision").click()

    # The plan panel on the case record, with a need, goals and the choices made.
    services.goal_update(goal=goal, by=None, version=goal.version, progress=4)
    services.support_record(case=case, by=None, decision="chosen", name="Carers' cafe")
    page.goto(f"{base}/")
    panel = page.get_by_test_id("plan-panel")
    expect(panel.get_by_test_id("plan-needs")).to_contain_text("Tired all the time")
    expect(panel.get_by_test_id("plan-goals")).to_contain_text("4 out of 10")
    expect(panel.get_by_test_id("plan-declined")).to_contain_text(
        "Tess chose not to use this: “Not ready yet”"
    )
    _no_violations(page, "case record with the plan")


def test_two_steps_of_the_conversation_by_keyboard(page, live_server, scheme):
    worker, case = _set_up(scheme)
    signed_in(page, live_server, worker.user)
    page.goto(f"/cases/{case.pk}/what-matters/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mental wellbeing")

    # Step 1: their words, then "A great deal" with the arrow keys, then save with Enter.
    _tab_to(page, page.get_by_label("What they said"))
    page.keyboard.type("Low since the winter")
    _tab_to(page, page.get_by_label("Not a concern"))
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    expect(page.get_by_label("A great deal")).to_be_checked()
    _tab_to(page, page.get_by_role("button", name="Save and continue"))
    page.keyboard.press("Enter")

    # Step 2: "A little", saved the same way.
    expect(page.get_by_role("heading", level=1)).to_have_text("Loneliness and isolation")
    expect(page.get_by_test_id("progress")).to_contain_text("Step 2 of 19")
    _tab_to(page, page.get_by_label("What they said"))
    page.keyboard.type("I see my sister on Sundays")
    _tab_to(page, page.get_by_label("Not a concern"))
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("A little")).to_be_checked()
    _tab_to(page, page.get_by_role("button", name="Save and continue"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bereavement")

    needs = {n.area_id: (n.severity, n.in_their_words) for n in Need.objects.filter(case=case)}
    assert needs == {
        term_id("mental-wellbeing"): (3, "Low since the winter"),
        term_id("loneliness"): (1, "I see my sister on Sundays"),
    }
    assert all(n.assessment_id for n in Need.objects.filter(case=case))
