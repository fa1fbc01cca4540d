"""The CSV import pages in a real browser: upload, choose the columns, preview; axe on each."""

from playwright.sync_api import expect

from linkwell.core.models import Role
from linkwell.referrals.views_import import SAMPLE
from tests.browser.conftest import axe_violations, signed_in
from tests.factories import MembershipFactory


def test_upload_mapping_and_preview_pages_pass_axe(page, live_server, scheme, tmp_path):
    manager = MembershipFactory(scheme=scheme, role=Role.MANAGER)
    signed_in(page, live_server, manager.user)
    page.goto("/referrals/import/")
    assert axe_violations(page) == []

    # Submitting nothing: the error summary and the field errors.
    page.get_by_role("button", name="Upload and choose the columns").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert axe_violations(page) == []

    # The sample list, with one broken row added, by keyboard where a person would type.
    broken = tmp_path / "over-75s.csv"
    broken.write_text(SAMPLE.read_text() + "Nobody,Known,31/02/1940,,,,,,,\n")
    page.get_by_label("CSV file").set_input_files(str(broken))
    page.get_by_label("Proactive call list").check()
    page.get_by_label("Or start a new call list called").fill("Over 75s, winter")
    page.get_by_role("button", name="Upload and choose the columns").click()

    expect(page.get_by_role("heading", name="Choose which column holds what")).to_be_visible()
    expect(page.get_by_label("Last name")).to_have_value("Surname")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Check the rows").click()

    expect(page.get_by_role("heading", name="Check the rows before importing")).to_be_visible()
    expect(page.get_by_role("button", name="Import 40 rows")).to_be_visible()
    expect(page.locator("table")).to_contain_text("is not a real date")
    assert axe_violations(page) == []
