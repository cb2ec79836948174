"""What the move of the JSON API onto Django REST framework fixed (issue 22), each written
first against the hand-written API: refusals of every route reach the audit trail (no
decorator to forget), an element call's body is parsed once, and the description's record-id
pattern is the rule the server checks."""

import json
import re

import jsonschema
import pytest

from accounts.models import SecurityEvent
from api import openapi
from records.selectors import check_record_id

pytestmark = pytest.mark.django_db


def refusals():
    return list(
        SecurityEvent.objects.filter(kind="access_refused")
        .order_by("id")
        .values_list("username", "target", "status", "detail")
    )


def test_a_refused_refresh_is_audited(api_client, records_site):
    response = api_client("editor").post_json("/api/v1/sales/refresh")
    assert response.status_code == 403
    assert refusals() == [
        ("editor", "sales/*", 403, f"POST: {response.json()['error']}"),
    ]


def test_refusals_of_the_block_routes_are_audited(api_client, records_site):
    assert api_client("reader").get("/api/v1/sales/blocks/secret").status_code == 403
    assert api_client().post_json("/api/v1/sales/blocks/secret/code", {}).status_code == 401
    assert refusals() == [
        ("reader", "sales/*", 403, "GET: you may not see block 'sales/secret'"),
        ("", "sales/*", 401, "POST: authentication required to see block 'sales/secret'"),
    ]


def test_an_element_calls_body_is_parsed_once(api_client, records_site, monkeypatch):
    from blocks import context

    records_site.write("apps/public/blocks/echo.yaml", "elements:\n  out: BASIC\n")
    records_site.write(
        "apps/public/blocks/echo.py", "def out(context):\n    return context.params\n"
    )

    class NoSecondParse:
        @staticmethod
        def loads(*args, **kwargs):
            raise AssertionError("the body was parsed a second time")

    monkeypatch.setattr(context, "json", NoSecondParse)
    response = api_client().post_json("/api/v1/public/blocks/echo/out?q=1", {"a": [1, 2]})
    assert (response.status_code, response.json()) == (200, {"q": "1", "a": [1, 2]})


IDS = ["-a", "_a", ".x", "a", "A-1", "a:b@c~d", "x" * 200, "...", "-_.", "", "a b", "é", "x" * 201]


def test_the_described_record_id_pattern_is_the_servers_rule(api_client, records_site, users):
    description = api_client("editor").get("/api/v1/sales/openapi.json").json()
    parameter = description["paths"]["/sales/record/{record_id}"]["parameters"][0]
    pattern = re.compile(parameter["schema"]["pattern"])
    longest = parameter["schema"]["maxLength"]
    # Not "a\n": Python's `$` matches before a final newline, ECMA-262's (JSON Schema's) not.
    for record_id in IDS:
        try:
            check_record_id(record_id)
            accepted = True
        except ValueError:
            accepted = False
        described = bool(pattern.search(record_id)) and len(record_id) <= longest
        assert described == accepted, record_id
    assert parameter["schema"] == openapi.RECORD_ID_SCHEMA
    body = description["components"]["schemas"]["RecordInput"]["properties"]["id"]
    assert body == openapi.RECORD_ID_SCHEMA


def test_put_of_a_record_id_the_description_allows(api_client, records_site, users):
    editor = api_client("editor")
    description = editor.get("/api/v1/sales/openapi.json").json()
    pattern = re.compile(
        description["paths"]["/sales/record/{record_id}"]["parameters"][0]["schema"]["pattern"]
    )
    response = editor.send("PUT", "/api/v1/sales/record/-a", {})
    assert response.status_code == 201
    assert pattern.search("-a")


@pytest.mark.parametrize(
    "raw",
    ['{"title": "a", "title": "b"}', '[{"id": "x", "n": 1, "n": 2}]', '{"a": {"k": 1, "k": 1}}'],
)
def test_a_key_twice_in_one_object_is_400_naming_it(api_client, records_site, users, raw):
    from records.models import Record
    from tests.helpers import assert_error

    key = "title" if "title" in raw else ("n" if '"n"' in raw else "k")
    path = "/api/v1/sales/records" if raw.startswith("[") else "/api/v1/sales"
    response = api_client("editor").send("POST", path, raw=raw)
    assert_error(
        response, 400, f"the body is not valid JSON: key '{key}' appears twice in one object"
    )
    assert Record.objects.count() == 0


def test_the_described_bodies_are_the_serializers(api_client, records_site, users):
    from api.serializers import SEARCH_KEYS
    from records.ownership.sharing import SHARE_KEYS

    schemas = api_client("editor").get("/api/v1/sales/openapi.json").json()["components"]["schemas"]
    assert tuple(schemas["Search"]["properties"]) == SEARCH_KEYS
    assert tuple(schemas["Share"]["properties"]) == SHARE_KEYS
    assert schemas["Search"]["additionalProperties"] is False
    assert schemas["Share"]["additionalProperties"] is False


