"""Issue 15: the API described per app and cut to the caller; discovery; shares listed;
If-None-Match and ?fields= on a record read (and on a list and a search)."""

import json

import pytest
from openapi_spec_validator import validate

from api import openapi
from api.openapi_methods import without_twins
from site_model.acl import RANK, Access, Who, access_for
from site_model.loader import current_site
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

KINDS = {
    "anonymous": Access(Who()),
    "reader": Access(Who(username="rita"), level=RANK["reader"]),
    "author": Access(Who(username="alice"), level=RANK["author"]),
    "editor": Access(Who(username="ed", groups=frozenset({"admins"})), level=RANK["editor"]),
    "manager": Access(Who(username="root", is_superuser=True), level=RANK["manager"]),
}
READS = {("get", "nothing"), ("get", "reader"), ("post", "reader"), ("get", "view_permission")}
# An element's value is read by GET, or by POST with parameters in the body.
READS |= {("post", "nothing"), ("post", "view_permission")}
# A share of one record lets any signed-in caller read, update or delete it (contract §5).
SHARED = {("get", "share"), ("post", "share"), ("patch", "share"), ("delete", "share")}


def operations(document):
    """The hand-written operations (api/openapi_methods.py adds HEAD, 405 and slash twins)."""
    for path, item in without_twins(document["paths"]).items():
        for method, op in item.items():
            if method != "parameters":
                yield path, method, op


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("app_id", ["demo", "events", "rating", "sales"])
def test_every_demo_description_is_valid_openapi(settings, app_id, kind):
    from django.conf import settings as conf

    settings.SITE_DIR = conf.BASE_DIR  # the demo site folder
    app = current_site().apps[app_id]
    document = openapi.describe(app, KINDS[kind], "http://127.0.0.1:8000/api/v1")
    validate(document)  # openapi-spec-validator: raises on any fault
    assert document["openapi"] == "3.1.0"


def test_record_schema_is_typed_from_the_elements(settings):
    from django.conf import settings as conf

    settings.SITE_DIR = conf.BASE_DIR
    events = current_site().apps["events"]
    document = openapi.describe(events, KINDS["author"], "http://x/api/v1")
    items = document["components"]["schemas"]["RecordInput"]["properties"]
    seats = {"type": "number", "minimum": 1, "maximum": 500, "title": "Seats"}
    assert items["seats"]["anyOf"] == [
        seats,
        {"type": "array", "items": {"anyOf": [seats, {"type": "null"}, {"const": ""}]}},
        {"type": "null"},
        {"const": ""},
    ]
    assert items["starts"]["anyOf"][0]["format"] == "date-time"
    assert items["kind"]["anyOf"][0]["enum"] == ["talk", "workshop", "party"]
    title = {"type": "string", "maxLength": 80, "title": "Title", "minLength": 1}
    assert items["title"]["anyOf"] == [title, {"type": "array", "items": title, "minItems": 1}]
    assert items["block"] == {"enum": ["event", "upcoming"]}


def test_an_element_type_with_json_schema_gives_its_own(monkeypatch):
    """Issue 14's `json_schema(element)` on a definition is the schema of its values."""
    from api import schema
    from site_model.elements import TYPES
    from site_model.spec import Element

    monkeypatch.setattr(
        type(TYPES["NUMBER"]),
        "json_schema",
        lambda self, element: {"type": "integer", "minimum": 0},
        raising=False,
    )
    element = Element(id="seats", type="NUMBER", label="Seats")
    assert schema.element_schema(element) == {"type": "integer", "minimum": 0, "title": "Seats"}


HIDDEN_SITE = {
    "apps/shop/settings.yaml": """
        acl:
          rights:
            reader: [readers]
            author: [authors]
            editor: [editors]
            manager: [managers]
        """,
    "apps/shop/blocks/item.yaml": """
        elements:
          name: {type: TEXT, index_type: text}
          price: {type: NUMBER, index_type: field}
        """,
    "apps/shop/blocks/secret.yaml": """
        view_permission: [managers]
        elements:
          code: BASIC
          go: {type: ACTION, label: Go}
        """,
    "apps/shop/blocks/secret.py": "def code(context):\n    return 42\n\ndef go(context):\n    pass\n",
}


