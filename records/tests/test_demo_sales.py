"""The demo's sales app (apps/sales, pages/sales.yaml, seed_demo) on the repository's site."""

import io
import re

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings):
    settings.SITE_DIR = django_settings.BASE_DIR
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # a second run changes nothing


def dashboard(api_client, username):
    html = api_client(get_user_model().objects.get(username=username)).get("/sales/")
    html = html.content.decode()
    customers = re.findall(r'<td><a href="/apps/sales/records/[^"]+/">([^<]+)</a></td>', html)
    total = re.search(r'<th class="num total">([^<]*)</th>', html).group(1)
    return customers, total


def test_each_salesman_sees_and_totals_only_their_rows(seeded, api_client):
    assert dashboard(api_client, "alice") == (["Acme", "Umbrella", "Hooli"], "3500")
    assert dashboard(api_client, "bob") == (["Globex", "Initech", "Wonka"], "1400")
    assert dashboard(api_client, "admin") == (
        ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Wonka"],
        "4900",
    )


def test_the_sales_page_needs_a_login(seeded, client):
    response = client.get("/sales/")
    assert response.status_code == 302 and "next=/sales/" in response["Location"]


def test_a_sale_recorded_by_bob_is_his_at_once(seeded, api_client):
    bob = api_client(get_user_model().objects.get(username="bob"))
    response = bob.post(
        "/apps/sales/blocks/sale/", {"_save": "1", "customer": "Stark", "amount": "99"}
    )
    assert response.status_code == 302
    assert dashboard(api_client, "bob") == (["Globex", "Initech", "Wonka", "Stark"], "1499")
    assert dashboard(api_client, "alice")[1] == "3500"
    hidden = api_client(get_user_model().objects.get(username="alice")).get(response["Location"])
    assert hidden.status_code == 404


def test_the_totals_of_docs_api_md(seeded, api_client):
    """The answers docs/api.md shows for POST /api/v1/sales/aggregate."""
    alice = api_client(get_user_model().objects.get(username="alice"))
    body = {
        "group_by": ["salesman"],
        "metrics": {"total": "sum:amount", "sales": "count"},
        "sort": "total",
        "reverse": True,
    }
    assert alice.send("POST", "/api/v1/sales/aggregate", body).json() == {
        "groups": [
            {"salesman": "dave", "total": 2000, "sales": 1},
            {"salesman": "alice", "total": 1200, "sales": 1},
            {"salesman": "carol", "total": 300, "sales": 1},
        ],
        "totals": {"total": 3500, "sales": 3},
        "skipped": 0,
    }
    admin = api_client(get_user_model().objects.get(username="admin"))
    body = {
        "query": "amount >= 300",
        "group_by": ["month:sold_on"],
        "metrics": {"total": "sum:amount", "average": "avg:amount"},
    }
    assert admin.send("POST", "/api/v1/sales/aggregate", body).json() == {
        "groups": [
            {"month:sold_on": "2026-01", "total": 1200, "average": 1200},
            {"month:sold_on": "2026-02", "total": 1250, "average": 625},
            {"month:sold_on": "2026-03", "total": 2300, "average": 1150},
        ],
        "totals": {"total": 4750, "average": 950},
        "skipped": 0,
    }
    anonymous = api_client().send("POST", "/api/v1/sales/aggregate", {"metrics": {"n": "count"}})
    assert anonymous.json() == {"error": "authentication required to view records of app 'sales'"}


def test_the_dashboard_charts_show_each_visitor_their_bars(seeded, api_client):
    def bars(username):
        client = api_client(get_user_model().objects.get(username=username))
        return client.get("/api/v1/sales/blocks/dashboard/per_salesman").json()

    assert bars("alice") == {
        "labels": ["alice", "carol", "dave"],
        "series": {"Amount per salesman": [1200, 300, 2000]},
    }
    admin = bars("admin")
    assert sorted(zip(admin["labels"], admin["series"]["Amount per salesman"], strict=True)) == [
        ("BOB@example.com", 150),
        ("alice", 1200),
        ("bob", 1250),
        ("carol", 300),
        ("dave", 2000),
    ]


def test_a_sale_belongs_to_its_creators_team(seeded, api_client, user_factory):
    """settings.yaml's `team` profile field and apps/sales `on_create` (issue 27): alice is in
    team east (seed_demo), so her new sale is erin's too, and an author cannot name a team."""
    from accounts.models import Profile

    erin = user_factory("erin")
    Profile.objects.create(user=erin, data={"team": "east"})
    alice = api_client(get_user_model().objects.get(username="alice"))
    response = alice.post(
        "/apps/sales/blocks/sale/", {"_save": "1", "customer": "Tyrell", "amount": "10"}
    )
    assert response.status_code == 302
    assert dashboard(api_client, "erin") == (["Acme", "Tyrell"], "1210")
    assert "Tyrell" not in dashboard(api_client, "bob")[0]
    refused = alice.post(
        "/apps/sales/blocks/sale/",
        {"_save": "1", "customer": "Cyberdyne", "amount": "1", "team": "team:west"},
    )
    assert refused.status_code == 403
