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
