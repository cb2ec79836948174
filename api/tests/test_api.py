"""Status codes, bodies, pagination, ETags and bulk writes of the JSON API (contract §4)."""

import pytest
from django.test import override_settings

from records.models import Record
from tests.helpers import assert_error, basic, ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def r1(make_record, users):
    return make_record("sales", "r1", {"title": "one"}, author=users["author"])


def snapshot():
    return sorted(Record.objects.values_list("app_id", "record_id", "items", "version"))


# --- 404, 405, 400 on ids ---------------------------------------------------------------------


def test_unknown_app_block_element_record_route(editor, r1):
    assert_error(editor.get("/api/v1/nope/records"), 404, "no app 'nope'")
    assert_error(editor.get("/api/v1/nope"), 404, "no app 'nope'")
    assert_error(editor.get("/api/v1/sales/record/zz"), 404, "no record 'zz' in app 'sales'")
    assert_error(editor.get("/api/v1/sales/blocks/zz"), 404, "no block 'zz' in app 'sales'")
    assert_error(
        editor.get("/api/v1/sales/blocks/order/zz"), 404, "no element 'zz' in block 'sales/order'"
    )
    assert_error(
        editor.get("/api/v1/sales/whatever/else"), 404, "no API route /api/v1/sales/whatever/else"
    )


def test_unknown_record_for_anonymous_is_401_not_404(api_client, r1):
    # Existence is not revealed to a visitor who may not read the app at all.
    assert_error(
        api_client().get("/api/v1/sales/record/zz"),
        401,
        "authentication required to view records of app 'sales'",
    )


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/api/v1/sales", "GET, POST, HEAD"),
        ("PATCH", "/api/v1/sales/records", "DELETE, GET, POST, HEAD"),
        ("GET", "/api/v1/sales/search", "POST"),
        ("GET", "/api/v1/sales/refresh", "POST"),
        ("DELETE", "/api/v1/sales/blocks/order", "GET, HEAD"),
        ("OPTIONS", "/api/v1/sales/record/r1", "DELETE, GET, PATCH, POST, PUT, HEAD"),
    ],
)
def test_method_not_allowed(editor, r1, method, path, allow):
    response = editor.send(method, path)
    assert_error(response, 405, f"method {method} not allowed here; allowed: {allow}")
    assert response["Allow"] == allow


def test_action_element_runs_only_on_post(api_client, records_site):
    records_site.write("apps/public/blocks/like.yaml", "elements:\n  like: ACTION\n")
    records_site.write(
        "apps/public/blocks/like.py",
        "N = []\ndef like(context):\n    N.append(1)\n    return len(N)\n",
    )
    assert_error(
        api_client().get("/api/v1/public/blocks/like/like"),
        405,
        "method GET not allowed here; allowed: POST",
    )
    assert api_client().post("/api/v1/public/blocks/like/like").json() == 1


ID_RULE = "a record id is 1 to 200 characters of letters, digits and -_.~:@, at least one a letter or digit"


@pytest.mark.parametrize(
    ("bad", "shown"),
    [
        ("...", "..."),
        ("a%20b", "a b"),
        ("a%2Fb", "a/b"),
        ("x" * 201, "x" * 60 + "…"),
        ("%C3%A9", "é"),
    ],
)
def test_bad_record_id_in_url_is_400(editor, r1, bad, shown):
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        response = editor.send(method, f"/api/v1/sales/record/{bad}", {})
        assert_error(response, 400, f"invalid record id '{shown}': {ID_RULE}")
    assert Record.objects.count() == 1


def test_record_id_edges_accepted(editor):
    for good in ("a", "x" * 200, "a-_.~:@b", "9"):
        assert editor.send("PUT", f"/api/v1/sales/record/{good}", {}).status_code == 201
    assert Record.objects.count() == 4


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"id": "a b"}, f"invalid record id 'a b': {ID_RULE}"),
        ({"id": 5}, f"invalid record id '5': {ID_RULE}"),
        ({"id": None}, f"invalid record id 'None': {ID_RULE}"),
        ({"_author": "eve"}, "item '_author': item names starting with '_' are the server's"),
        ({"x": 1, "_x": 1}, "item '_x': item names starting with '_' are the server's"),
    ],
)
def test_bad_items_in_body_are_400(editor, body, message):
    assert_error(editor.send("POST", "/api/v1/sales", body), 400, message)
    assert Record.objects.count() == 0


