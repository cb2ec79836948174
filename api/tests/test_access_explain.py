"""Contract §10: `GET /api/v1/<app>/access?user=<name>[&record=<id>]` says, for read, create,
edit, delete and share, whether that user may and the rule that decided it."""

from __future__ import annotations

import pytest

from records import store
from records.models import Record
from records.ownership import sharing
from site_model.loader import current_site
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db


def explain(client, app="sales", **query):
    params = "&".join(f"{key}={value}" for key, value in query.items())
    return client.get(f"/api/v1/{app}/access?{params}")


def rights(response) -> dict:
    assert response.status_code == 200, response.content
    return {
        name: (verdict["allowed"], verdict["because"])
        for name, verdict in response.json()["rights"].items()
    }


def test_a_manager_is_told_each_right_of_a_user_and_the_principal_that_granted_it(
    api_client, records_site
):
    answer = explain(api_client("manager"), user="editor").json()
    fields = answer.pop("fields")
    assert fields and all(rights == {"read": True, "write": True} for rights in fields.values())
    assert answer == {
        "user": "editor",
        "record": None,
        "rights": {
            "read": {"allowed": True, "because": "editor: group editors"},
            "create": {"allowed": True, "because": "editor: group editors"},
            "edit": {"allowed": True, "because": "editor: group editors"},
            "delete": {"allowed": True, "because": "editor: group editors"},
            "share": {"allowed": True, "because": "editor: group editors"},
        },
    }


def test_what_is_missing_is_named(api_client, records_site):
    assert rights(explain(api_client("manager"), user="reader")) == {
        "read": (True, "reader: group readers"),
        "create": (False, "author needs authors; reader holds reader"),
        "edit": (False, "author needs authors; reader holds reader"),
        "delete": (False, "author needs authors; reader holds reader"),
        "share": (False, "author needs authors; reader holds reader"),
    }
    assert rights(explain(api_client("manager"), user="stranger"))["read"] == (
        False,
        "reader needs readers; stranger holds no right",
    )
    assert rights(explain(api_client("root"), app="open", user="editor"))["read"] == (
        False,
        "reader needed: the app has no acl, only managers may",
    )
    assert rights(explain(api_client("manager"), user="root"))["read"] == (
        True,
        "manager: superuser",
    )


@pytest.mark.parametrize(
    ("who", "status", "message"),
    [
        (None, 401, "authentication required to manage records of app 'sales'"),
        ("editor", 403, "you may not manage records of app 'sales'"),
    ],
)
def test_only_managers_may_ask(api_client, records_site, who, status, message):
    assert_error(explain(api_client(who), user="reader"), status, message)


def test_an_unknown_user_or_record_is_404_and_no_user_400(api_client, records_site, users):
    manager = api_client("manager")
    assert_error(explain(manager, user="nobody"), 404, "no user 'nobody'")
    assert_error(explain(manager, user="reader", record="zz"), 404, "no record 'zz' in app 'sales'")
    assert_error(explain(manager), 400, "name the user to explain: ?user=<username>")
    assert_error(
        explain(manager, user="reader", record="a%20b"),
        400,
        "invalid record id 'a b': a record id is 1 to 200 characters of letters, digits and "
        "-_.~:@, at least one a letter or digit",
    )


@pytest.fixture
def sale(owned_app, users):
    """A record of `owned` by author2, salesman `author`; the group `east` exists."""
    app = current_site().apps["owned"]
    made = store.record_create(
        app=app, items={"salesman": "author"}, record_id="s1", user=users["author2"]
    )
    return Record.objects.get(pk=made.pk)


