"""A form saved, viewed, edited and deleted in Chromium: the demo's events app (issues 7, 14):
every kind of field it has, a rule broken, a FILE uploaded and read back, a stale edit refused,
a delete confirmed, and the pages at 1280 px and 390 px."""

import re

import pytest
from playwright.sync_api import expect

from records.models import Record

pytestmark = pytest.mark.django_db(transaction=True)


def no_sideways_scroll(page) -> bool:
    """Nothing in the page's content reaches past the viewport's right edge. (The site header's
    navigation is the theme's, issue 14's other half, and is checked there.)"""
    return page.evaluate(
        "() => [...document.querySelectorAll('main *')]"
        ".every(e => e.getBoundingClientRect().right <= window.innerWidth + 0.5)"
    )


def test_event_form_save_edit_delete(page, user_factory, log_in, screenshot, tmp_path):
    user_factory("dora")
    log_in(page, "dora", "pw-for-tests-1")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/events/")
    form = page.locator("form.block[data-block=event]")
    expect(form.locator("label", has_text="Seats")).to_be_visible()
    expect(form.locator("input[name=seats]")).to_have_value("20")  # the element's default
    expect(form.locator("select[name=kind] option")).to_have_text(
        ["---------", "talk", "workshop", "party"]
    )
    expect(form.locator("input[name=signup_by]")).to_have_attribute("type", "date")
    expect(form.locator("input[name=poster]")).to_have_attribute("type", "file")
    expect(page.locator(".block-error")).to_have_count(0)  # the formula did not run
    screenshot(page, "events-1280")

    form.locator("input[name=title]").fill("Summer party")
    form.locator("select[name=kind]").select_option("party")
    form.locator("input[name=seats]").evaluate("e => { e.type = 'text'; e.removeAttribute('max') }")
    form.locator("input[name=seats]").fill("lots")
    form.locator("input[name=starts]").fill("2027-06-21T18:00")
    form.locator("input[name=signup_by]").fill("2027-06-01")
    poster = tmp_path / "poster.txt"
    poster.write_text("Bring a hat.")
    form.locator("input[name=poster]").set_input_files(str(poster))
    form.locator("button[name=_save]").click()
    expect(page.locator(".field-error")).to_have_text("Enter a number, not 'lots'.")
    expect(page.locator("h1")).to_have_text("Events")  # the page around the form, not it alone
    screenshot(page, "event-form-error")
    assert Record.objects.filter(app_id="events").count() == 0

    page.locator("input[name=seats]").evaluate("e => e.removeAttribute('max')")
    page.locator("input[name=seats]").fill("600")
    page.locator("input[name=poster]").set_input_files(str(poster))
    page.locator("button[name=_save]").click()
    expect(page.locator(".field-error")).to_have_text("Seats must be at most 500.")

    page.locator("input[name=seats]").fill("40")
    page.locator("input[name=poster]").set_input_files(str(poster))
    page.locator("button[name=_save]").click()
    expect(page).to_have_url(re.compile(r"/apps/events/records/summer-party/$"))
    expect(page.locator("h1")).to_have_text("Summer party")
    expect(page.locator(".record-back a")).to_have_text("← Events")
    expect(page.locator("[data-element=headline]")).to_have_text("Summer party, 40 seats")
    expect(page.locator("[data-element=kind]")).to_have_text("party")
    expect(page.locator("[data-element=signup_by]")).to_have_text("2027-06-01")
    expect(page.locator("a.file")).to_have_text("poster.txt")
    screenshot(page, "event-record-1280")
    with page.expect_download() as download:
        page.locator("a.file").click()
    assert download.value.path().read_text() == "Bring a hat."

    page.set_viewport_size({"width": 390, "height": 844})
    assert no_sideways_scroll(page)
    screenshot(page, "event-record-390")
    page.goto("/events/")
    assert no_sideways_scroll(page)
    screenshot(page, "events-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto("/apps/events/records/summer-party/")
    page.click("text=Edit")
    expect(page).to_have_url(re.compile(r"/apps/events/records/summer-party/edit/$"))
    expect(page.locator("h1")).to_have_text("Edit: Summer party")
    page.locator("input[name=seats]").fill("55")
    page.locator("button[name=_save]").click()
    expect(page.locator("[data-element=headline]")).to_have_text("Summer party, 55 seats")
    record = Record.objects.get(app_id="events", record_id="summer-party")
    assert record.items["seats"] == 55 and record.items["poster"]["name"] == "poster.txt"

    # a stale edit: the record changes after the form was opened
    page.click("text=Edit")
    Record.objects.filter(pk=record.pk).update(version=record.version + 7)
    page.locator("input[name=seats]").fill("99")
    page.locator("button[name=_save]").click()
    expect(page.locator(".record-stale")).to_contain_text("your changes were not saved")
    screenshot(page, "event-stale-edit")
    assert Record.objects.get(pk=record.pk).items["seats"] == 55

    page.goto("/events/")
    expect(page.locator("table.events")).to_contain_text("Summer party")
    page.click("table.events >> text=Summer party")
    page.click("text=Edit")
    page.locator("button[name=_delete]").click()
    expect(page.locator(".confirm-delete")).to_contain_text("Delete Summer party?")
    screenshot(page, "event-confirm-delete")
    assert Record.objects.filter(app_id="events").count() == 1
    page.locator(".confirm-delete button.delete").click()
    expect(page).to_have_url(re.compile(r"/events/$"))
    expect(page.locator(".messages")).to_contain_text("Deleted “Summer party”.")
    expect(page.locator("[data-block=upcoming]")).to_contain_text("No events yet.")
    assert Record.objects.filter(app_id="events").count() == 0


def test_bob_sees_no_edit_on_alices_event(page, user_factory, log_in, api_client):
    alice = user_factory("alice")
    user_factory("bob")
    api_client(alice).send(
        "PUT", "/api/v1/events/record/picnic", {"title": "Picnic", "block": "event"}
    )
    log_in(page, "bob", "pw-for-tests-1")
    page.goto("/apps/events/records/picnic/")
    expect(page.locator("h1")).to_have_text("Picnic")
    expect(page.locator("a.action.edit")).to_have_count(0)
