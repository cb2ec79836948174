"""A form saved, viewed, edited and deleted in Chromium: the demo's events app (issue 7)."""

import re

import pytest
from playwright.sync_api import expect

from records.models import Record

pytestmark = pytest.mark.django_db(transaction=True)


def test_event_form_save_edit_delete(page, user_factory, log_in, screenshot):
    user_factory("dora")
    log_in(page, "dora", "pw-for-tests-1")
    page.goto("/events/")
    form = page.locator("form.block[data-block=event]")
    expect(form.locator("label", has_text="Seats")).to_be_visible()
    expect(form.locator("input[name=seats]")).to_have_value("20")  # the element's default

    form.locator("input[name=title]").fill("Summer party")
    form.locator("input[name=seats]").evaluate("e => e.type = 'text'")  # let the server judge it
    form.locator("input[name=seats]").fill("lots")
    form.locator("input[name=starts]").fill("2027-06-21T18:00")
    form.locator("button[name=_save]").click()
    expect(page.locator(".field-error")).to_have_text("Enter a number, not 'lots'.")
    screenshot(page, "event-form-error")
    assert Record.objects.filter(app_id="events").count() == 0

    page.locator("input[name=seats]").fill("40")
    page.locator("button[name=_save]").click()
    expect(page).to_have_url(re.compile(r"/apps/events/records/summer-party/$"))
    expect(page.locator("[data-element=headline]")).to_have_text("Summer party, 40 seats")
    screenshot(page, "event-record")

    page.click("text=Edit")
    expect(page).to_have_url(re.compile(r"/apps/events/records/summer-party/edit/$"))
    page.locator("input[name=seats]").fill("55")
    page.locator("button[name=_save]").click()
    expect(page.locator("[data-element=headline]")).to_have_text("Summer party, 55 seats")
    assert Record.objects.get(app_id="events", record_id="summer-party").items["seats"] == 55

    page.goto("/events/")
    expect(page.locator("table.events")).to_contain_text("Summer party")
    page.click("table.events >> text=Summer party")
    page.click("text=Edit")
    page.locator("button[name=_delete]").click()
    page.goto("/events/")
    expect(page.locator("[data-block=upcoming]")).to_contain_text("No events yet.")
    assert Record.objects.filter(app_id="events").count() == 0
