"""Sign-up, login, and the second factor, in Chromium (issue 7)."""

import re
import time
from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def code_from_key(key_text: str, ahead: int = 0) -> str:
    """What an authenticator app shows for this key (`ahead` time steps later)."""
    key = b32decode(key_text + "=" * (-len(key_text) % 8))
    return f"{totp(key, step=30, t0=0, digits=6, drift=ahead):06d}"


def test_sign_up_then_log_out_and_in(page):
    page.goto("/")
    page.click("header >> text=Sign up")
    page.fill("input[name=email]", "newbie@example.com")
    page.fill("input[name=username]", "newbie")
    page.fill("input[name=password1]", "a-long-Passphrase-42")
    page.fill("input[name=password2]", "a-long-Passphrase-42")
    page.click("main form button[type=submit]")
    expect(page.locator("header .username")).to_have_text("newbie")
    page.click("header >> text=Log out")
    expect(page.locator("header")).to_contain_text("Log in")
    page.click("header >> text=Log in")
    page.fill("input[name=login]", "newbie@example.com")  # e-mail works as the login name
    page.fill("input[name=password]", "a-long-Passphrase-42")
    page.click("main form button[type=submit]")
    expect(page.locator("header .username")).to_have_text("newbie")


def test_sign_up_shows_errors_beside_the_fields(page, screenshot):
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", "not-an-email")
    page.fill("input[name=username]", "x y")
    page.fill("input[name=password1]", "short")
    page.fill("input[name=password2]", "other")
    page.locator("input[name=email]").evaluate("e => e.type = 'text'")  # let the server judge it
    page.click("main form button[type=submit]")
    expect(page.locator(".field-error, .errorlist").first).to_be_visible()
    expect(page.locator("header .username")).to_have_count(0)
    screenshot(page, "signup-errors")


def test_totp_set_up_and_login_with_the_second_factor(page, user_factory, log_in, screenshot):
    user_factory("carol")
    log_in(page, "carol", "pw-for-tests-1")
    page.goto("/accounts/2fa/")
    key = page.locator("#otp-key").inner_text().strip()
    screenshot(page, "totp-setup")
    page.fill("input[name=code]", code_from_key(key))
    page.click("main form button[type=submit]")
    expect(page.locator("#backup-codes li")).to_have_count(10)
    page.click("header >> text=Log out")

    log_in(page, "carol", "pw-for-tests-1")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/login/"))
    expect(page.locator("header .username")).to_have_count(0)  # not signed in yet
    page.fill("input[name=code]", "000000" if code_from_key(key, 1) != "000000" else "111111")
    page.click("main form button[type=submit]:not([name=cancel])")
    expect(page.locator("header .username")).to_have_count(0)
    time.sleep(0.1)
    page.fill("input[name=code]", code_from_key(key, 1))  # the next step's code: this one is used
    page.click("main form button[type=submit]:not([name=cancel])")
    expect(page.locator("header .username")).to_have_text("carol")
