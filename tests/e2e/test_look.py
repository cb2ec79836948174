"""The site's look in Chromium (issue 14): no sideways scrolling at 390 px on any demo page,
the ajax script's handling of error answers, a site's own theme."""

import io
import os
import re

import pytest
from playwright.sync_api import expect

from accounts import tokens
from web.management.commands.seed_demo import Command as SeedDemo

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-1"

ANONYMOUS_PAGES = [
    "/",
    "/events/",
    "/ratings/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
]
MEMBER_PAGES = [
    "/",
    "/events/",
    "/ratings/",
    "/members/",
    "/sales/",
    "/accounts/tokens/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/3rdparty/",
    "/accounts/2fa/",
]


def sideways(tab) -> list[int]:
    return tab.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


@pytest.fixture
def phone(page):
    page.set_viewport_size({"width": 390, "height": 844})
    return page


@pytest.fixture
def alice(user_factory):
    user = user_factory("alice", groups=["members"])
    user_factory("bob")
    user_factory("admin", groups=["admins"])
    SeedDemo(stdout=io.StringIO()).seed_sales()
    # A long token name: the token table must fit too.
    tokens.create_token(user, name="a token for the nightly export job of the sales team")
    return user


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_no_sideways_scrolling_at_390px_for_a_visitor(phone, path):
    response = phone.goto(path)
    assert response.status == 200
    width, inner = sideways(phone)
    assert width <= inner, f"{path} scrolls sideways at 390 px: {width} > {inner}"


@pytest.mark.parametrize("path", MEMBER_PAGES)
def test_no_sideways_scrolling_at_390px_for_a_member(phone, alice, log_in, path):
    log_in(phone, "alice", PASSWORD)
    expect(phone.locator("header .username")).to_have_text("alice")
    response = phone.goto(path)
    assert response.status == 200
    width, inner = sideways(phone)
    assert width <= inner, f"{path} scrolls sideways at 390 px: {width} > {inner}"


def test_revoking_a_token_asks_first_and_fits_a_phone(phone, alice, log_in):
    log_in(phone, "alice", PASSWORD)
    phone.goto("/accounts/tokens/")
    phone.get_by_role("button", name="Revoke").click()
    expect(phone.get_by_role("heading", name="Revoke a token")).to_be_visible()
    width, inner = sideways(phone)
    assert width <= inner, f"the question scrolls sideways at 390 px: {width} > {inner}"
    phone.get_by_role("button", name="Revoke").click()
    expect(phone.get_by_text("Token revoked.")).to_be_visible()
    expect(phone.get_by_text("You have no API tokens.")).to_be_visible()


# --- the ajax script -------------------------------------------------------------------------


def test_a_stale_csrf_token_shows_a_message_and_offers_to_reload(page, user_factory, log_in):
    user_factory("alice", groups=["members"])
    page.goto("/")
    counter = page.locator("[data-block=clicker] .count")
    expect(counter).to_have_text("0")
    # Another tab of the same browser logs in: the CSRF token of this page is now stale.
    other = page.context.new_page()
    log_in(other, "alice", PASSWORD)
    expect(other.locator("header .username")).to_have_text("alice")
    other.close()
    page.evaluate("window.samePage = true")
    page.click("[data-block=clicker] button[name=click]")
    error = page.locator("[data-block=clicker] .ajax-error")
    expect(error).to_contain_text("This was refused: you may have logged out or in again")
    expect(page.locator("body")).not_to_contain_text("CSRF")
    expect(counter).to_have_text("0")  # the block as it was, not Django's error page
    assert page.evaluate("window.samePage") is True
    assert page.evaluate("document.querySelectorAll('style').length") == 1
    error.get_by_role("button", name="Reload the page").click()
    expect(page.locator("header .username")).to_have_text("alice")
    page.click("[data-block=clicker] button[name=click]")
    expect(page.locator("[data-block=clicker] .count")).to_have_text("1")
    expect(page.locator(".ajax-error")).to_have_count(0)


def test_a_404_answer_shows_a_short_message(page):
    page.goto("/")
    page.evaluate(
        "document.querySelector('[data-block=clicker]')"
        ".setAttribute('hx-post', '/apps/demo/blocks/gone/')"
    )
    page.click("[data-block=clicker] button[name=click]")
    expect(page.locator("[data-block=clicker] .ajax-error")).to_contain_text(
        "This is no longer here."
    )
    expect(page.locator("[data-block=clicker] .count")).to_have_text("0")


def test_a_plain_text_error_is_shown_as_it_is(page):
    page.goto("/")
    page.evaluate(
        "document.querySelector('[data-block=clicker] button[name=click]').name = 'nosuch'"
    )
    page.click("[data-block=clicker] button[name=nosuch]")
    expect(page.locator("[data-block=clicker] .ajax-error")).to_contain_text(
        "The form names no action of block demo/clicker; its actions: click, reset."
    )


def test_an_answer_without_the_block_is_not_swapped_in(page):
    page.goto("/")
    # An answer of 200 that is not this block (here: another element's value).
    page.evaluate(
        "document.querySelector('[data-block=clicker]')"
        ".setAttribute('hx-post', '/apps/demo/blocks/about/intro/')"
    )
    page.click("[data-block=clicker] button[name=click]")
    expect(page.locator("[data-block=clicker] .ajax-error")).to_contain_text(
        "The answer could not be shown here."
    )
    expect(page.locator("[data-block=clicker] .count")).to_have_text("0")


def test_a_redirected_answer_takes_the_browser_there(page):
    page.goto("/")
    # A login-only page: the fetch follows the redirect to the login page; the browser goes too.
    page.evaluate(
        "document.querySelector('[data-block=clicker]').setAttribute('hx-post', '/accounts/2fa/')"
    )
    page.click("[data-block=clicker] button[name=click]")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/accounts/2fa/$"))
    expect(page.locator("main h1")).to_have_text("Log in")


# --- a site's own theme ----------------------------------------------------------------------


def test_a_sites_theme_overrides_the_layout_and_ships_its_css(page, site_dir):
    site_dir.write("pages/index.yaml", "title: Home\n")
    site_dir.write("static/site.css", "header.site { background: rgb(10, 20, 30); }\n")
    site_dir.write(
        "static/logo.svg", "<svg xmlns='http://www.w3.org/2000/svg' width='8' height='8'/>\n"
    )
    site_dir.write(
        "templates/base.html",
        """
        {% extends "base.html" %}
        {% load static %}
        {% block head %}<meta name="theme" content="ours">{% endblock %}
        {% block subnav %}<img class="logo" src="{% static 'logo.svg' %}" alt="Our logo">{% endblock %}
        """,
    )
    page.goto("/")
    expect(page).to_have_title(re.compile("Home"))
    background = page.evaluate(
        "getComputedStyle(document.querySelector('header.site')).backgroundColor"
    )
    assert background == "rgb(10, 20, 30)"
    logo = page.locator("img.logo")
    expect(logo).to_be_visible()
    assert page.evaluate("document.querySelector('img.logo').naturalWidth") == 8
    edited = site_dir.write("static/site.css", "header.site { background: rgb(40, 50, 60); }\n")
    # HTTP dates count whole seconds: an edit within the same second would answer 304.
    later = edited.stat().st_mtime + 2
    os.utime(edited, (later, later))
    page.reload()
    assert (
        page.evaluate("getComputedStyle(document.querySelector('header.site')).backgroundColor")
        == "rgb(40, 50, 60)"
    )
