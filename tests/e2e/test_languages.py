"""Switching language in the chrome of the demo, then a form with an error, in French
(contract §13, issue 29)."""

import pytest
from playwright.sync_api import expect

from records.models import Record

pytestmark = pytest.mark.django_db(transaction=True)


def test_switch_to_french_and_submit_a_form_with_an_error(page, user_factory, log_in, screenshot):
    user_factory("dora")
    log_in(page, "dora", "pw-for-tests-1")
    page.goto("/events/")
    expect(page.locator("h1")).to_have_text("Events")
    page.locator("form.languages button", has_text="Français").click()
    expect(page.locator("h1")).to_have_text("Événements")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("header .who button", has_text="Se déconnecter")).to_be_visible()
    form = page.locator("form.block[data-block=event]")
    expect(form.locator("label", has_text="Places")).to_be_visible()
    screenshot(page, "i18n-events-fr")

    form.locator("input[name=title]").fill("Fête d’été")
    form.locator("input[name=seats]").evaluate("e => e.removeAttribute('max')")
    form.locator("input[name=seats]").fill("600")
    form.locator("button[name=_save]").click()
    expect(page.locator(".field-error")).to_have_text("Places doit valoir au plus 500.")
    expect(page.locator("button[name=_save]")).to_have_text("Enregistrer")
    screenshot(page, "i18n-events-fr-error")
    assert Record.objects.filter(app_id="events").count() == 0

    page.goto("/events/")
    page.locator("form.languages button", has_text="Deutsch").click()
    expect(page.locator("h1")).to_have_text("Veranstaltungen")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("header .who a", has_text="Konto")).to_be_visible()
    screenshot(page, "i18n-events-de")