def test_row_level_security_names_the_owner_item_the_author_or_what_is_missing(
    api_client, sale, users, user_factory
):
    manager = api_client("root")
    assert rights(explain(manager, app="owned", user="author", record="s1")) == {
        "read": (True, "owner item salesman names author"),
        "create": (True, "author: group authors"),
        "edit": (True, "author: group authors; owner item salesman names author"),
        "delete": (True, "author: group authors; owner item salesman names author"),
        "share": (
            False,
            "share needs editor, or author and being the record's _author; author holds author",
        ),
    }
    assert rights(explain(manager, app="owned", user="author2", record="s1"))["share"] == (
        True,
        "author: group authors; author2 is the record's _author",
    )
    user_factory("alice", groups=["readers", "east"])
    no_share = "row-level security: no owner item names alice, their groups or roles, and no share"
    assert rights(explain(manager, app="owned", user="alice", record="s1"))["read"] == (
        False,
        no_share,
    )
    sharing.record_share(record=sale, principal="east", permissions=("view", "edit"))
    explained = rights(explain(manager, app="owned", user="alice", record="s1"))
    assert explained["read"] == (True, "shared with group east: view")
    assert explained["edit"] == (True, "shared with group east: edit")
    assert explained["delete"][0] is False
    assert rights(explain(manager, app="owned", user="editor", record="s1"))["read"] == (
        True,
        "editor: group editors (every row)",
    )


def test_the_description_offers_the_route_to_managers_only_and_agrees_with_its_answers(
    api_client, sale
):
    import jsonschema

    manager = api_client("root")
    description = manager.get("/api/v1/owned/openapi.json").json()
    operation = description["paths"]["/owned/access"]["get"]
    assert operation["x-needs"] == "manager"
    assert [p["name"] for p in operation["parameters"]] == ["user", "record"]
    assert {"200", "400", "401", "403", "404"} <= set(operation["responses"])
    schema = {**description["components"]["schemas"]["Access"]}
    for query in ({"user": "author"}, {"user": "author", "record": "s1"}):
        answer = explain(manager, app="owned", **query)
        assert answer.status_code == 200
        jsonschema.validate(answer.json(), schema)
    for query, status in (({}, "400"), ({"user": "nobody"}, "404")):
        assert str(explain(manager, app="owned", **query).status_code) == status
    reader_paths = api_client("reader").get("/api/v1/owned/openapi.json").json()["paths"]
    assert "/owned/access" not in reader_paths


def test_explain_access_prints_the_same_a_line_per_right(sale):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("explain_access", "author", "owned", "s1", stdout=out)
    assert out.getvalue().splitlines() == [
        "read: allowed (owner item salesman names author)",
        "create: allowed (author: group authors)",
        "edit: allowed (author: group authors; owner item salesman names author)",
        "delete: allowed (author: group authors; owner item salesman names author)",
        "share: refused (share needs editor, or author and being the record's _author; "
        "author holds author)",
        "field amount: read, write",
    ]
    for arguments, message in (
        (("nobody", "owned"), "no user 'nobody'"),
        (("author", "owned", "zz"), "no record 'zz' in app 'owned'"),
        (("author", "nope"), "no app 'nope' in the site; apps: open, owned, public, sales"),
    ):
        with pytest.raises(CommandError) as raised:
            call_command("explain_access", *arguments, stdout=StringIO())
        assert str(raised.value) == message


def test_an_owner_value_naming_a_group_a_role_or_an_e_mail_says_so(api_client, owned_app, users):
    from site_model.loader import current_site as site_now

    owned_app.write(
        "apps/owned/settings.yaml",
        "acl:\n  rights:\n    reader: [readers, authors]\n    author: [authors]\n"
        "  roles:\n    leads: [author]\n  row_owners: [salesman]\n",
    )
    app = site_now().apps["owned"]
    for record_id, salesman in (("g", "authors"), ("r", "leads"), ("e", "AUTHOR@example.com")):
        store.record_create(app=app, items={"salesman": salesman}, record_id=record_id)
    manager = api_client("root")
    reads = {
        record_id: rights(explain(manager, app="owned", user="author", record=record_id))["read"]
        for record_id in ("g", "r", "e")
    }
    assert reads == {
        "g": (True, "owner item salesman names authors, a group of author"),
        "r": (True, "owner item salesman names leads, a role of author"),
        "e": (True, "owner item salesman names AUTHOR@example.com, the e-mail of author"),
    }


def test_a_name_holding_a_nul_or_odd_characters_is_an_unknown_user(api_client, records_site):
    manager = api_client("manager")
    for name, shown in (("a%00b", "a\x00b"), ("%E2%80%AE", "\u202e"), ("x" * 300, "x" * 300)):
        assert_error(explain(manager, user=name), 404, f"no user '{shown}'")
