"""Preview as, in Chromium (contract §10): a manager of the demo's sales app uses "View as…"
to see the sales dashboard as the salesman alice: her rows, a banner, the form disabled."""

import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from web.management.commands.seed_demo import Command as SeedDemo

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = Path("/work/screens/preview")


@pytest.fixture
def sales(user_factory):
    user_factory("alice", groups=["members"])
    user_factory("bob")
    user_factory("admin", groups=["admins"])
    SeedDemo(stdout=io.StringIO()).seed_sales()


def shot(page, name):
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def customers(page) -> list[str]:
    return sorted(page.locator("table.sales tbody tr td:first-child").all_inner_texts())


def test_a_manager_views_the_sales_dashboard_as_alice(page, sales, log_in):
    log_in(page, "admin", "pw-for-tests-1")
    page.goto("/sales/")
    control = page.locator("form.view-as")
    expect(control).to_be_visible()
    assert len(customers(page)) == 6
    shot(page, "1-view-as-control")

    control.locator("input[name=user]").fill("alice")
    control.locator("button").click()
    page.wait_for_url("**/preview/alice/sales/")
    banner = page.locator(".preview-banner")
    expect(banner).to_contain_text("You are viewing this page as alice sees it.")
    assert customers(page) == ["Acme", "Hooli", "Umbrella"]
    expect(page.locator("table.sales .total")).to_have_text("3500")
    form = page.locator('form[data-block="sale"]')
    for control_in_form in form.locator("input:not([type=hidden]), select, textarea, button").all():
        expect(control_in_form).to_be_disabled()
    expect(page.locator("form.view-as")).to_have_count(0)
    shot(page, "2-preview-as-alice")
    form.scroll_into_view_if_needed()
    shot(page, "3-disabled-form")

    banner.get_by_role("link", name="Stop viewing as alice").click()
    page.wait_for_url("**/sales/")
    expect(page.locator(".preview-banner")).to_have_count(0)
    assert len(customers(page)) == 6


def test_a_salesman_has_no_view_as_control_and_is_refused_a_preview(page, sales, log_in):
    log_in(page, "alice", "pw-for-tests-1")
    page.goto("/sales/")
    expect(page.locator("form.view-as")).to_have_count(0)
    response = page.goto("/preview/bob/sales/")
    assert response.status == 403
    shot(page, "4-refused")


def test_the_control_and_the_banner_fit_a_phone(page, sales, log_in):
    page.set_viewport_size({"width": 390, "height": 800})
    log_in(page, "admin", "pw-for-tests-1")
    page.goto("/sales/")
    expect(page.locator("form.view-as")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "5-phone-control")
    page.goto("/preview/alice/sales/")
    expect(page.locator(".preview-banner")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "6-phone-preview")