def test_body_id_must_match_the_record(editor, r1):
    assert_error(
        editor.send("PATCH", "/api/v1/sales/record/r1", {"id": "r2", "x": 1}),
        400,
        "the body's id 'r2' is not the record's id 'r1'",
    )
    assert_error(
        editor.send("PUT", "/api/v1/sales/record/new", {"id": "other"}),
        400,
        "the body's id 'other' is not the record's id 'new'",
    )
    assert editor.send("PATCH", "/api/v1/sales/record/r1", {"id": "r1", "x": 1}).status_code == 200
    assert Record.objects.get(record_id="r1").items == {"title": "one", "_author": "author", "x": 1}


def test_author_stamp_cannot_be_moved(api_client, r1):
    client = api_client("author")
    assert_error(
        client.send("PATCH", "/api/v1/sales/record/r1", {"_author": "author2"}),
        400,
        "item '_author': item names starting with '_' are the server's",
    )
    assert Record.objects.get(record_id="r1").items["_author"] == "author"


# --- 409 ------------------------------------------------------------------------------------


def test_put_on_existing_id_is_409(editor, r1):
    before = snapshot()
    assert_error(
        editor.send("PUT", "/api/v1/sales/record/r1", {"title": "x"}),
        409,
        "record 'r1' exists already in app 'sales'",
    )
    assert_error(
        editor.send("POST", "/api/v1/sales", {"id": "r1"}),
        409,
        "record 'r1' exists already in app 'sales'",
    )
    assert snapshot() == before


def test_same_id_in_two_apps(editor, api_client, r1):
    assert (
        api_client("root").send("PUT", "/api/v1/public/record/r1", {"text": "t"}).status_code == 201
    )
    assert editor.get("/api/v1/sales/record/r1").json()["title"] == "one"
    assert api_client().get("/api/v1/public/record/r1").json() == {
        "id": "r1",
        "text": "t",
        "_author": "root",
    }


# --- malformed bodies -------------------------------------------------------------------------

MALFORMED = [
    (
        b"{not json",
        "the body is not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
    ),
    (b"", "the body is empty: send JSON"),
    (b"\xff\xfe{}", "the body is not valid UTF-8 (bad byte at position 0)"),
    (b'{"a": NaN}', "the body is not valid JSON: NaN is not a JSON value"),
    (b'{"a": 1e999}', "the body is not valid JSON: number 1e999 is out of range"),
    (
        b'{"a": ' + b"1" * 5000 + b"}",
        "the body is not valid JSON: a number of 5000 digits is too long (at most 100)",
    ),
    (
        b'{"a": "\\ud800"}',
        "the body holds a lone surrogate (\\ud800-\\udfff), which is not valid Unicode",
    ),
    (b'{"a": "x\\u0000"}', "the body holds a NUL character (\\u0000), which cannot be stored"),
    (b"[" * 100_000 + b"]" * 100_000, "the body is not valid JSON: nested too deeply"),
    # Which one counts differs between parsers (a proxy, a WAF, this server): refused outright.
    (
        b'{"title": "a", "title": "b"}',
        "the body is not valid JSON: key 'title' appears twice in one object",
    ),
    (b'{"a": {"k": 1, "k": 2}}', "the body is not valid JSON: key 'k' appears twice in one object"),
]


