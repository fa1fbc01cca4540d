"""The case record in Chromium: axe finds nothing (with a full history, errors, a manager's view,
a closed case, the family view), and a contact is recorded by keyboard alone through HTMX, without
the page reloading."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from linkwell.casework import services
from linkwell.casework.models import Contact, Note
from linkwell.casework.selectors_timeline import PAGE_SIZE
from linkwell.core.models import Role
from linkwell.directory.models import TaxonomyTerm
from linkwell.directory.taxonomy import term_id
from linkwell.people.models import Household
from tests.browser.conftest import axe_violations, signed_in
from tests.factories import CaseFactory, MembershipFactory, PersonFactory


def _case_with_history(scheme, worker):
    household = Household.objects.create(scheme=scheme, name="Jenkins family")
    person = PersonFactory(
        scheme=scheme,
        given_name="Carol",
        family_name="Jenkins",
        nhs_number="9434765919",
        household=household,
    )
    PersonFactory(
        scheme=scheme,
        given_name="Sam",
        family_name="Jenkins",
        household=household,
        household_role="child",
    )
    case = CaseFactory(
        scheme=scheme,
        worker=worker,
        person=person,
        status="open",
        referral__received_at=timezone.now() - timedelta(days=20),
        referral__lives_alone=True,
    )
    earlier = timezone.now() - timedelta(days=3)
    services.contact_record(
        case=case,
        by=worker,
        at=earlier,
        method="phone",
        duration_minutes=30,
        notes="Talked about what she enjoyed before.",
        outcome="Interested in art",
        next_step="Find an art group",
        followup=services.FollowUpPlan(
            due_on=timezone.localdate() + timedelta(days=2), purpose="Check on the art group"
        ),
    )
    services.note_add(case=case, by=worker, text="Worried about money.", is_safeguarding=True)
    services.note_add(case=case, by=worker, text="Prefers mornings.")
    area = TaxonomyTerm.objects.get(pk=term_id("loneliness"))
    need = services.need_set(case=case, area=area, severity=2, in_their_words="Lonely", by=worker)
    goal = services.goal_add(case=case, text="Go to an art class", by=worker, needs=[need])
    services.goal_update(goal=goal, by=worker, version=goal.version, progress=3, note="Went once")
    services.support_record(case=case, by=worker, decision="chosen", name="Art group")
    services.support_record(
        case=case, by=worker, decision="declined", name="Gym", in_their_words="Not for me"
    )
    return case


def _check(page, url):
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    violations = axe_violations(page)
    assert violations == [], f"{url}: {violations}"


def test_case_record_pages_pass_axe(page, live_server, scheme):
    worker = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    case = _case_with_history(scheme, worker.user)
    signed_in(page, live_server, worker.user)
    _check(page, f"/cases/{case.pk}/")
    expect(page.get_by_test_id("timeline")).to_contain_text("Worried about money.")
    # The contact form with errors after an HTMX answer.
    page.get_by_label("How long, in minutes (optional)").fill("800")
    page.get_by_role("button", name="Save the contact").click()
    expect(page.get_by_test_id("contact-panel").locator(".nhsuk-error-summary")).to_be_visible()
    assert axe_violations(page) == []
    _check(page, f"/cases/{case.pk}/family/")
    # A manager's view, with the reassign form.
    manager = MembershipFactory(scheme=scheme, role=Role.MANAGER)
    signed_in(page, live_server, manager.user)
    _check(page, f"/cases/{case.pk}/")
    expect(page.get_by_test_id("assign-form")).to_be_visible()
    # A closed case.
    case.refresh_from_db()
    services.case_close(
        case=case,
        by=manager.user,
        version=case.version,
        reason="goals_met",
        summary="Settled at the art group.",
        cancel_followups=True,
        tell_referrer=False,
    )
    _check(page, f"/cases/{case.pk}/")
    expect(page.get_by_test_id("case-closed")).to_contain_text("Settled at the art group.")


def test_family_page_without_a_household_passes_axe(page, live_server, scheme):
    worker = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    case = CaseFactory(scheme=scheme, worker=worker.user)
    signed_in(page, live_server, worker.user)
    _check(page, f"/cases/{case.pk}/family/")
    expect(page.get_by_test_id("no-household")).to_be_visible()


def _tab_to(page, locator, limit=120):
    """Press Tab until `locator` has the focus, as a keyboard user would."""
    handle = locator.element_handle()
    for _ in range(limit):
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {locator}")


def test_record_a_contact_by_keyboard_without_reloading(page, live_server, scheme):
    worker = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    case = _case_with_history(scheme, worker.user)
    signed_in(page, live_server, worker.user)
    page.goto(f"/cases/{case.pk}/")
    # A marker that a page reload would wipe.
    page.evaluate("window.stillTheSamePage = true")
    form = page.get_by_test_id("contact-form")
    # How: a video call (arrow keys move through the radios).
    _tab_to(page, form.get_by_label("Phone"))
    page.keyboard.press("ArrowDown")
    expect(form.get_by_label("Video call")).to_be_checked()
    _tab_to(page, form.get_by_label("How long, in minutes (optional)"))
    page.keyboard.type("15")
    _tab_to(page, form.get_by_label("Notes (optional)"))
    page.keyboard.type("Found an art group on Tuesdays.")
    _tab_to(page, form.get_by_role("button", name="Save the contact"))
    page.keyboard.press("Enter")
    saved = page.get_by_test_id("contact-saved")
    expect(saved).to_contain_text("Contact recorded.")
    expect(saved).to_be_focused()
    timeline = page.get_by_test_id("timeline")
    entry = timeline.locator("li", has_text="Found an art group on Tuesdays.")
    expect(entry).to_contain_text("Contact: video call, 15 minutes")
    assert page.evaluate("window.stillTheSamePage") is True
    contact = Contact.objects.get(case=case, notes="Found an art group on Tuesdays.")
    assert (contact.method, contact.duration_minutes, contact.by) == ("video", 15, worker.user)
    # The form is fresh again, and a second contact goes the same way.
    expect(form.get_by_label("Notes (optional)")).to_have_value("")
    assert axe_violations(page) == []
    # A note, too, by keyboard, through the same kind of swap.
    _tab_to(page, page.get_by_test_id("note-panel").locator("summary"))
    page.keyboard.press("Enter")
    _tab_to(page, page.get_by_label("Note", exact=True))
    page.keyboard.type("Sister will drive her there.")
    _tab_to(page, page.get_by_role("button", name="Save the note"))
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("note-saved")).to_be_focused()
    expect(timeline.locator("li").first).to_contain_text("Sister will drive her there.")
    assert page.evaluate("window.stillTheSamePage") is True
    assert Note.objects.filter(case=case, text="Sister will drive her there.").exists()


def test_show_older_entries_by_keyboard(page, live_server, scheme):
    worker = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    case = CaseFactory(
        scheme=scheme,
        worker=worker.user,
        referral__received_at=timezone.now() - timedelta(days=200),
    )
    start = timezone.now() - timedelta(days=100)
    Contact.objects.bulk_create(
        Contact(case=case, at=start + timedelta(days=i), method="phone", notes=f"Call number {i}")
        for i in range(PAGE_SIZE + 5)
    )
    signed_in(page, live_server, worker.user)
    page.goto(f"/cases/{case.pk}/")
    page.evaluate("window.stillTheSamePage = true")
    entries = page.get_by_test_id("timeline").get_by_test_id("timeline-entry")
    expect(entries).to_have_count(PAGE_SIZE)
    _tab_to(page, page.get_by_role("link", name="Show older entries"))
    page.keyboard.press("Enter")
    expect(entries).to_have_count(PAGE_SIZE + 5)
    # The focus moves to the first entry added; the oldest is last.
    expect(entries.nth(PAGE_SIZE)).to_be_focused()
    expect(entries.last).to_contain_text("Call number 0")
    expect(page.get_by_role("link", name="Show older entries")).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage") is True
    assert axe_violations(page) == []
