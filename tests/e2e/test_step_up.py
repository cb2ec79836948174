"""A step-up prompt and the return, and a sign-in again, in Chromium (contract §11, issue 27).

Screenshots go to /work/screens/stepup/ (SCREENS_DIR to move them)."""

import io
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts import stepup
from tests.helpers import PASSWORD, add_totp, code_for
from tests.test_step_up import Later, write_hr_site
from web.management.commands.seed_demo import Command as SeedDemo

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hr_site(site_dir):
    """The site of the HTTP tests (tests/test_step_up.py)."""
    return write_hr_site(site_dir)


SCREENS = Path(os.environ.get("SCREENS_DIR", "/work/screens/stepup"))


def shot(page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def sign_in_with_code(page, user, *, remember=False):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.username)
    page.fill("input[name=password]", PASSWORD)
    if remember:
        page.check("input[name=remember]")
    page.click("main form button[type=submit]")
    if getattr(user, "totp_device", None) is not None:
        page.fill("input[name=code]", code_for(user.totp_device))
        page.click("main form button[type=submit]")
    expect(page).not_to_have_url("/accounts/")


def test_a_block_asks_for_the_code_again_and_returns(
    page, live_server, hr_site, user_factory, monkeypatch
):
    later = Later(monkeypatch)
    ann = user_factory("ann", with_totp=True)
    sign_in_with_code(page, ann)
    page.goto("/pay/")
    expect(page.locator("main")).to_contain_text("payroll 1234")

    later.move(minutes=11)
    page.goto("/pay/")
    expect(page).to_have_url(f"{live_server.url}/accounts/2fa/step-up/?next=%2Fpay%2F")
    expect(page.locator("h1")).to_have_text("Confirm it is you")
    shot(page, "step-up-prompt")

    page.fill("input[name=code]", "000000x")
    page.click("main form button[type=submit]")
    expect(page.locator("main")).to_contain_text("That code is not right.")
    shot(page, "step-up-wrong-code")

    page.fill("input[name=code]", code_for(ann.totp_device, ahead=1))
    page.click("main form button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/pay/")
    expect(page.locator("main")).to_contain_text("payroll 1234")
    shot(page, "step-up-returned")


def test_an_ajax_block_shows_the_prompt_in_place_then_runs(
    page, live_server, hr_site, user_factory, monkeypatch
):
    later = Later(monkeypatch)
    ann = user_factory("ann", with_totp=True)
    sign_in_with_code(page, ann)
    later.move(minutes=6)
    page.goto("/quick/")
    page.get_by_role("button", name="Bump").click()
    prompt = page.locator('.step-up[data-block="quick"]')
    expect(prompt).to_contain_text("Confirm it is you")
    expect(page).to_have_url(f"{live_server.url}/quick/")  # swapped in, no page change
    shot(page, "ajax-prompt-in-place")
    prompt.locator("input[name=_second_factor_code]").fill(code_for(ann.totp_device, ahead=1))
    prompt.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{live_server.url}/plain/")  # the action ran: its answer


def test_the_demo_approve_action_asks_for_the_code_then_runs(
    page, live_server, user_factory, monkeypatch
):
    later = Later(monkeypatch)
    user_factory("alice", groups=["members"])
    user_factory("bob")
    admin = user_factory("admin", groups=["admins"])
    admin.totp_device, _ = add_totp(admin)
    SeedDemo(stdout=io.StringIO()).seed_sales()
    sign_in_with_code(page, admin)
    later.move(minutes=6)
    page.goto("/sales/")
    approval = page.locator('.block[data-block="approval"]')
    expect(approval).to_contain_text("6 waiting for approval")
    shot(page, "approve-before")
    approval.get_by_role("button", name="Approve").click()
    expect(page.locator("#step-up-title")).to_have_text("Confirm it is you")
    shot(page, "approve-prompt")
    page.fill("input[name=_second_factor_code]", code_for(admin.totp_device, ahead=1))
    page.click("main form button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/sales/")
    expect(page.locator('.block[data-block="approval"]')).to_contain_text("Every sale is approved.")
    shot(page, "approve-done")


def test_a_remembered_session_signs_in_again_then_returns(page, live_server, hr_site, user_factory):
    dan = user_factory("dan")
    sign_in_with_code(page, dan, remember=True)
    page.goto("/fresh/")
    expect(page.locator("main")).to_contain_text("fresh=True user=dan")
    # The browser ends and starts again: its cookies without an expiry are gone.
    page.context.clear_cookies(name=stepup.BROWSER_COOKIE)
    page.goto("/fresh/")
    expect(page).to_have_url(f"{live_server.url}/accounts/reauthenticate/?next=%2Ffresh%2F")
    expect(page.locator("h1")).to_have_text("Sign in again")
    shot(page, "sign-in-again")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/fresh/")
    expect(page.locator("main")).to_contain_text("fresh=True user=dan")
    shot(page, "sign-in-again-returned")