@pytest.mark.parametrize(("raw", "message"), MALFORMED)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/sales"),
        ("POST", "/api/v1/sales/records"),
        ("PUT", "/api/v1/sales/record/n"),
        ("PATCH", "/api/v1/sales/record/r1"),
    ],
)
def test_malformed_bodies_are_400_and_write_nothing(editor, r1, raw, message, method, path):
    before = snapshot()
    assert_error(editor.send(method, path, raw=raw), 400, message)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        ("POST", "/api/v1/sales", [1], "a record must be a JSON object of items, found a list"),
        ("POST", "/api/v1/sales", "x", "a record must be a JSON object of items, found a string"),
        (
            "PUT",
            "/api/v1/sales/record/n",
            3,
            "a record must be a JSON object of items, found a number",
        ),
        ("PATCH", "/api/v1/sales/record/r1", None, "the body is empty: send JSON"),
        (
            "PATCH",
            "/api/v1/sales/record/r1",
            True,
            "a record must be a JSON object of items, found a boolean",
        ),
        (
            "POST",
            "/api/v1/sales/records",
            {"a": 1},
            "the body must be a JSON list of records, found an object",
        ),
        (
            "POST",
            "/api/v1/sales/records",
            [{"a": 1}, 2],
            "record 1: a record must be a JSON object of items, found a number",
        ),
        (
            "POST",
            "/api/v1/sales/search",
            [],
            "the body must be a JSON object with query, sort_index, reverse, limit, offset, after, fields, found a list",
        ),
        (
            "POST",
            "/api/v1/sales/search",
            {"q": 1},
            "unknown key 'q' in a search; keys: query, sort_index, reverse, limit, offset, after, fields",
        ),
        ("POST", "/api/v1/sales/search", {"query": 1}, "query must be a string, found a number"),
        (
            "POST",
            "/api/v1/sales/search",
            {"reverse": "yes"},
            "reverse must be true or false, found a string",
        ),
        (
            "POST",
            "/api/v1/sales/search",
            {"limit": 0},
            "limit must be a positive integer, found '0'",
        ),
        (
            "POST",
            "/api/v1/sales/search",
            {"limit": True},
            "limit must be a positive integer, found 'true'",
        ),
        (
            "POST",
            "/api/v1/sales/search",
            {"offset": -1},
            "offset must be a whole number >= 0, found '-1'",
        ),
        (
            "POST",
            "/api/v1/sales/search",
            {"sort_index": "title"},
            "sort_index 'title' is a text index; sort on a field index: id, price, total",
        ),
    ],
)
def test_wrong_shapes_are_400(editor, r1, method, path, body, message):
    before = snapshot()
    raw = b"" if body is None else None
    assert_error(editor.send(method, path, body, raw=raw), 400, message)
    assert snapshot() == before


def test_huge_body_is_413_and_writes_nothing(editor, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"text": "x" * 2000}
    assert_error(
        editor.send("POST", "/api/v1/sales", body), 413, "the body is larger than 1000 bytes"
    )
    assert_error(
        editor.send("POST", "/api/v1/sales/records", [body]),
        413,
        "the body is larger than 1000 bytes",
    )
    assert Record.objects.count() == 0


def test_unicode_items_round_trip(editor):
    body = {"title": "Zoë 😀 ünïcode", "nested": {"list": [1, 2.5, None, True, "é"]}}
    assert editor.send("PUT", "/api/v1/sales/record/u", body).status_code == 201
    assert editor.get("/api/v1/sales/record/u").json() == {"id": "u", **body, "_author": "editor"}


# --- bulk all-or-nothing ----------------------------------------------------------------------


def test_bulk_is_all_or_nothing_on_conflict(editor, r1):
    body = [{"id": "a"}, {"id": "b"}, {"id": "r1"}]
    assert_error(
        editor.send("POST", "/api/v1/sales/records", body),
        409,
        "record 2: record 'r1' exists already in app 'sales'",
    )
    assert list(Record.objects.values_list("record_id", flat=True)) == ["r1"]


def test_bulk_is_all_or_nothing_on_bad_item(editor):
    body = [{"id": "a"}, {"id": "b", "_x": 1}]
    assert_error(
        editor.send("POST", "/api/v1/sales/records", body),
        400,
        "record 1: item '_x': item names starting with '_' are the server's",
    )
    assert Record.objects.count() == 0


def test_bulk_duplicate_ids_in_body(editor):
    assert_error(
        editor.send("POST", "/api/v1/sales/records", [{"id": "a"}, {"id": "a"}]),
        400,
        "record 1: id 'a' appears twice in the list",
    )
    assert Record.objects.count() == 0


def test_bulk_empty_list(editor):
    assert editor.send("POST", "/api/v1/sales/records", []).json() == {
        "success": "created",
        "total": 0,
    }


# --- ETag and If-Match ------------------------------------------------------------------------


