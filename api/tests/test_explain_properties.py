"""Contract §10, property-based: every verdict `GET /api/v1/<app>/access` gives equals what
the API then does for that user, across owners (items naming users, e-mails, groups, roles),
groups, rights and shares. The worlds are row-level security's (records/tests/
test_rls_properties.py); no oracle is written here: the explanation is the oracle, and the
API's answers judge it."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Profile
from records.tests.test_rls_properties import (  # noqa: F401
    PRINCIPALS,
    USERS,
    build,
    crm_site,
    worlds,
)
from tests.helpers import new_client, site_property

pytestmark = pytest.mark.django_db(transaction=False)

PROPERTY = site_property(max_examples=15)
User = get_user_model()


def acted(client, right: str, record_id: str) -> bool:
    """Did the API let `client` do `right` to the record (rolled back after)?"""
    path = f"/api/v1/crm/record/{record_id}"
    request = {
        "read": ("GET", path, None),
        "edit": ("PATCH", path, {"note": "changed"}),
        "delete": ("DELETE", path, None),
        "share": ("POST", f"{path}/share", {"principal": "east", "permissions": ["view"]}),
        "create": ("POST", "/api/v1/crm", {"note": "new"}),
    }[right]
    with transaction.atomic():
        response = client.send(*request)
        transaction.set_rollback(True)
    assert response.status_code < 500, response.content
    return response.status_code in (200, 201)


@PROPERTY
@given(world=worlds())
def test_every_verdict_of_explain_is_what_the_api_does(crm_site, world):  # noqa: F811
    with transaction.atomic():
        ids = build(crm_site, world)
        root = get_user_model().objects.create_user("root", is_superuser=True)
        manager = new_client(root)
        for user in USERS:
            client = new_client(user)
            app_wide = manager.get(f"/api/v1/crm/access?user={user}").json()["rights"]
            listed = client.get("/api/v1/crm/records").status_code == 200
            assert app_wide["read"]["allowed"] == listed, (user, app_wide["read"])
            assert app_wide["create"]["allowed"] == acted(client, "create", ""), user
            for record_id in ids:
                answer = manager.get(f"/api/v1/crm/access?user={user}&record={record_id}")
                for right, verdict in answer.json()["rights"].items():
                    done = acted(client, right, record_id)
                    assert verdict["allowed"] == done, (user, record_id, right, verdict)
        transaction.set_rollback(True)


# --- field rules (acl.fields) and profile principals -----------------------------------------

FIELD_PRINCIPALS = (*PRINCIPALS, "team:east", "team:west")
ITEMS = ("note", "region")  # the deal block's and the probe block's inputs
rule_principals = st.one_of(st.none(), st.sets(st.sampled_from(FIELD_PRINCIPALS), max_size=2))
field_rules = st.dictionaries(
    st.sampled_from(ITEMS),
    st.fixed_dictionaries({"read": rule_principals, "write": rule_principals}),
    max_size=2,
)
teams = st.fixed_dictionaries({user: st.sampled_from([None, "east", "west"]) for user in USERS})
TEAM_SETTINGS = (
    "title: Test site\ngroups: [admins]\n"
    "users:\n  fields:\n    team: {type: CHOICE, choices: [east, west]}\n"
)


def with_field_rules(site_dir, world, rules, team_of) -> None:
    """The world's settings.yaml plus `acl.fields`, and each user's profile team."""
    acl = {"rights": world.rights, "roles": world.roles, "row_owners": ["salesman", "team"]}
    acl["fields"] = {
        item: {way: sorted(names) for way, names in rule.items() if names is not None}
        for item, rule in rules.items()
    }
    site_dir.write("apps/crm/settings.yaml", json.dumps({"acl": acl}))
    for user, team in team_of.items():
        if team is not None:
            Profile.objects.create(user=User.objects.get(username=user), data={"team": team})


def send(client, method: str, path: str, body=None):
    with transaction.atomic():
        response = client.send(method, path, body)
        transaction.set_rollback(True)
    assert response.status_code < 500, response.content
    return response


@PROPERTY
@given(world=worlds(), rules=field_rules, team_of=teams)
def test_every_field_verdict_of_explain_is_what_the_api_does(crm_site, world, rules, team_of):  # noqa: F811
    """Read: the item is in the record a user may GET, and in each row of their list, exactly
    when explain says they may read it; write: a PATCH of the item succeeds exactly when
    explain says they may write it (on that record)."""
    crm_site.write("settings.yaml", TEAM_SETTINGS)
    with transaction.atomic():
        ids = build(crm_site, world)
        root = User.objects.create_user("root", is_superuser=True)
        manager = new_client(root)
        for record_id in ids:
            assert (
                manager.send("PATCH", f"/api/v1/crm/record/{record_id}", {"note": "n"}).status_code
                == 200
            )
        with_field_rules(crm_site, world, rules, team_of)
        for user in USERS:
            client = new_client(user)
            app_wide = manager.get(f"/api/v1/crm/access?user={user}").json()["fields"]
            listed = client.get("/api/v1/crm/records")
            for row in listed.json() if listed.status_code == 200 else []:
                for item in ITEMS:
                    assert (item in row["items"]) == app_wide[item]["read"], (user, item, row)
            for record_id in ids:
                fields = manager.get(f"/api/v1/crm/access?user={user}&record={record_id}")
                fields = fields.json()["fields"]
                path = f"/api/v1/crm/record/{record_id}"
                got = send(client, "GET", path)
                for item in ITEMS:
                    shown = got.status_code == 200 and item in got.json()
                    assert fields[item]["read"] == shown, (user, record_id, item, fields)
                    written = send(client, "PATCH", path, {item: "changed"}).status_code == 200
                    assert fields[item]["write"] == written, (user, record_id, item, fields)
        transaction.set_rollback(True)
