"""Browser tests: Playwright for Python driving Debian's Chromium against the live server."""

import os
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import sign_in

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("LINKWELL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Browser:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package.")
    # Playwright's sync API keeps an event loop running in this thread from now on; the ORM
    # calls the tests make here are still plain synchronous ones, so Django may allow them.
    # (Subprocesses started by tests drop this variable: see tests/core/test_settings.py.)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Page:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def signed_in(page: Page, live_server, user) -> Page:
    """Give the browser a session for `user`, with two-factor passed."""
    client = sign_in(Client(), user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    return page


def axe_violations(page: Page) -> list[str]:
    """Run axe-core (from npm) on the page; return the WCAG 2.2 A/AA violations, readable."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


@pytest.fixture(autouse=True)
def _default_taxonomies(request):
    """Browser tests run in transactional databases, which are emptied between tests, taking
    the default taxonomies the migrations loaded with them: load them again."""
    if "page" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    from linkwell.directory import taxonomy

    taxonomy.load(apps)