def test_stale_if_match_is_412_and_changes_nothing(editor, r1):
    etag = editor.get("/api/v1/sales/record/r1")["ETag"]
    assert (
        editor.send("PATCH", "/api/v1/sales/record/r1", {"a": 1}, HTTP_IF_MATCH=etag).status_code
        == 200
    )
    fresh = editor.get("/api/v1/sales/record/r1")["ETag"]
    assert fresh != etag
    message = f"record 'r1' has changed: If-Match {etag} but its ETag is {fresh}; read it again"
    assert_error(
        editor.send("PATCH", "/api/v1/sales/record/r1", {"a": 2}, HTTP_IF_MATCH=etag), 412, message
    )
    assert_error(
        editor.send("POST", "/api/v1/sales/record/r1", {"a": 2}, HTTP_IF_MATCH=etag), 412, message
    )
    assert_error(editor.delete("/api/v1/sales/record/r1", HTTP_IF_MATCH=etag), 412, message)
    assert Record.objects.get(record_id="r1").items["a"] == 1
    assert editor.delete("/api/v1/sales/record/r1", HTTP_IF_MATCH=fresh).status_code == 200


def test_if_match_star_and_lists(editor, r1):
    assert (
        editor.send("PATCH", "/api/v1/sales/record/r1", {"a": 1}, HTTP_IF_MATCH="*").status_code
        == 200
    )
    etag = editor.get("/api/v1/sales/record/r1")["ETag"]
    assert (
        editor.send(
            "PATCH", "/api/v1/sales/record/r1", {"a": 2}, HTTP_IF_MATCH=f'"x", W/{etag}'
        ).status_code
        == 200
    )


# --- pagination -------------------------------------------------------------------------------


@pytest.fixture
def many(editor):
    editor.send("POST", "/api/v1/sales/records", [{"id": f"r{n:03}", "n": n} for n in range(25)])


def test_default_limit_and_next_link(editor, many, settings):
    response = editor.get("/api/v1/sales/records?limit=10")
    assert ids(response) == [f"r{n:03}" for n in range(10)]
    assert (
        response["Link"]
        == '<http://testserver/api/v1/sales/records?limit=10&after=r009>; rel="next"'
    )
    response = editor.get("/api/v1/sales/records/?limit=10&offset=20")
    assert ids(response) == [f"r{n:03}" for n in range(20, 25)]
    assert "Link" not in response


def test_keyset_pages_follow_the_link_to_the_end(editor, many):
    """`after=<id>`: the records after that one, in creation order (issue 12)."""
    seen, path = [], "/api/v1/sales/records?limit=10"
    while path:
        response = editor.get(path)
        seen += ids(response)
        link = response.get("Link")
        path = link[1 : link.index(">")] if link else None
    assert seen == [f"r{n:03}" for n in range(25)]
    assert ids(editor.get("/api/v1/sales/records?after=r020&offset=2")) == ["r023", "r024"]
    assert ids(editor.get("/api/v1/sales/records?after=r024")) == []


def test_keyset_after_a_deleted_or_unknown_record_is_400(editor, many):
    assert editor.delete("/api/v1/sales/record/r024").status_code == 200
    for after in ("r024", "nope"):
        assert_error(
            editor.get(f"/api/v1/sales/records?after={after}"),
            400,
            f"after: no record '{after}' in app 'sales' to page after; start again",
        )
    assert_error(
        editor.get("/api/v1/sales/records?after=a%20b"), 400, f"invalid record id 'a b': {ID_RULE}"
    )


def test_keyset_search_in_creation_order(editor, many):
    body = {"query": "id >= 'r003'", "limit": 10}
    first = editor.post_json("/api/v1/sales/search", body)
    assert ids(first) == [f"r{n:03}" for n in range(3, 13)]
    link = first["Link"]
    assert link == '<http://testserver/api/v1/sales/search?limit=10&after=r012>; rel="next"'
    second = editor.post_json(link[1 : link.index(">")], body)
    assert ids(second) == [f"r{n:03}" for n in range(13, 23)]
    backwards = editor.post_json(
        "/api/v1/sales/search", {"query": "id < 'r005'", "reverse": True, "after": "r003"}
    )
    assert ids(backwards) == ["r002", "r001", "r000"]
    assert_error(
        editor.post_json("/api/v1/sales/search", {"sort_index": "id", "after": "r003"}),
        400,
        "after pages in creation order: use offset with sort_index",
    )


