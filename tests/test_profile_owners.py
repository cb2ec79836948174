"""Profile fields as principals, and `on_create` (contract §11, issue 27), through HTTP.

A site declares `users.fields.team` (CHOICE east/west); app `deals` is owned by its
`salesman` and `team` items and stamps both from the creator (`on_create`). ann and bob are
in team east, carl in team west, ed is an editor.
"""

import json
import re

import pytest
from django.contrib.auth.models import User

from accounts.models import Profile
from records.models import Record
from tests.helpers import assert_error, ids, new_client

pytestmark = pytest.mark.django_db

SETTINGS = """
title: Test site
groups: [editors]
users:
  fields:
    team: {type: CHOICE, choices: [east, west]}
    phone: {type: TEXT, max_length: 30}
  self_edit: [phone]
"""

DEALS_ACL = """
acl:
  rights:
    reader: [authenticated]
    author: [authenticated]
    editor: [editors]
  row_owners: [salesman, team]
on_create:
  team: profile.team
  salesman: user.username
"""

DEAL_BLOCK = """
elements:
  customer: {type: TEXT, index_type: text}
  amount: {type: NUMBER, index_type: field}
  team: {type: TEXT, index_type: field}
  salesman: TEXT
"""

RUNNER = """
def run(context):
    context.app.create_record().save({"customer": "by code", "amount": 1})
    return "/done/"
"""


@pytest.fixture
def deals(site_dir, user_factory):
    site_dir.write("settings.yaml", SETTINGS)
    site_dir.write("apps/deals/settings.yaml", DEALS_ACL)
    site_dir.write("apps/deals/blocks/deal.yaml", DEAL_BLOCK)
    site_dir.write("apps/deals/blocks/runner.yaml", "elements:\n  run: ACTION\n")
    site_dir.write("apps/deals/blocks/runner.py", RUNNER)
    people = {
        "ann": user_factory("ann"),
        "bob": user_factory("bob"),
        "carl": user_factory("carl"),
        "dora": user_factory("dora"),  # no team
        "ed": user_factory("ed", groups=["editors"]),
    }
    for name, team in (("ann", "east"), ("bob", "east"), ("carl", "west")):
        Profile.objects.create(user=people[name], data={"team": team})
    return site_dir


def create(who, body, path="/api/v1/deals"):
    return new_client(who).post_json(path, body)


def items_of(record_id):
    return Record.objects.get(app_id="deals", record_id=record_id).items


# --- on_create on every path -------------------------------------------------------------------


def test_an_api_create_is_stamped_from_the_creator(deals):
    response = create("ann", {"id": "d1", "customer": "Acme", "amount": 5})
    assert response.status_code == 201, response.content
    assert items_of("d1") == {
        "customer": "Acme",
        "amount": 5,
        "team": "team:east",
        "salesman": "ann",
        "_author": "ann",
    }


def test_a_put_create_is_stamped(deals):
    response = new_client("carl").send("PUT", "/api/v1/deals/record/d2", {"customer": "B"})
    assert response.status_code == 201, response.content
    assert items_of("d2")["team"] == "team:west"
    assert items_of("d2")["salesman"] == "carl"


def test_a_bulk_create_is_stamped(deals):
    rows = [{"id": "b1", "customer": "x"}, {"id": "b2", "customer": "y", "team": ""}]
    response = create("bob", rows, "/api/v1/deals/records")
    assert response.status_code == 201, response.content
    assert [items_of(r)["team"] for r in ("b1", "b2")] == ["team:east", "team:east"]
    assert {items_of(r)["salesman"] for r in ("b1", "b2")} == {"bob"}


def test_a_form_create_is_stamped(deals):
    response = new_client("ann").post(
        "/apps/deals/blocks/deal/",
        {"_save": "1", "customer": "Form", "amount": "3", "team": "", "salesman": ""},
    )
    assert response.status_code == 302, response.content
    (record,) = Record.objects.filter(app_id="deals")
    assert record.items["team"] == "team:east"
    assert record.items["salesman"] == "ann"


def test_block_code_creates_are_stamped(deals):
    response = new_client("carl").post("/apps/deals/blocks/runner/", {"run": "1"})
    assert response["Location"] == "/done/"
    (record,) = Record.objects.filter(app_id="deals")
    assert record.items["team"] == "team:west"
    assert record.items["salesman"] == "carl"


