"""The data page of the demo's events app in Chromium (contract §9): a file checked (dry run)
with its problems in a table, a good file checked, confirmed, its progress bar full and its
rows written; the export links download what the API exports."""

import pytest
from playwright.sync_api import expect

from records.models import Record

pytestmark = pytest.mark.django_db(transaction=True)


def test_dry_run_then_confirmed_import_with_progress(
    page, user_factory, log_in, screenshot, tmp_path
):
    user_factory("dora")
    log_in(page, "dora", "pw-for-tests-1")
    page.goto("/apps/events/data/")
    expect(page.locator("h1")).to_have_text("Events: import and export")
    bad = tmp_path / "bad.csv"
    bad.write_text("title,seats,colour\nA talk,10,\nNo seats,0,\n")
    page.locator("#import-file").set_input_files(str(bad))
    page.locator("#import-check").click()
    expect(page.locator("#import-status")).to_have_text("2 problem(s) to fix before importing.")
    expect(page.locator("#import-problems tbody tr")).to_have_count(2)
    expect(page.locator("#import-problems tbody tr").nth(0)).to_contain_text("header")
    expect(page.locator("#import-problems tbody tr").nth(0)).to_contain_text("colour")
    expect(page.locator("#import-problems tbody tr").nth(1)).to_contain_text(
        "2seatsmin: at least 1, found 0"
    )
    expect(page.locator("#import-confirm")).to_be_hidden()
    screenshot(page, "import-dry-run-problems")

    good = tmp_path / "events.csv"
    good.write_text("title,seats,kind\nA talk,10,talk\nA party,40,party\nA workshop,12,workshop\n")
    page.locator("#import-file").set_input_files(str(good))
    page.locator("#import-check").click()
    expect(page.locator("#import-status")).to_have_text("All 3 rows can be imported.")
    expect(page.locator("#import-problems")).to_be_hidden()
    assert Record.objects.filter(app_id="events").count() == 0  # a dry run writes nothing
    screenshot(page, "import-dry-run-ok")
    page.locator("#import-confirm").click()
    expect(page.locator("#import-status")).to_have_text(
        "Imported: 3 created, 0 updated, 0 skipped."
    )
    bar = page.locator("#import-bar")
    expect(bar).to_have_attribute("max", "3")
    assert bar.evaluate("e => e.value") == 3
    screenshot(page, "import-done")
    titles = sorted(Record.objects.filter(app_id="events").values_list("items__title", flat=True))
    assert titles == ["A party", "A talk", "A workshop"]

    page.goto("/events/")  # the demo's list of events offers the export
    page.locator("a", has_text="Export the events").click()
    with page.expect_download() as download:
        page.locator("a.export", has_text="Export CSV").click()
    assert download.value.suggested_filename.startswith("events-")
    assert "A workshop" in download.value.path().read_text()