@pytest.fixture
def shop(site_dir, users):
    """App `shop` (rights by group: the `users` of conftest.py), with a block
    only managers may see."""
    for rel, text in HIDDEN_SITE.items():
        site_dir.write(rel, text)
    return users


def describe_as(api_client, who, app="shop"):
    response = api_client(who).get(f"/api/v1/{app}/openapi.json")
    assert response.status_code == 200, response.content
    validate(response.json())
    return response.json()


def test_a_readers_description_has_no_write_operation(api_client, shop):
    document = describe_as(api_client, "reader")
    found = {(method, op["x-needs"]) for _, method, op in operations(document)}
    assert found <= READS | SHARED
    assert {(path, method) for path, method, _ in operations(document)} == {
        ("/shop", "get"),
        ("/shop/openapi.json", "get"),
        ("/shop/records", "get"),
        ("/shop/record/{record_id}", "get"),
        ("/shop/record/{record_id}", "post"),
        ("/shop/record/{record_id}", "patch"),
        ("/shop/record/{record_id}", "delete"),
        ("/shop/record/{record_id}/history", "get"),
        ("/shop/record/{record_id}/restore", "post"),
        ("/shop/search", "post"),
        ("/shop/aggregate", "post"),
        ("/shop/export", "get"),
        ("/shop/blocks/item", "get"),
        ("/shop/blocks/item/name", "get"),
        ("/shop/blocks/item/name", "post"),
        ("/shop/blocks/item/price", "get"),
        ("/shop/blocks/item/price", "post"),
    }


def test_an_editor_sees_writes_but_not_refresh(api_client, shop):
    document = describe_as(api_client, "editor")
    paths = {(path, method) for path, method, _ in operations(document)}
    assert ("/shop/records", "delete") in paths
    assert ("/shop/record/{record_id}", "patch") in paths
    assert ("/shop/record/{record_id}/share", "get") in paths
    assert ("/shop/refresh", "post") not in paths


@pytest.mark.parametrize("who", [None, "reader", "author", "editor"])
def test_a_hidden_block_and_its_elements_are_absent(api_client, shop, who):
    document = describe_as(api_client, who)
    assert not [path for path in document["paths"] if "secret" in path]
    assert "acl" not in document["components"]["schemas"]["App"]["properties"]


def test_a_manager_sees_the_hidden_block_and_the_acl(api_client, shop):
    document = describe_as(api_client, "manager")
    assert {"/shop/blocks/secret", "/shop/blocks/secret/code", "/shop/blocks/secret/go"} <= set(
        document["paths"]
    )
    assert list(without_twins(document["paths"])["/shop/blocks/secret/go"]) == ["post"]
    assert document["components"]["schemas"]["App"]["required"][-1] == "acl"
    assert ("/shop/refresh", "post") in {(p, m) for p, m, _ in operations(document)}


def test_an_anonymous_visitor_without_rights_sees_the_app_only(api_client, shop):
    document = describe_as(api_client, None)
    assert set(without_twins(document["paths"])) == {
        "/shop",
        "/shop/openapi.json",
        "/shop/blocks/item",
        "/shop/blocks/item/name",
        "/shop/blocks/item/price",
    }


def test_unknown_app(api_client, site_dir):
    assert_error(api_client().get("/api/v1/nope/openapi.json"), 404, "no app 'nope'")


def test_the_index_lists_the_apps_the_caller_may_read(api_client, shop, site_dir):
    site_dir.write("apps/open/settings.yaml", "acl:\n  rights:\n    reader: ['*']\n")
    site_dir.write("apps/open/blocks/b.yaml", "elements:\n  x: TEXT\n")

    def listed(who):
        response = api_client(who).get("/api/v1/")
        assert response.status_code == 200
        return response.json()

    assert listed(None) == {
        "apps": [
            {
                "id": "open",
                "title": "open",
                "path": "http://testserver/api/v1/open",
                "openapi": "http://testserver/api/v1/open/openapi.json",
            }
        ],
        "docs": "http://testserver/api/docs/",
    }
    assert [app["id"] for app in listed("reader")["apps"]] == ["open", "shop"]
    assert api_client().get("/api/v1").json() == listed(None)  # without the slash too


