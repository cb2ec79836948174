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
