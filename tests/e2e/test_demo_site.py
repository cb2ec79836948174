"""A visitor browsing the demo site in Chromium (issue 7)."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_visitor_browses_the_home_page(page, screenshot):
    page.goto("/")
    expect(page).to_have_title("Welcome · Demo site")
    expect(page.locator("header .brand")).to_have_text("Demo site")
    expect(page.locator(".greeting")).to_have_text(
        "Hello, visitor! Log in to see the members' page."
    )
    for block in ("greeting", "about", "fortune", "clicker"):
        expect(page.locator(f"form.block[data-app=demo][data-block={block}]")).to_be_visible()
    expect(page.locator("[data-block=admin_note]")).to_have_count(
        0
    )  # the admins' block is left out
    screenshot(page, "home-anonymous")


def test_action_redirects_to_the_url_it_returns(page):
    page.goto("/")
    page.click("text=Crack a cookie")
    expect(page).to_have_url(re.compile(r"/\?fortune=\d#block-demo-fortune$"))
    expect(page.locator("[data-block=fortune] [data-element=fortune]")).not_to_have_text(
        "Crack the cookie to read your fortune."
    )


def test_ajax_block_re_renders_in_place_without_a_page_load(page):
    page.goto("/")
    page.evaluate("window.samePage = true")
    counter = page.locator("[data-block=clicker] .count")
    expect(counter).to_have_text("0")
    page.click("[data-block=clicker] button[name=click]")
    expect(counter).to_have_text("1")
    page.click("[data-block=clicker] button[name=click]")
    expect(counter).to_have_text("2")
    assert page.evaluate("window.samePage") is True  # no navigation happened
    page.reload()
    expect(page.locator("[data-block=clicker] .count")).to_have_text("2")


def test_members_page_asks_an_anonymous_visitor_to_log_in(page, user_factory, log_in):
    user_factory("alice", groups=["members"])
    page.goto("/members/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/members/$"))
    page.fill("input[name=login]", "alice")
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/members/$"))
    expect(page.locator("header .username")).to_have_text("alice")
    expect(page.locator("[data-block=members_welcome]")).to_contain_text(
        "Welcome to the members' page, alice."
    )


def test_admins_see_their_block(page, user_factory, log_in):
    user_factory("root", groups=["admins"])
    log_in(page, "root", "pw-for-tests-1")
    page.goto("/")
    expect(page.locator("[data-block=admin_note]")).to_contain_text(
        "Only the admins group sees this block."
    )
