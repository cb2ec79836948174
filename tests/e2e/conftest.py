"""End-to-end fixtures: Debian's Chromium driven by Playwright against a live server.

The browser is /usr/bin/chromium (installed by scripts/browser.sh), headless, never
downloaded by Playwright. Each failing test leaves a screenshot in test-artifacts/.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests
# make (creating users) happen outside any async context, so Django's guard is lifted here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: scripts/browser.sh installs it (make test runs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.e2e_failed = report.failed
    return report


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser tab (its own cookies) on the live server; a screenshot if the test fails."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1100, "height": 800})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    if getattr(request.node, "e2e_failed", False):
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def screenshot():
    """screenshot(page, name): a picture for the docs, saved in test-artifacts/."""

    def take(tab, name):
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return take


@pytest.fixture
def log_in():
    def submit(tab, username, password):
        tab.goto("/accounts/login/")
        tab.fill("input[name=login]", username)
        tab.fill("input[name=password]", password)
        tab.click("main form button[type=submit]")

    return submit