# --- shares listed, If-None-Match, ?fields= -------------------------------------------------


@pytest.fixture
def record(api_client, shop):
    author = api_client("author")
    response = author.post_json("/api/v1/shop", {"id": "r1", "name": "Lamp", "price": 12})
    assert response.status_code == 201, response.content
    return response


def test_shares_are_listed_for_who_may_share(api_client, record, user_factory):
    user_factory("zed", groups=["crew"])
    author = api_client("author")
    assert author.get("/api/v1/shop/record/r1/share").json() == []
    for body in (
        {"principal": "zed", "permissions": ["edit", "view"]},
        {"principal": "crew", "permissions": ["view"]},
    ):
        assert author.post_json("/api/v1/shop/record/r1/share", body).status_code == 200
    expected = [
        {"principal": "zed", "kind": "user", "permissions": ["view", "edit"]},
        {"principal": "crew", "kind": "group", "permissions": ["view"]},
    ]
    assert author.get("/api/v1/shop/record/r1/share").json() == expected
    assert api_client("editor").get("/api/v1/shop/record/r1/share").json() == expected
    assert_error(
        api_client("reader").get("/api/v1/shop/record/r1/share"),
        403,
        "you may not share records of app 'shop'",
    )
    assert_error(
        api_client().get("/api/v1/shop/record/r1/share"),
        401,
        "authentication required to share records of app 'shop'",
    )


def test_if_none_match_answers_304_until_the_record_changes(api_client, record):
    reader = api_client("reader")
    etag = reader.get("/api/v1/shop/record/r1")["ETag"]
    same = reader.get("/api/v1/shop/record/r1", HTTP_IF_NONE_MATCH=etag)
    assert (same.status_code, same.content, same["ETag"]) == (304, b"", etag)
    api_client("editor").send("PATCH", "/api/v1/shop/record/r1", {"price": 13})
    changed = reader.get("/api/v1/shop/record/r1", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed.json()["price"] == 13
    assert changed["ETag"] != etag


def test_fields_asks_for_some_items(api_client, record):
    reader = api_client("reader")
    assert reader.get("/api/v1/shop/record/r1?fields=price").json() == {"id": "r1", "price": 12}
    assert reader.get("/api/v1/shop/record/r1?fields=price,name,nope").json() == {
        "id": "r1",
        "name": "Lamp",
        "price": 12,
    }
    assert reader.get("/api/v1/shop/record/r1?fields=").json() == {"id": "r1"}


def test_fields_is_described_on_a_read_a_list_and_a_search(api_client, shop):
    document = describe_as(api_client, "reader")
    for path, method in (
        ("/shop/record/{record_id}", "get"),
        ("/shop/records", "get"),
        ("/shop/search", "post"),
    ):
        parameters = document["paths"][path][method]["parameters"]
        assert [(p["name"], p["in"]) for p in parameters if p["name"] == "fields"] == [
            ("fields", "query")
        ]
    search = document["components"]["schemas"]["Search"]["properties"]
    assert search["fields"]["type"] == ["array", "null"]


def test_the_docs_page_uses_swagger_ui_from_the_pinned_package(client, site_dir):
    import re

    from django.contrib.staticfiles import finders

    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-index="/api/v1/"' in html
    sources = re.findall(r'(?:src|href)="/static/([^"]+)"', html)
    assert sources == [
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
        "api/api-docs.js",
    ]
    assert all(finders.find(path) for path in sources)
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)  # nothing from another host