SEARCH_BODIES = [
    {"reverse": None},
    {"reverse": True},
    {"reverse": "yes"},
    {"query": None, "sort_index": None, "fields": None, "after": None},
    {"limit": None, "offset": None},
    {"limit": 2},
    {"limit": 1.0},
    {"limit": "2"},
    {"limit": 1.5},
    {"limit": 0},
    {"offset": 0.0},
    {"offset": "1"},
    {"sort_index": "price", "offset": 1},
    {"sort_index": "nope"},
]


@pytest.mark.parametrize("search", SEARCH_BODIES, ids=lambda body: json.dumps(body))
def test_a_search_body_is_refused_exactly_when_the_description_refuses_it(
    api_client, records_site, users, search
):
    """`null` is absent for every key (`reverse` too); `limit` and `offset` are JSON Schema
    integers: 1.0 is one, "2" is not (a string is the query string's, not the body's)."""
    reader = api_client("reader")
    schema = reader.get("/api/v1/sales/openapi.json").json()["components"]["schemas"]["Search"]
    described = jsonschema.Draft202012Validator(schema).is_valid(search)
    response = reader.post_json("/api/v1/sales/search", search)
    assert response.status_code == (200 if described else 400), response.json()


def test_a_body_limit_of_one_point_zero_is_one(api_client, records_site, users, make_record):
    make_record("sales", "r1")
    make_record("sales", "r2")
    response = api_client("reader").post_json("/api/v1/sales/search", {"limit": 1.0})
    assert (response.status_code, len(response.json())) == (200, 1)
    assert "limit=1&" in response["Link"]


def test_a_string_limit_in_a_search_body_is_400_naming_it(api_client, records_site, users):
    from tests.helpers import assert_error

    response = api_client("reader").post_json("/api/v1/sales/search", {"limit": "2"})
    assert_error(response, 400, "limit must be a positive integer, found '\"2\"'")


MISSING = object()
RECORD_BODIES = [
    {"title": MISSING},
    {"title": None},
    {"title": ""},
    {"title": []},
    {"title": [""]},
    {"title": ["a", None]},
    {"title": ["a"]},
    {"title": "a"},
    {"title": "a", "notes": None},
    {"title": "a", "notes": ""},
    {"title": "a", "notes": [None, ""]},
    {"title": "a", "notes": ["x", ""]},
    {"title": "a", "seats": ""},
    {"title": "a", "seats": [3, None]},
    {"title": "a", "seats": [[3]]},
    {"title": "a", "headline": None},
    {"title": "a", "poster": {"name": "p", "path": "x/p.png", "size": 1, "content_type": "a/b"}},
    {"title": "a", "poster": [{"name": "p", "path": "p", "size": 1, "content_type": "a/b"}]},
    {"title": "a", "poster": None},
    {"title": "a", "poster": ""},
    {"block": MISSING, "title": MISSING},
    {"block": MISSING, "title": ""},
]


def sent(body: dict) -> dict:
    return {
        name: value for name, value in {"block": "event", **body}.items() if value is not MISSING
    }


@pytest.mark.parametrize("record", RECORD_BODIES, ids=lambda body: repr(sent(body)))
def test_a_create_is_refused_exactly_when_the_description_refuses_it(
    api_client, events_site, users, record
):
    """Required items (on a create through a block) and empty values: `null`, "" and an empty
    list are a value only for an element that is not required, in a list too."""
    author = api_client("author")
    description = author.get("/api/v1/events/openapi.json").json()
    operation = description["paths"]["/events"]["post"]
    schema = {
        **operation["requestBody"]["content"]["application/json"]["schema"],
        "components": description["components"],
    }
    described = jsonschema.Draft202012Validator(schema).is_valid(sent(record))
    response = author.post_json("/api/v1/events", sent(record))
    assert response.status_code == (201 if described else 400), response.json()


def test_every_operation_is_tagged_and_the_record_answers_are_named(api_client, records_site):
    description = api_client("manager").get("/api/v1/sales/openapi.json").json()
    tags = {tag["name"] for tag in description["tags"]}
    unnamed = []
    for path, item in description["paths"].items():
        for method, found in item.items():
            if method == "parameters":
                continue
            assert set(found["tags"]) <= tags and len(found["tags"]) == 1, (path, method)
            for status, answer in found["responses"].items():
                schema = answer.get("content", {}).get("application/json", {}).get("schema")
                if status.startswith("2") and schema is not None and "$ref" not in schema:
                    unnamed.append((path, method))
    # Left inline: this description itself, and the blocks' answers (a block's own shape).
    assert all(
        path == "/sales/openapi.json" or path.startswith("/sales/blocks/") for path, _ in unnamed
    ), unnamed