def test_a_creator_without_a_value_leaves_the_item_out(deals):
    assert create("dora", {"id": "d3", "team": ""}).status_code == 201
    assert "team" not in items_of("d3")
    assert items_of("d3")["salesman"] == "dora"


def test_the_stamp_and_owner_rows_are_written_together(deals):
    create("ann", {"id": "d4"})
    from records.ownership.models import RecordOwner

    keys = set(RecordOwner.objects.filter(record__record_id="d4").values_list("item", "principal"))
    assert ("team", "o:team:east") in keys and ("salesman", "o:ann") in keys


@pytest.mark.parametrize(
    "body, item",
    [
        ({"id": "x", "team": "team:west"}, "team"),
        ({"id": "x", "salesman": "bob"}, "salesman"),
        ({"id": "x", "team": "east"}, "team"),
    ],
)
def test_an_author_may_not_override_a_stamped_item(deals, body, item):
    response = create("ann", body)
    assert_error(response, 403, re.compile(f"the item '{item}' is written by the server.*"))
    assert not Record.objects.filter(app_id="deals").exists()


def test_an_author_may_send_the_stamped_value_itself(deals):
    response = create("ann", {"id": "d5", "team": "team:east", "salesman": "ann"})
    assert response.status_code == 201


def test_an_override_is_refused_on_put_bulk_and_form(deals):
    put = new_client("ann").send("PUT", "/api/v1/deals/record/p1", {"salesman": "carl"})
    assert_error(put, 403, re.compile("the item 'salesman' is written by the server.*"))
    bulk = create("ann", [{"customer": "ok"}, {"team": "team:west"}], "/api/v1/deals/records")
    assert_error(bulk, 403, re.compile("record 1: the item 'team' is written by the server.*"))
    form = new_client("ann").post(
        "/apps/deals/blocks/deal/", {"_save": "1", "customer": "F", "salesman": "bob"}
    )
    assert form.status_code == 403
    assert b"the item &#x27;salesman&#x27; is written by the server" in form.content
    assert not Record.objects.filter(app_id="deals").exists()


def test_an_editor_may_set_a_stamped_item(deals):
    response = create("ed", {"id": "d6", "team": "team:west", "salesman": "carl"})
    assert response.status_code == 201, response.content
    assert items_of("d6")["team"] == "team:west"
    assert items_of("d6")["salesman"] == "carl"


# --- a profile value as owner: list, record, search, aggregate ---------------------------------


@pytest.fixture
def east_deal(deals):
    assert create("ann", {"id": "east1", "customer": "Acme", "amount": 7}).status_code == 201
    assert create("carl", {"id": "west1", "customer": "Zeta", "amount": 2}).status_code == 201
    return "east1"


@pytest.mark.parametrize("who, sees", [("ann", True), ("bob", True), ("carl", False)])
def test_a_team_member_reads_the_teams_record(east_deal, who, sees):
    client = new_client(who)
    listed = client.get("/api/v1/deals/records").json()
    assert ("east1" in ids_of(listed)) is sees
    one = client.get("/api/v1/deals/record/east1")
    assert one.status_code == (200 if sees else 404)
    found = client.post_json("/api/v1/deals/search", {"query": "amount > 1"})
    assert found.status_code == 200, found.content
    assert ("east1" in ids(found)) is sees
    totals = client.post_json(
        "/api/v1/deals/aggregate", {"metrics": {"n": "count", "total": "sum:amount"}}
    ).json()["totals"]
    mine = {"ann": 7, "bob": 7, "carl": 2}[who]
    assert totals == {"n": 1, "total": mine}
    exported = client.get("/api/v1/deals/export?format=json")
    assert exported.status_code == 200
    rows = json.loads(b"".join(exported.streaming_content))
    assert [row["id"] for row in rows] == (["east1"] if sees else ["west1"])


def ids_of(listing):
    return [row["id"] for row in listing]


def test_a_team_member_may_edit_the_teams_record_and_others_may_not(east_deal):
    assert (
        new_client("bob").post_json("/api/v1/deals/record/east1", {"amount": 8}).status_code == 200
    )
    refused = new_client("carl").post_json("/api/v1/deals/record/east1", {"amount": 9})
    assert refused.status_code == 404