def test_empty_and_listed_values_of_file_and_reference_items_are_checked_not_crashed(
    api_client, site_dir, users
):
    """Found by Schemathesis: `"poster": []` (an empty FILE item) answered 500."""
    site_dir.write(
        "apps/shop/settings.yaml", "acl:\n  rights:\n    reader: ['*']\n    author: [authors]\n"
    )
    site_dir.write(
        "apps/shop/blocks/item.yaml",
        "elements:\n  poster: {type: FILE}\n  other: {type: REFERENCE}\n",
    )
    author = api_client("author")
    assert author.post_json("/api/v1/shop", {"id": "a", "poster": []}).status_code == 201
    assert author.post_json("/api/v1/shop", {"id": "b", "other": ["a"]}).status_code == 201
    assert_error(  # a path that is not even a string: refused, not a 500
        author.post_json(
            "/api/v1/shop",
            {"poster": {"name": "", "size": 0, "content_type": "", "path": {}}},
        ),
        400,
        "item 'poster': FILE: a file is set only by an upload through the block form",
    )
    assert_error(
        author.post_json("/api/v1/shop", {"id": "c", "other": ["a", "nope"]}),
        400,
        "item 'other': REFERENCE: no record 'nope' in app 'shop'",
    )


def test_keyset_paging_is_described_on_a_list_and_a_search(api_client, shop):
    document = describe_as(api_client, "reader")
    for path, method in (("/shop/records", "get"), ("/shop/search", "post")):
        names = [p["name"] for p in document["paths"][path][method]["parameters"]]
        assert {"limit", "offset", "after"} <= set(names), (path, names)
    search = document["components"]["schemas"]["Search"]["properties"]
    assert search["after"]["type"] == ["string", "null"]


OPEN_SITE = {
    "apps/staff/settings.yaml": """
        acl:
          rights:
            reader: ['*']
            author: ['*']
            manager: [managers]
          row_owners: [salesman, team]
        """,
    "apps/staff/blocks/card.yaml": """
        elements:
          name: TEXT
          salesman: TEXT
          nickname: TEXT
        """,
    "apps/staff/blocks/payroll.yaml": """
        view_permission: [managers]
        elements:
          salary: NUMBER
          bonus_reason: TEXT
        """,
}


@pytest.fixture
def staff(site_dir, users):
    """App `staff`, open to everyone under row_owners; block `payroll` for managers only."""
    for rel, text in OPEN_SITE.items():
        site_dir.write(rel, text)
    return users


def test_an_anonymous_description_hides_hidden_blocks_and_owner_items(api_client, staff):
    document = describe_as(api_client, None, "staff")
    text = json.dumps(document)
    for secret in ("payroll", "salary", "bonus_reason", "row_owners", "owner"):
        assert secret not in text, secret
    items = document["components"]["schemas"]["RecordInput"]["properties"]
    # salesman (an owner item) is described as nickname (a plain TEXT) is, and team (an owner
    # item that no element declares) not at all.
    assert untitled(items["salesman"]) == untitled(items["nickname"])
    assert "team" not in items
    assert items["block"] == {"enum": ["card"]}


def untitled(schema):
    return json.loads(json.dumps(schema).replace('"title": "Salesman"', '"title": "Nickname"'))


def test_a_manager_description_shows_the_hidden_block_and_owner_items(api_client, staff):
    document = describe_as(api_client, "manager", "staff")
    items = document["components"]["schemas"]["RecordInput"]["properties"]
    assert {"salary", "bonus_reason", "team"} <= set(items)
    owner_list = {"type": "array", "items": {"type": "string"}, "maxItems": 100}
    assert owner_list in items["salesman"]["anyOf"]
    assert items["block"] == {"enum": ["card", "payroll"]}


def test_the_aggregate_route_is_described_with_the_apps_items(settings):
    from django.conf import settings as conf

    settings.SITE_DIR = conf.BASE_DIR
    sales = current_site().apps["sales"]
    # a reader of the demo: its `margin` is for admins (field permissions), so not described
    reader = access_for(sales.acl, Who(username="rita"))
    document = openapi.describe(sales, reader, "http://127.0.0.1:8000/api/v1")
    validate(document)
    assert document["paths"]["/sales/aggregate"]["post"]["operationId"] == "aggregate"
    schemas = document["components"]["schemas"]
    assert schemas["Aggregate"]["required"] == ["metrics"]
    metric = schemas["Aggregate"]["properties"]["metrics"]["additionalProperties"]
    assert metric["description"].endswith("<item> one of: amount, salesman, sold_on, team")
    group = schemas["Aggregate"]["properties"]["group_by"]["items"]["description"]
    assert "year:, month:, day: of sold_on, _created" in group
    assert schemas["Totals"]["required"] == ["groups", "totals", "skipped"]