def test_huge_offset_is_past_the_end(editor, many):
    assert ids(editor.get("/api/v1/sales/records?offset=" + "9" * 5000)) == []
    assert ids(editor.get("/api/v1/sales/records?offset=99999999999999999999")) == []
    assert ids(editor.send("POST", "/api/v1/sales/search", {"offset": 10**30})) == []


def test_broken_utf8_in_url_is_400(editor):
    assert_error(editor.get("/api/v1/sales/record/%FF"), 400, f"invalid record id '%FF': {ID_RULE}")


def test_exact_last_page_has_no_link(editor, many):
    response = editor.get("/api/v1/sales/records?limit=5&offset=20")
    assert len(ids(response)) == 5
    assert "Link" not in response
    assert ids(editor.get("/api/v1/sales/records?offset=25")) == []
    assert ids(editor.get("/api/v1/sales/records?offset=999")) == []


def test_limit_default_is_100_and_caps_at_1000(editor):
    editor.send("POST", "/api/v1/sales/records", [{"n": n} for n in range(1001)])
    response = editor.get("/api/v1/sales/records")
    assert len(response.json()) == 100
    assert (
        response["Link"]
        == f'<http://testserver/api/v1/sales/records?limit=100&after={ids(response)[-1]}>; rel="next"'
    )
    response = editor.get("/api/v1/sales/records?limit=5000")
    assert len(response.json()) == 1000
    assert (
        response["Link"]
        == f'<http://testserver/api/v1/sales/records?limit=1000&after={ids(response)[-1]}>; rel="next"'
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=0", "limit must be a positive integer, found '0'"),
        ("limit=-1", "limit must be a positive integer, found '-1'"),
        ("limit=abc", "limit must be a positive integer, found 'abc'"),
        ("limit=1.5", "limit must be a positive integer, found '1.5'"),
        ("limit=", "limit must be a positive integer, found ''"),
        ("offset=-1", "offset must be a whole number >= 0, found '-1'"),
        ("offset=x", "offset must be a whole number >= 0, found 'x'"),
        ("offset=%D9%A3", "offset must be a whole number >= 0, found '٣'"),
        ("limit=" + "x" * 50, "limit must be a positive integer, found '" + "x" * 40 + "…'"),
    ],
)
def test_bad_paging_is_400(editor, query, message):
    assert_error(editor.get(f"/api/v1/sales/records?{query}"), 400, message)


def test_search_limit_offset_sort(editor, many):
    body = {"query": "", "sort_index": "id", "reverse": True, "limit": 3, "offset": 1}
    assert ids(editor.send("POST", "/api/v1/sales/search", body)) == ["r023", "r022", "r021"]
    assert len(editor.send("POST", "/api/v1/sales/search", raw=b"").json()) == 25


def test_search_sorts_on_a_field_index(editor):
    editor.send(
        "POST",
        "/api/v1/sales/records",
        [{"id": "a", "price": 30}, {"id": "b", "price": 4}, {"id": "c", "price": 100}],
    )
    body = {"sort_index": "price"}
    assert ids(editor.send("POST", "/api/v1/sales/search", body)) == ["b", "a", "c"]
    assert ids(editor.send("POST", "/api/v1/sales/search", {**body, "reverse": True})) == [
        "c",
        "a",
        "b",
    ]


# --- CSRF on cookie-authenticated writes ------------------------------------------------------


def csrf_of(client):
    return client.get("/api/v1/sales")["X-CSRF-Token"]


def test_session_write_without_csrf_token_is_403(api_client, records_site):
    client = api_client("editor", enforce_csrf=True)
    client.get("/api/v1/sales")  # sets the CSRF cookie
    response = client.send("POST", "/api/v1/sales", {"id": "x"})
    assert_error(
        response, 403, "CSRF check failed: CSRF token missing; send the X-CSRF-Token header"
    )
    response = client.send("POST", "/api/v1/sales", {"id": "x"}, HTTP_X_CSRF_TOKEN="wrong" * 8)
    assert response.status_code == 403
    assert Record.objects.count() == 0


