"""The demo's sales dashboard in Chromium: each user sees and totals only their rows (issue 6, 7)."""

import io

import pytest
from playwright.sync_api import expect

from web.management.commands.seed_demo import Command as SeedDemo

pytestmark = pytest.mark.django_db(transaction=True)

EXPECTED = {
    # user -> (customers on their dashboard, total)
    "alice": (["Acme", "Hooli", "Umbrella"], "3500"),  # author; role "leads"; group "members"
    "bob": (["Globex", "Initech", "Wonka"], "1400"),  # author; salesman by name; by e-mail
    "admin": (["Acme", "Globex", "Hooli", "Initech", "Umbrella", "Wonka"], "4900"),  # editor
}


@pytest.fixture
def sales(user_factory):
    user_factory("alice", groups=["members"])
    user_factory("bob")
    user_factory("admin", groups=["admins"])
    SeedDemo(stdout=io.StringIO()).seed_sales()


@pytest.mark.parametrize("username", EXPECTED)
def test_each_user_sees_only_their_rows(page, sales, log_in, screenshot, username):
    customers, total = EXPECTED[username]
    log_in(page, username, "pw-for-tests-1")
    page.goto("/sales/")
    rows = page.locator("table.sales tbody tr td:first-child")
    expect(rows).to_have_count(len(customers))
    assert sorted(rows.all_inner_texts()) == customers
    expect(page.locator("table.sales .total")).to_have_text(total)
    screenshot(page, f"sales-{username}")


def test_a_hidden_row_is_not_found_by_its_address(page, sales, log_in):
    log_in(page, "bob", "pw-for-tests-1")
    response = page.goto("/apps/sales/records/sale-acme/")
    assert response.status == 404
    response = page.goto("/apps/sales/records/sale-globex/")
    assert response.status == 200


CHART_BARS = {
    # user -> the bars of "Amount per salesman" (the table beside the canvas)
    "alice": [["alice", "1,200"], ["carol", "300"], ["dave", "2,000"]],
    "admin": [
        ["BOB@example.com", "150"],
        ["alice", "1,200"],
        ["bob", "1,250"],
        ["carol", "300"],
        ["dave", "2,000"],
    ],
}


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("username", CHART_BARS)
def test_the_dashboard_charts_are_drawn_for_each_user(
    page, sales, log_in, screenshot, username, width
):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, username, "pw-for-tests-1")
    page.goto("/sales/")
    bars = page.locator('figure[data-element="per_salesman"] table.chart-data tbody tr')
    rows = [row.locator("th, td").all_inner_texts() for row in bars.all()]
    assert sorted(rows) == sorted(CHART_BARS[username])
    months = page.locator('figure[data-element="per_month"] table.chart-data tbody tr th')
    expect(months.first).to_be_visible()
    for element in ("per_salesman", "per_month"):
        canvas = page.locator(f'figure[data-element="{element}"] canvas')
        expect(canvas).to_have_attribute("data-drawn", "1")  # Chart.js ran: no CDN needed
        box = canvas.bounding_box()
        assert box is not None and 0 < box["width"] <= width and box["height"] > 100
    # nothing wider than the screen: the page does not scroll sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"dashboard-{username}-{width}")


def test_the_margin_is_shown_to_admins_alone(page, sales, log_in, screenshot):
    """Field permissions (issue 26): the demo's margin is for admins; bob reads and edits his
    sale without it, and his save keeps it."""
    log_in(page, "admin", "pw-for-tests-1")
    page.goto("/apps/sales/records/sale-globex/")
    expect(page.locator('[data-element="margin"]')).to_have_text("160")
    screenshot(page, "margin-admin")
    page.context.clear_cookies()
    log_in(page, "bob", "pw-for-tests-1")
    page.goto("/apps/sales/records/sale-globex/")
    expect(page.locator('[data-element="customer"]')).to_have_text("Globex")
    expect(page.locator('[data-element="margin"]')).to_have_count(0)
    assert "Margin" not in page.content()
    page.goto("/apps/sales/records/sale-globex/edit/")
    expect(page.locator("input[name=margin]")).to_have_count(0)
    screenshot(page, "margin-bob-edit")
    page.locator("input[name=amount]").fill("900")
    page.locator("button[name=_save]").click()
    expect(page.locator('[data-element="amount"]')).to_have_text("900")
    from records import selectors

    assert selectors.record_get("sales", "sale-globex").items["margin"] == 160
