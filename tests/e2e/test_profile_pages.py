"""The People page and the account page's profile fields in Chromium, on the demo site's
`users` settings (team: east/west, phone editable by the user) (issue 27)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import Profile

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-1"
SCREENS = Path(os.environ.get("PROFILE_SCREENS", "/work/screens/profile"))


def shoot(tab, screenshot, name):
    screenshot(tab, name)
    if SCREENS.parent.is_dir():
        SCREENS.mkdir(exist_ok=True)
        tab.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


@pytest.fixture
def people(user_factory):
    lena = user_factory("lena", groups=["admins"])  # a user manager (auth.user_managers)
    Profile.objects.create(user=lena, data={"team": "east"})
    bob = user_factory("bob")
    Profile.objects.create(user=bob, data={"team": "west", "phone": "555-0100"})
    user_factory("carol")


def test_a_manager_lists_searches_and_sets_a_team_they_hold(page, people, log_in, screenshot):
    log_in(page, "lena", PASSWORD)
    page.goto("/people/")
    rows = page.locator("table.people tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("west")
    shoot(page, screenshot, "people-list")
    page.fill("input[name=q]", "car")
    page.click("form.people-search button")
    expect(rows).to_have_count(1)
    rows.nth(0).get_by_role("link", name="Change").click()
    expect(page.locator("h1")).to_have_text("carol")
    page.select_option("select[name=team]", "east")
    page.check("input[name=groups][value=admins]")
    shoot(page, screenshot, "people-person")
    page.click("main form button[type=submit]")
    expect(page).to_have_url("/people/")
    carol = page.locator("table.people tbody tr", has_text="carol")
    expect(carol).to_contain_text("east")
    expect(carol).to_contain_text("admins")
    # a team lena is not in: refused, with the reason
    page.goto("/people/carol/")
    page.select_option("select[name=team]", "west")
    page.click("main form button[type=submit]")
    expect(page.locator("main")).to_contain_text("not: team:west")
    shoot(page, screenshot, "people-refused")
    assert Profile.objects.get(user__username="carol").data["team"] == "east"


def test_a_user_sees_their_team_and_edits_their_phone(page, people, log_in, screenshot):
    log_in(page, "bob", PASSWORD)
    page.goto("/accounts/profile/")
    expect(page.locator("dl.profile-values")).to_contain_text("west")
    expect(page.locator("select[name=team]")).to_have_count(0)
    page.fill("input[name=phone]", "555-0199")
    page.click("main form button[type=submit]")
    expect(page.locator("body")).to_contain_text("Profile saved.")
    expect(page.locator("input[name=phone]")).to_have_value("555-0199")
    shoot(page, screenshot, "account-profile")
    assert page.locator("nav.account-nav").get_by_text("People").count() == 0


def test_a_manager_invites_from_the_people_page(page, people, log_in, screenshot, mailoutbox):
    log_in(page, "lena", PASSWORD)
    page.goto("/people/")
    invite = page.locator("section.people-invite form")
    invite.locator("input[name=invite-email]").fill("dora@example.com")
    invite.locator("input[name=invite-groups][value=admins]").check()
    invite.get_by_role("button", name="Send invitation").click()
    expect(page).to_have_url("/people/")
    expect(page.locator("body")).to_contain_text("Invitation sent to dora@example.com.")
    shoot(page, screenshot, "people-invited")
    assert [message.to for message in mailoutbox] == [["dora@example.com"]]