@pytest.mark.parametrize("header", ["HTTP_X_CSRF_TOKEN", "HTTP_X_CSRFTOKEN"])
def test_session_write_with_csrf_token_succeeds(api_client, records_site, header):
    client = api_client("editor", enforce_csrf=True)
    token = csrf_of(client)
    response = client.send("POST", "/api/v1/sales", {"id": "x"}, **{header: token})
    assert response.status_code == 201
    response = client.delete("/api/v1/sales/record/x", **{header: token})
    assert response.json() == {"success": "deleted"}


def test_reads_need_no_csrf_token(api_client, r1):
    client = api_client("editor", enforce_csrf=True)
    assert client.get("/api/v1/sales/record/r1").status_code == 200


def test_basic_and_anonymous_writes_need_no_csrf_token(api_client, users, r1):

    client = api_client(None, enforce_csrf=True)
    assert client.send("POST", "/api/v1/sales", {"id": "b"}, **basic("editor")).status_code == 201
    # anonymous: no session to ride on, so the answer is about rights, not CSRF
    response = client.send("POST", "/api/v1/public", {"x": 1})
    assert response.status_code == 401
    assert response.json() == {"error": "authentication required to create records of app 'public'"}


def test_a_deleted_and_re_created_id_does_not_match_an_old_tag(editor, r1):
    etag = editor.get("/api/v1/sales/record/r1")["ETag"]
    assert editor.delete("/api/v1/sales/record/r1").status_code == 200
    assert editor.send("PUT", "/api/v1/sales/record/r1", {}).status_code == 201
    assert_error(
        editor.send("PATCH", "/api/v1/sales/record/r1", {"a": 1}, HTTP_IF_MATCH=etag),
        412,
        f"record 'r1' has changed: If-Match {etag} but its ETag is "
        f"{editor.get('/api/v1/sales/record/r1')['ETag']}; read it again",
    )


def test_an_etag_is_opaque(editor, r1, make_record):
    """It tells nothing of the primary key (how much is written in other apps) nor of the
    version (how often the record was written): a keyed HMAC (contract §7, issue 10)."""
    make_record("public", "elsewhere")
    for _ in range(3):
        editor.send("PATCH", "/api/v1/sales/record/r1", {"a": 1})
    record = Record.objects.get(app_id="sales", record_id="r1")
    etag = editor.get("/api/v1/sales/record/r1")["ETag"]
    assert (record.version, len(etag)) == (4, 26)
    assert etag.strip('"').isalnum() and "." not in etag
    assert etag not in (f'"{record.pk}.{record.version}"', f'"{record.pk}"', '"4"')
    assert record.etag == etag
    with override_settings(SECRET_KEY="another-secret-key-for-this-test-only"):
        assert record.etag != etag  # keyed: not an encoding a client could undo
    editor.send("PATCH", "/api/v1/sales/record/r1", {"a": 2})
    assert_error(
        editor.send("PATCH", "/api/v1/sales/record/r1", {"a": 3}, HTTP_IF_MATCH=etag),
        412,
        f"record 'r1' has changed: If-Match {etag} but its ETag is "
        f"{editor.get('/api/v1/sales/record/r1')['ETag']}; read it again",
    )
    assert Record.objects.get(app_id="sales", record_id="r1").items["a"] == 2


# --- size and load (contract §7) --------------------------------------------------------------


def test_a_bulk_create_of_more_than_10000_records_is_400_and_writes_nothing(editor, r1):
    from api.views import MAX_BULK_RECORDS

    assert MAX_BULK_RECORDS == 10_000
    raw = "[" + ",".join(["{}"] * 10_001) + "]"  # 30 KB: the attack of issue 10 was 20,000
    assert_error(
        editor.send("POST", "/api/v1/sales/records", raw=raw),
        400,
        "a bulk create takes at most 10000 records, found 10001: send them in several requests",
    )
    assert snapshot() == [("sales", "r1", {"title": "one", "_author": "author"}, 1)]


def test_a_bulk_create_takes_up_to_the_limit(editor, monkeypatch):
    from api import views

    monkeypatch.setattr(views, "MAX_BULK_RECORDS", 3)
    response = editor.send("POST", "/api/v1/sales/records", [{}, {}, {}])
    assert (response.status_code, response.json()) == (201, {"success": "created", "total": 3})
    assert_error(
        editor.send("POST", "/api/v1/sales/records", [{}] * 4),
        400,
        "a bulk create takes at most 3 records, found 4: send them in several requests",
    )
    assert Record.objects.count() == 3


