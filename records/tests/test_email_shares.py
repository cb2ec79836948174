"""Shares by e-mail reach only whom the address surely names (issue 10, finding 6; contract §7).

An address counts as a principal once verified, or when an administrator set it: the rule of
accounts.identity, the same for a share as for an owner value. The attacks, through HTTP: an
address typed at sign-up (unverified) received shares meant for its owner; somebody else adding
the owner's address to their account made shares to it fail with 400.
"""

import json
import re

import pytest
from django.core import mail
from django.test import Client

from tests.helpers import signup

pytestmark = pytest.mark.django_db

ACL = """
acl:
  rights:
    reader: [authenticated]
    author: [authenticated]
  row_owners: [salesman]
"""
NOBODY = {
    "error": "no user or group 'victim@example.com': a share names a user, a user's e-mail or a group"
}


@pytest.fixture(autouse=True)
def _no_rate_limits_used():
    # allauth limits confirmation mails per address in the cache: each test starts with none.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def shop(records_site, make_record, users):
    records_site.write(
        "settings.yaml", "title: Test site\nauth:\n  signup: true\n  email_verification: optional\n"
    )
    records_site.write("apps/sales/settings.yaml", ACL)
    make_record("sales", "deal", {"title": "a"}, author=users["author"])
    make_record("sales", "mailed", {"title": "b", "salesman": "Victim@Example.com"})
    return records_site


def share(client, principal, record="deal"):
    body = json.dumps({"principal": principal, "permissions": ["view"]})
    return client.post(
        f"/api/v1/sales/record/{record}/share", body, content_type="application/json"
    )


def listed(client):
    return sorted(r["id"] for r in client.get("/api/v1/sales/records").json())


def typed_at_signup(name="mallory", email="victim@example.com") -> Client:
    client = Client()
    assert signup(client, username=name, email=email)["Location"] == "/"  # signed in, unverified
    return client


def test_a_share_to_an_address_typed_at_signup_reaches_nobody(shop, api_client):
    mallory = typed_at_signup()
    response = share(api_client("author"), "victim@example.com")
    assert (response.status_code, response.json()) == (400, NOBODY)
    assert listed(mallory) == []


def test_once_verified_the_address_takes_shares(shop, api_client):
    """The twin: whoever opens the link holds the mailbox, and the address is theirs."""
    mallory = typed_at_signup()
    link = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[0].body)
    mallory.post(link.group(1))
    response = share(api_client("author"), "VICTIM@example.com")
    assert response.status_code == 200, response.content
    assert listed(mallory) == ["deal", "mailed"]


def test_an_unverified_copy_does_not_break_shares_to_an_address_an_admin_set(
    shop, api_client, user_factory
):
    mallory = typed_at_signup()  # first, with the address
    victim = user_factory("victim", email="victim@example.com")  # set by an administrator
    response = share(api_client("author"), "Victim@example.com")
    assert response.status_code == 200, response.content
    assert listed(api_client(victim)) == ["deal", "mailed"]
    assert listed(mallory) == []


def test_an_address_added_by_another_user_takes_nothing_from_its_holder(
    shop, api_client, user_factory
):
    victim = user_factory("victim", email="victim@example.com")  # set by an administrator
    mallory = user_factory("mallory", email="mallory@example.com")
    added = api_client(mallory).post(
        "/accounts/email/", {"email": "victim@example.com", "action_add": ""}
    )
    assert added.status_code == 302
    response = share(api_client("author"), "victim@example.com")
    assert response.status_code == 200, response.content
    # the share and the owner value name the same user: the holder, not the copy
    assert listed(api_client(victim)) == ["deal", "mailed"]
    assert listed(api_client(mallory)) == []


def test_a_verified_holder_wins_over_an_address_set_beside_it(shop, api_client, user_factory):
    from allauth.account.models import EmailAddress

    owner = user_factory("owner", email="victim@example.com")
    EmailAddress.objects.create(user=owner, email="victim@example.com", verified=True)
    user_factory("other", email="victim@example.com")  # no row: but the address is owner's
    response = share(api_client("author"), "victim@example.com")
    assert response.status_code == 200, response.content
    assert listed(api_client(owner)) == ["deal", "mailed"]


def test_two_holders_an_admin_set_are_400(shop, api_client, user_factory):
    user_factory("one", email="victim@example.com")
    user_factory("two", email="VICTIM@example.com")
    response = share(api_client("author"), "victim@example.com")
    assert (response.status_code, response.json()) == (
        400,
        {"error": "several users have the e-mail 'victim@example.com': share by user name"},
    )
