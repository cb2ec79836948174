"""A record's History view in Chromium (issue 25): an event saved, edited twice, its changes
shown side by side, an old version restored with the Restore button; a reader of the record
sees the history without the button. Screenshots in /work/screens/history/ when it exists
(else test-artifacts/)."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from records.models import Record

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = Path("/work/screens/history")


def shot(page, screenshot, name):
    if SCREENS.is_dir():
        page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)
    else:
        screenshot(page, name)


def test_history_view_and_restore(page, user_factory, log_in, screenshot, browser, live_server):
    user_factory("dora")
    log_in(page, "dora", "pw-for-tests-1")
    page.goto("/events/")
    form = page.locator("form.block[data-block=event]")
    form.locator("input[name=title]").fill("Summer party")
    form.locator("input[name=seats]").fill("40")
    form.locator("button[name=_save]").click()
    expect(page).to_have_url(re.compile(r"/apps/events/records/summer-party/$"))
    for seats, title in (("55", "Summer party"), ("60", "Big summer party")):
        page.goto("/apps/events/records/summer-party/edit/")
        page.locator("input[name=seats]").fill(seats)
        page.locator("input[name=title]").fill(title)
        page.locator("button[name=_save]").click()
        expect(page.locator("h1")).to_have_text(title)

    page.click("a.record-history-link")
    expect(page).to_have_url(re.compile(r"/apps/events/records/summer-party/history/$"))
    expect(page.locator("h1")).to_have_text("History: Big summer party")
    versions = page.locator("section.version")
    expect(versions).to_have_count(3)
    newest = versions.nth(0)
    expect(newest.locator("header")).to_contain_text("Version 3")
    expect(newest.locator("header")).to_contain_text("dora")
    expect(newest.locator("header")).to_contain_text("via form")
    seats_row = newest.locator("tr", has=page.locator("th", has_text="seats"))
    expect(seats_row.locator("td.old")).to_have_text("55")
    expect(seats_row.locator("td.new")).to_have_text("60")
    title_row = newest.locator("tr", has=page.locator("th", has_text=re.compile("^title$")))
    expect(title_row.locator("td.old")).to_have_text("Summer party")
    expect(title_row.locator("td.new")).to_have_text("Big summer party")
    expect(page.locator("button.restore")).to_have_count(2)  # not on the current version
    shot(page, screenshot, "history-view")

    versions.nth(2).locator("button.restore").click()  # version 1
    expect(page).to_have_url(re.compile(r"/apps/events/records/summer-party/$"))
    expect(page.locator(".messages")).to_contain_text("Restored version 1.")
    expect(page.locator("h1")).to_have_text("Summer party")
    expect(page.locator("[data-element=headline]")).to_have_text("Summer party, 40 seats")
    shot(page, screenshot, "history-restored-record")
    record = Record.objects.get(app_id="events", record_id="summer-party")
    assert (record.items["seats"], record.version) == (40, 4)
    page.click("a.record-history-link")
    newest = page.locator("section.version").nth(0)
    expect(newest.locator("header")).to_contain_text("Version 4")
    expect(newest.locator("header")).to_contain_text("via restore")
    shot(page, screenshot, "history-after-restore")

    # another signed-in user reads the event (reader '*') but may not edit it: no Restore
    user_factory("erin")
    other = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    tab = other.new_page()
    log_in(tab, "erin", "pw-for-tests-1")
    tab.goto("/apps/events/records/summer-party/history/")
    expect(tab.locator("section.version")).to_have_count(4)
    expect(tab.locator("button.restore")).to_have_count(0)
    shot(tab, screenshot, "history-reader-390")
    other.close()