@pytest.fixture
def owned_sales(records_site):
    from tests.sites import SALES_ACL

    records_site.write("apps/sales/settings.yaml", SALES_ACL + "  row_owners: [salesman, team]\n")
    return records_site


def test_an_owner_item_holds_at_most_100_values(editor, owned_sales, r1):
    from records.ownership.models import RecordOwner

    too_many = [f"user{n}" for n in range(101)]
    message = "item 'team': an owner item holds at most 100 values, found 101"
    before, owners = snapshot(), RecordOwner.objects.count()
    for method, path, body in (
        ("POST", "/api/v1/sales", {"team": too_many}),
        ("PUT", "/api/v1/sales/record/new", {"team": too_many}),
        ("PATCH", "/api/v1/sales/record/r1", {"team": too_many}),
        ("POST", "/api/v1/sales/record/r1", {"salesman": "bob", "team": too_many}),
    ):
        assert_error(editor.send(method, path, body), 400, message)
    assert_error(
        editor.send("POST", "/api/v1/sales/records", [{"id": "a"}, {"team": too_many}]),
        400,
        f"record 1: {message}",
    )
    assert (snapshot(), RecordOwner.objects.count()) == (before, owners)
    # at the limit: accepted, one owner row per value
    response = editor.send("PATCH", "/api/v1/sales/record/r1", {"team": too_many[:100]})
    assert response.status_code == 200
    assert RecordOwner.objects.filter(record__record_id="r1", item="team").count() == 100
    # an item outside `row_owners` is free
    assert editor.send("PATCH", "/api/v1/sales/record/r1", {"tags": too_many}).status_code == 200


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("anything", "'anything'"),
        ("", "''"),
        (["order"], "a list"),
        (None, "null"),
        (3, "a number"),
    ],
)
def test_a_clients_block_item_must_name_a_block_of_the_app(editor, r1, value, found):
    message = f"item 'block' must name a block of app 'sales' (order, secret), found {found}"
    before = snapshot()
    for method, path, body in (
        ("POST", "/api/v1/sales", {"block": value}),
        ("PUT", "/api/v1/sales/record/new", {"block": value}),
        ("PATCH", "/api/v1/sales/record/r1", {"block": value}),
    ):
        assert_error(editor.send(method, path, body), 400, message)
    assert_error(
        editor.send("POST", "/api/v1/sales/records", [{}, {"block": value}]),
        400,
        f"record 1: {message}",
    )
    assert snapshot() == before


def test_a_block_item_naming_a_block_is_stored_and_mirrored(editor, r1):
    assert editor.send("PUT", "/api/v1/sales/record/o", {"block": "order"}).status_code == 201
    assert editor.send("PATCH", "/api/v1/sales/record/o", {"block": "order"}).status_code == 200
    # set at create only (web/tests/test_forms.py: an update may not change it)
    assert_error(
        editor.send("PATCH", "/api/v1/sales/record/r1", {"block": "order"}),
        400,
        "the block item cannot change: record 'r1' was created without a block",
    )
    stamped = {r.record_id: (r.items.get("block"), r.block_id) for r in Record.objects.all()}
    assert stamped == {"o": ("order", "order"), "r1": (None, "")}


@pytest.mark.parametrize("path", ["/api/v1/sales/records", "/api/v1/sales/records?after=r002"])
def test_a_deep_offset_finds_its_page_by_keys_first_with_the_same_answer(
    editor, many, monkeypatch, path
):
    from records import selectors

    join = "&" if "?" in path else "?"
    pages = [ids(editor.get(f"{path}{join}limit=4&offset={o}")) for o in (0, 3, 19, 30)]
    monkeypatch.setattr(selectors, "DEFERRED_OFFSET", 1)
    assert [ids(editor.get(f"{path}{join}limit=4&offset={o}")) for o in (0, 3, 19, 30)] == pages
    sorted_body = {"sort_index": "id", "reverse": True, "limit": 3, "offset": 5}
    assert ids(editor.post_json("/api/v1/sales/search", sorted_body)) == ["r019", "r018", "r017"]