def test_changing_a_users_team_changes_what_they_read(east_deal):
    Profile.objects.filter(user__username="carl").update(data={"team": "east"})
    assert new_client("carl").get("/api/v1/deals/record/east1").status_code == 200


def test_a_field_taken_out_of_settings_names_nobody(east_deal, deals):
    deals.write("settings.yaml", "title: Test site\ngroups: [editors]\n")
    deals.write("apps/deals/settings.yaml", DEALS_ACL.split("on_create")[0])
    assert new_client("bob").get("/api/v1/deals/record/east1").status_code == 404


def test_a_profile_principal_in_rights_and_roles(deals):
    deals.write(
        "apps/deals/settings.yaml",
        "acl:\n  rights:\n    reader: ['team:west']\n  roles:\n    lead: ['team:west']\n",
    )
    assert new_client("carl").get("/api/v1/deals/records").status_code == 200
    assert new_client("ann").get("/api/v1/deals/records").status_code == 403


def test_an_owner_item_naming_a_team_written_by_an_editor(deals):
    assert create("ed", {"id": "e1", "team": "team:west", "salesman": "ed"}).status_code == 201
    assert new_client("carl").get("/api/v1/deals/record/e1").status_code == 200
    assert new_client("ann").get("/api/v1/deals/record/e1").status_code == 404


def test_basic_and_bearer_callers_are_named_by_their_team_too(east_deal):
    from django.contrib.auth import get_user_model

    from accounts import tokens

    bob = get_user_model().objects.get(username="bob")
    _, raw = tokens.create_token(bob, name="t")
    assert new_client(basic="bob").get("/api/v1/deals/record/east1").status_code == 200
    assert new_client(bearer=raw).get("/api/v1/deals/record/east1").status_code == 200
    assert new_client(basic="carl").get("/api/v1/deals/record/east1").status_code == 404


def test_a_team_member_reads_the_teams_record_in_2_queries(
    east_deal, django_assert_max_num_queries
):
    """As any reader under row-level security (records/tests/test_query_budget.py): the
    session with the user, their identity and their profile in one query, then the record."""
    client = new_client("bob")
    client.get("/api/v1/deals/record/east1")  # warm up (and the owner rows' first check)
    client.get("/api/v1/deals/records")
    with django_assert_max_num_queries(2):
        assert client.get("/api/v1/deals/record/east1").status_code == 200
    with django_assert_max_num_queries(3):  # a list: 3 with the owner rows' check
        assert client.get("/api/v1/deals/records").status_code == 200


def test_user_email_is_stamped_and_an_anonymous_creator_stamps_nothing(deals):
    deals.write(
        "apps/notes/settings.yaml",
        "acl:\n  rights:\n    reader: ['*']\n    author: ['*']\n"
        "on_create:\n  contact: user.email\n  team: profile.team\n",
    )
    deals.write("apps/notes/blocks/note.yaml", "elements:\n  text: TEXT\n  contact: TEXT\n")
    assert create("ann", {"id": "n1"}, "/api/v1/notes").status_code == 201
    stored = Record.objects.get(app_id="notes", record_id="n1").items
    assert stored["contact"] == "ann@example.com"
    assert stored["team"] == "east"  # not an owner item: the bare value
    anonymous = new_client().post_json("/api/v1/notes", {"id": "n2", "contact": "x@example.com"})
    assert_error(anonymous, 403, re.compile("the item 'contact' is written by the server.*"))
    assert new_client().post_json("/api/v1/notes", {"id": "n3", "text": "hi"}).status_code == 201
    assert Record.objects.get(app_id="notes", record_id="n3").items == {"text": "hi"}


def test_an_import_dry_run_names_a_stamped_item_an_author_may_not_send(deals):
    ann = new_client(User.objects.get(username="ann"))
    rows = {"rows": [{"customer": "ok"}, {"customer": "Acme", "salesman": "bob"}]}
    for dry_run in (True, False):
        queued = ann.post_json("/api/v1/deals/import", {**rows, "dry_run": dry_run})
        assert queued.status_code == 202, queued.content
        job = ann.get(queued["Location"]).json()
        assert [(p["row"], p["item"]) for p in job["problems"]] == [(2, "salesman")]
        assert "written by the server from the record's creator" in job["problems"][0]["error"]
    assert not Record.objects.filter(app_id="deals").exists()