@pytest.mark.parametrize("search", [False, True], ids=["records", "search"])
def test_keyset_after_a_hidden_record_answers_as_an_unknown_id(
    api_client, owned_app, make_record, search
):
    # r1 and r3 are the author's; r2 (between them) is someone else's, hidden by row_owners.
    for n, owner in ((1, "author"), (2, "author2"), (3, "author")):
        make_record("owned", f"r{n}", {"salesman": owner, "amount": n})
    author = api_client("author")

    def page_after(after):
        if search:
            return author.post_json(f"/api/v1/owned/search?after={after}", {})
        return author.get(f"/api/v1/owned/records?after={after}")

    assert ids(page_after("r1")) == ["r3"]
    for after in ("r2", "nope"):
        assert_error(
            page_after(after),
            400,
            f"after: no record '{after}' in app 'owned' to page after; start again",
        )


@pytest.mark.parametrize("offset", ["-22:31", "+23:59", "+15:59"])
def test_a_datetime_with_any_offset_python_takes_is_stored_not_a_500(
    site_dir, api_client, user_factory, offset
):
    """PostgreSQL refuses a UTC offset beyond 15:59; Python's ISO parser takes up to 23:59. A
    field-indexed DATETIME is indexed as the same instant in UTC (the fuzzer's 500)."""
    site_dir.write("apps/diary/settings.yaml", "acl:\n  rights:\n    author: [authenticated]\n")
    site_dir.write(
        "apps/diary/blocks/entry.yaml",
        "elements:\n  at: {type: DATETIME, index_type: field}\n",
    )
    client = api_client(user_factory("ann"))
    moment = f"0169-01-12T09:30:27.2473{offset}"
    created = client.post_json("/api/v1/diary", {"at": moment})
    assert created.status_code == 201, created.content
    found = client.post_json("/api/v1/diary/search", {"query": "at > '0100-01-01'"})
    assert [row["items"]["at"] for row in found.json()] == [moment]


DATETIME_TAKES = (
    "type: DATETIME takes an RFC 3339 date and time with its UTC offset such as "
    "'2026-07-01T18:00:00+02:00'"
)


@pytest.mark.parametrize(
    "sent",
    [
        "2026-01-01T10:00",  # no offset: which instant is meant is not known
        "2026-01-01T10:00:00",
        "2026-01-01 10:00:00+02:00",  # a space
        "2026-01-01T10:00+02:00",  # no seconds
        "2026-01-01",  # a day alone
        "2026-01-01T10:00:00+0200",  # an offset without its colon
    ],
)
def test_a_datetime_that_is_not_rfc_3339_is_a_400_naming_the_item(
    site_dir, api_client, user_factory, sent
):
    """The description says `format: date-time` (RFC 3339); the server takes the same values and
    refuses the rest with the item's name, rather than storing them as sent (issue 22)."""
    site_dir.write("apps/diary/settings.yaml", "acl:\n  rights:\n    author: [authenticated]\n")
    site_dir.write("apps/diary/blocks/entry.yaml", "elements:\n  at: {type: DATETIME}\n")
    client = api_client(user_factory("ann"))
    assert_error(
        client.post_json("/api/v1/diary", {"at": sent}),
        400,
        f"item 'at': {DATETIME_TAKES}, found a string {sent!r}",
    )
    assert not Record.objects.exists()


@pytest.mark.parametrize(
    "sent", ["2026-01-01T10:00:00Z", "2026-01-01t10:00:00.5z", "2026-01-01T10:00:00-05:30"]
)
def test_an_rfc_3339_datetime_is_stored_and_answered_as_sent(
    site_dir, api_client, user_factory, sent
):
    site_dir.write("apps/diary/settings.yaml", "acl:\n  rights:\n    author: [authenticated]\n")
    site_dir.write("apps/diary/blocks/entry.yaml", "elements:\n  at: {type: DATETIME}\n")
    client = api_client(user_factory("ann"))
    created = client.post_json("/api/v1/diary", {"id": "e1", "at": sent})
    assert created.status_code == 201, created.content
    assert client.get("/api/v1/diary/record/e1").json()["at"] == sent
