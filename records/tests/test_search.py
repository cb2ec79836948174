"""Search and indexes through the JSON API (contract §4 "Search queries", `index_type`, refresh).

Runs on both engines (`make test-sqlite`, `make test-postgres`): text search is FTS5 on SQLite
and a tsvector with GIN on PostgreSQL, behind the same queries.
"""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from records import validation
from records.models import IndexEntry, IndexText, Record
from site_model.loader import current_site
from tests.helpers import assert_error, ids

pytestmark = pytest.mark.django_db

SHOP_ACL = """
acl:
  rights:
    reader: [readers]
    author: [authors]
    editor: [editors]
    manager: [managers]
  row_owners: [seller]
"""

ITEM_BLOCK = """
elements:
  name: {type: TEXT, index_type: field}
  title: {type: TEXT, index_type: text}
  price: {type: NUMBER, index_type: field}
  due: {type: DATETIME, index_type: field}
  tag: {type: TEXT, index_type: field}
  note: TEXT
"""

# Creation order is the default order of results: a, b, c, d, e, f.
ITEMS = [
    {
        "id": "a",
        "name": "alpha",
        "title": "Lord Jim and the sea",
        "price": 10,
        "due": "2024-05-01T10:00:00Z",
        "tag": ["x", "y"],
    },
    {
        "id": "b",
        "name": "beta",
        "title": "Heart of Darkness",
        "price": 15.5,
        "due": "2024-05-02",
        "tag": "y",
    },
    {
        "id": "c",
        "name": "gamma",
        "title": "lord of the FLIES",
        "price": 20,
        "due": "2024-04-30T20:00:00-02:00",  # 22:00 UTC, still April 30
    },
    {"id": "d", "name": "delta", "price": "n/a", "tag": []},  # no title, no due, price not a number
    {"id": "e"},  # no item at all
    {"id": "f", "name": "phi", "price": "12", "note": "lord"},  # a numeric string (form post)
]
ALL = ["a", "b", "c", "d", "e", "f"]


@pytest.fixture
def shop(records_site):
    records_site.write("apps/shop/settings.yaml", SHOP_ACL)
    records_site.write("apps/shop/blocks/item.yaml", ITEM_BLOCK)
    return records_site


@pytest.fixture
def editor(api_client, shop):
    return api_client("editor")


@pytest.fixture
def items(editor, monkeypatch):
    # Records "d" and "f" hold what their elements now refuse ("n/a", "12" as a price): data
    # written before the rules (or by an older version of the site). Search must cope with it.
    monkeypatch.setattr(validation, "check_items", lambda **kwargs: None)
    response = editor.post_json("/api/v1/shop/records", ITEMS)
    assert response.status_code == 201, response.content
    return ITEMS


def search(client, body=None, path="/api/v1/shop/search"):
    return client.post_json(path, body)


# --- every query form ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # empty: every record
        ("", ALL),
        ("   ", ALL),
        # comparisons on a NUMBER index; "n/a" and absent prices fail every comparison
        ("price == 10", ["a"]),
        ("price == 12", ["f"]),
        ("price > 10", ["b", "c", "f"]),
        ("price >= 15.5", ["b", "c"]),
        ("price < 15.5", ["a", "f"]),
        ("price <= 10", ["a"]),
        ("price > -1.5", ["a", "b", "c", "f"]),
        ("10 < price", ["b", "c", "f"]),  # the literal on the left
        ("10 <= price < 20", ["a", "b", "f"]),  # a chain
        ("price >= 10 and price < 20", ["a", "b", "f"]),
        # not / != keep the records without the item
        ("price != 10", ["b", "c", "d", "e", "f"]),
        ("not (price == 10)", ["b", "c", "d", "e", "f"]),
        ("not price > 10", ["a", "d", "e"]),
        ("price == 10 or name == 'gamma'", ["a", "c"]),
        ("(price == 10 or price == 20) and not (name == 'gamma')", ["a"]),
        # TEXT field index: exact and ordered strings
        ("name == 'beta'", ["b"]),
        ("name == 'Beta'", []),
        ("name < 'c'", ["a", "b"]),
        ("name in any(['alpha', 'gamma', 'zeta'])", ["a", "c"]),
        ("name not in any(['alpha'])", ["b", "c", "d", "e", "f"]),
        # a list item: each element is a value
        ("tag == 'y'", ["a", "b"]),
        ("tag == 'x'", ["a"]),
        ("tag in any(['x', 'y'])", ["a", "b"]),
        ("tag != 'x'", ["b", "c", "d", "e", "f"]),
        # the record's id
        ("id == 'b'", ["b"]),
        ("id in any(['a', 'e', 'zz'])", ["a", "e"]),
        ("id > 'c'", ["d", "e", "f"]),
        # text index: every word, any order, case-insensitive, punctuation ignored
        ("'lord' in title", ["a", "c"]),
        ("'LORD jim' in title", ["a"]),
        ("'jim lord' in title", ["a"]),
        ("'Lord, Jim!' in title", ["a"]),
        ("'lord sea' in title", ["a"]),
        ("'flies' in title", ["c"]),
        ("'lord darkness' in title", []),
        ("'lor' in title", []),  # words, not prefixes
        ("'lord' not in title", ["b", "d", "e", "f"]),
        ("'lord' in title and price > 15", ["c"]),
        ("'darkness' in title or tag == 'x'", ["a", "b"]),
        # DATETIME: instants in UTC; a date alone is the whole day
        ("due == '2024-05-01'", ["a"]),
        ("due == '2024-04-30'", ["c"]),
        ("due < '2024-05-01'", ["c"]),
        ("due <= '2024-05-01'", ["a", "c"]),
        ("due > '2024-05-01'", ["b"]),
        ("due >= '2024-05-01'", ["a", "b"]),
        ("due == '2024-04-30T22:00:00Z'", ["c"]),
        ("due == '2024-04-30T20:00:00-02:00'", ["c"]),
        ("due > '2024-05-01T09:00:00+00:00'", ["a", "b"]),
        ("due > '2024-05-01T11:00:00+02:00'", ["a", "b"]),  # 09:00 UTC
        ("due >= '2024-05-01T10:00'", ["a", "b"]),  # no offset: UTC
        ("not (due == '2024-05-01')", ["b", "c", "d", "e", "f"]),
        # several lines
        ("price > 10\n and name == 'beta'", ["b"]),
    ],
)
def test_query_forms(editor, items, query, expected):
    assert ids(search(editor, {"query": query})) == expected


def test_missing_or_null_query_matches_every_record(editor, items):
    assert ids(search(editor)) == ALL
    assert ids(search(editor, {})) == ALL
    assert ids(search(editor, {"query": None})) == ALL


def test_answer_is_a_list_like_records(editor, items):
    response = search(editor, {"query": "id == 'b'"})
    assert response.json() == [
        {
            "id": "b",
            "path": "http://testserver/api/v1/shop/record/b",
            "items": {
                "id": "b",
                "_author": "editor",
                "name": "beta",
                "title": "Heart of Darkness",
                "price": 15.5,
                "due": "2024-05-02",
                "tag": "y",
            },
        }
    ]
    assert "Link" not in response


# --- sorting ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort_index", "reverse", "expected"),
    [
        # records without a value last either way, then creation order (reversed with reverse)
        ("price", False, ["a", "f", "b", "c", "d", "e"]),
        ("price", True, ["c", "b", "f", "a", "e", "d"]),
        ("name", False, ["a", "b", "d", "c", "f", "e"]),
        ("name", True, ["f", "c", "d", "b", "a", "e"]),
        ("due", False, ["c", "a", "b", "d", "e", "f"]),
        ("due", True, ["b", "a", "c", "f", "e", "d"]),
        ("id", False, ALL),
        ("id", True, ALL[::-1]),
        (None, True, ALL[::-1]),
        ("", False, ALL),
    ],
)
def test_sort_index_and_reverse(editor, items, sort_index, reverse, expected):
    body = {"sort_index": sort_index, "reverse": reverse}
    assert ids(search(editor, body)) == expected


def test_a_list_sorts_by_its_first_value(editor, items):
    # a list sorts by its smallest value: a's tags x and y sort as x, b's as y
    assert ids(search(editor, {"query": "tag == 'y'", "sort_index": "tag"})) == ["a", "b"]
    body = {"query": "tag == 'y'", "sort_index": "tag", "reverse": True}
    assert ids(search(editor, body)) == ["b", "a"]


def test_query_and_sort_together(editor, items):
    body = {"query": "price > 10", "sort_index": "price", "reverse": True}
    assert ids(search(editor, body)) == ["c", "b", "f"]


@pytest.mark.parametrize(
    ("sort_index", "message"),
    [
        (
            "title",
            "sort_index 'title' is a text index; sort on a field index: due, id, name, price, tag",
        ),
        (
            "note",
            "unknown sort_index 'note'; field indexes of this app: due, id, name, price, tag",
        ),
        ("nope", "unknown sort_index 'nope'; field indexes of this app: due, id, name, price, tag"),
    ],
)
def test_sorting_on_no_field_index_is_400(editor, items, sort_index, message):
    assert_error(search(editor, {"sort_index": sort_index}), 400, message)


# --- pagination of results ----------------------------------------------------------------------


def test_pages_of_results_follow_the_link(editor):
    editor.post_json("/api/v1/shop/records", [{"id": f"p{n:02}", "price": n} for n in range(25)])
    body = {"query": "price >= 3", "sort_index": "price", "reverse": True, "limit": 10}
    first = search(editor, body)
    assert ids(first) == [f"p{n:02}" for n in range(24, 14, -1)]
    link = first["Link"]
    assert link == '<http://testserver/api/v1/shop/search?limit=10&offset=10>; rel="next"'
    # the client sends the same body to the link: the URL's limit and offset win
    second = search(editor, body, path=link[1 : link.index(">")])
    assert ids(second) == [f"p{n:02}" for n in range(14, 4, -1)]
    assert second["Link"] == '<http://testserver/api/v1/shop/search?limit=10&offset=20>; rel="next"'
    third = search(editor, {**body, "offset": 20})
    assert ids(third) == ["p04", "p03"]
    assert "Link" not in third
    assert ids(search(editor, {**body, "offset": 22})) == []
    assert_error(
        search(editor, body, path="/api/v1/shop/search?offset=-3"),
        400,
        "offset must be a whole number >= 0, found '-3'",
    )


# --- malformed and hostile queries: all 400, none evaluated -------------------------------------

HOSTILE = [
    (
        "__import__('os').system('touch pwned')",
        "calls other than any([...]) are not allowed: __import__('os').system('touch pwned')",
    ),
    ("open('/etc/passwd')", "calls other than any([...]) are not allowed: open('/etc/passwd')"),
    ("price.__class__", "attribute access is not allowed: price.__class__"),
    (
        "price.__class__.__mro__[1].__subclasses__() == 1",
        "calls other than any([...]) are not allowed: price.__class__.__mro__[1].__subclasses__()",
    ),
    ("name[0] == 'a'", "subscripts are not allowed: name[0]"),
    ("[x for x in name]", "comprehensions are not allowed: [x for x in name]"),
    ("price == (lambda: 1)", "lambda is not allowed: lambda: 1"),
    ("(lambda: 1)() == 1", "calls other than any([...]) are not allowed: (lambda: 1)()"),
    ("f'{name}' == 'a'", "f-strings are not allowed: f'{name}'"),
    ("(y := 1) == 1", "assignment expressions (:=) are not allowed: y := 1"),
    (
        "price == 1 if name else 2",
        "conditional expressions are not allowed: price == 1 if name else 2",
    ),
    ("price == 2**64", "arithmetic is not allowed: 2**64"),
    ("~price == 1", "the operator ~ is not allowed: ~price"),
    ("name == {'a': 1}", "dicts are not allowed: {'a': 1}"),
    ("price is None", "`is` is not allowed: use == or !="),
    ("price == True", "only strings and numbers are allowed as values, not True"),
    ("price == 1; import os", "the query does not parse at column 11: invalid syntax"),
    ("price = 1", "the query does not parse at column 7: invalid syntax"),
    ("name == 'a' or", "the query does not parse: invalid syntax"),
    ("not " * 40 + "price == 1", "the query is nested too deeply: at most 32 levels"),
    ("price == " + "9" * 5000, "a number in the query is too large: at most 9007199254740992"),
    ("price == 1e999", "the number is out of range: 1e999"),
    ("price == 1" + " " * 10_000, "the query is too long: 10010 characters, at most 10000"),
    (
        "name == '" + "a" * 1001 + "'",
        "a string in the query is too long: 1001 characters, at most 1000",
    ),
    # well-formed Python, but not a query of this app
    ("price", "a name alone is not a condition: price; compare it, e.g. price == 'value'"),
    ("1 == 1", "a comparison needs an index name on one side: 1 == 1"),
    (
        "price == price",
        "comparing two indexes is not supported: price == price; compare an index with a value",
    ),
    ("nope == 1", "unknown index 'nope'; indexes of this app: due, id, name, price, tag, title"),
    ("note == 'x'", "unknown index 'note'; indexes of this app: due, id, name, price, tag, title"),
    ("title == 'x'", "title is a text index: search it with 'words' in title, not title == ..."),
    (
        "'x' in price",
        "price is a field index: `'words' in price` needs a text index; "
        "use price == 'value' or price in any(['a', 'b'])",
    ),
    ("price == 'a'", "price is a NUMBER index: compare it with a number, not 'a'"),
    (
        "due == 'yesterday'",
        "due is a DATETIME index: 'yesterday' is not an ISO 8601 date such as '2024-05-01' "
        "or '2024-05-01T13:30:00Z'",
    ),
    ("name in ['a']", "`in` needs a text index or any([...]) on its right: ['a']"),
]


@pytest.mark.parametrize(("query", "message"), HOSTILE)
def test_malformed_and_hostile_queries_are_400(
    editor, items, query, message, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    before = sorted(IndexEntry.objects.values_list("record_id", "index", "value_text"))
    assert_error(search(editor, {"query": query}), 400, message)
    assert not (tmp_path / "pwned").exists()
    assert sorted(IndexEntry.objects.values_list("record_id", "index", "value_text")) == before


def test_absurd_nesting_is_400(editor, items):
    response = search(editor, {"query": "(" * 300 + "price == 1" + ")" * 300})
    assert response.status_code == 400
    assert response.json()["error"].startswith("the query ")


def test_values_are_data_not_sql(editor, items):
    for hostile in ["x' OR '1'='1", 'x" OR 1=1 --', "'; DROP TABLE records_record; --"]:
        assert ids(search(editor, {"query": f"name == {hostile!r}"})) == []
        assert ids(search(editor, {"query": f"{hostile!r} in title"})) == []
    assert Record.objects.filter(app_id="shop").count() == 6


def test_fts_operators_are_words(editor, items):
    # FTS5 / tsquery syntax in the words is just text: no OR, NOT, prefix or column filter
    assert ids(search(editor, {"query": "'lord OR darkness' in title"})) == []
    assert ids(search(editor, {"query": "'lord NOT jim' in title"})) == []
    assert ids(search(editor, {"query": "'lor*' in title"})) == []
    assert ids(search(editor, {"query": "'title:lord' in title"})) == []
    assert ids(search(editor, {"query": "'lord & !jim' in title"})) == ["a"]
    assert_error(
        search(editor, {"query": "'...' in title"}), 400, "no words to search for in '...'"
    )


# --- index maintenance: create, save, delete, reindex -------------------------------------------


def test_save_rewrites_the_entries(editor, items):
    response = editor.patch(
        "/api/v1/shop/record/a",
        json.dumps({"price": 99, "title": "Nostromo"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert ids(search(editor, {"query": "price == 10"})) == []
    assert ids(search(editor, {"query": "price == 99"})) == ["a"]
    assert ids(search(editor, {"query": "'jim' in title"})) == []
    assert ids(search(editor, {"query": "'nostromo' in title"})) == ["a"]


def test_delete_removes_the_entries(editor, items):
    pk = Record.objects.get(app_id="shop", record_id="a").pk
    assert IndexEntry.objects.filter(record_id=pk).count() == 5  # name, price, due, 2 tags
    assert IndexText.objects.filter(record_id=pk).count() == 1
    assert editor.delete("/api/v1/shop/record/a").status_code == 200
    assert not IndexEntry.objects.filter(record_id=pk).exists()
    assert not IndexText.objects.filter(record_id=pk).exists()
    assert ids(search(editor, {"query": "'lord' in title"})) == ["c"]
    assert editor.delete("/api/v1/shop/records").status_code == 200
    assert not IndexEntry.objects.filter(app_id="shop").exists()
    assert not IndexText.objects.filter(app_id="shop").exists()
    assert ids(search(editor, {"query": "'lord' in title"})) == []


def test_a_refused_bulk_create_leaves_no_entries(editor, items):
    before = IndexEntry.objects.count(), IndexText.objects.count()
    response = editor.post_json(
        "/api/v1/shop/records", [{"id": "new", "title": "fresh"}, {"id": "a"}]
    )
    assert response.status_code == 409
    assert (IndexEntry.objects.count(), IndexText.objects.count()) == before
    assert ids(search(editor, {"query": "'fresh' in title"})) == []


def test_block_code_search_and_reindex(shop, api_client, items):
    shop.write("apps/shop/blocks/runner.yaml", "elements:\n  run: ACTION\n")
    shop.write(
        "apps/shop/blocks/runner.py",
        """
        from records.query import QueryError
        from records import rls
        from records.models import Record

        OUT = {}

        def run(context):
            app = context.app
            OUT["search"] = [r.id for r in app.search("price > 10", sort_index="price", reverse=True)]
            OUT["words"] = [r.id for r in app.search("'lord' in title")]
            OUT["secure"] = [r.id for r in app.search("price > 10", secure=True)]
            try:
                app.search("price.__class__")
            except QueryError as exc:
                OUT["error"] = str(exc)
            # items written behind the store's back are found after reindex(); on PostgreSQL
            # the code's own SQL runs as the visitor, so it writes as the server (§12)
            with rls.trusted():
                Record.objects.filter(app_id="shop", record_id="e").update(items={"price": 500})
            OUT["before"] = [r.id for r in app.search("price == 500")]
            app.get_record("e").reindex()
            OUT["after"] = [r.id for r in app.search("price == 500")]
        """,
    )
    api_client("reader").post("/apps/shop/blocks/runner/", {"run": "1"})
    out = current_site().block("shop", "runner").code.OUT
    assert out == {
        "search": ["c", "b", "f"],
        "words": ["a", "c"],
        # row_owners: a reader who owns nothing reads nothing
        "secure": [],
        "error": "attribute access is not allowed: price.__class__",
        "before": [],
        "after": ["e"],
    }


# --- the visitor's rights stay combined with the query ------------------------------------------


def test_search_applies_row_level_security(api_client, shop, make_record, users):
    make_record("shop", "mine", {"price": 1, "title": "lord"}, author=users["author"])
    make_record("shop", "theirs", {"price": 3, "title": "lord"}, author=users["author2"])
    author = api_client("author")
    assert ids(search(author, {"query": "price > 0"})) == ["mine"]
    assert ids(search(author, {"query": "'lord' in title"})) == ["mine"]
    assert ids(search(author, {"query": "price == 3"})) == []
    assert ids(search(api_client("author2"), {"query": "price > 0"})) == ["theirs"]
    assert ids(search(api_client("editor"), {"query": "price > 0"})) == ["mine", "theirs"]
    assert_error(
        search(api_client(), {"query": "price > 0"}),
        401,
        "authentication required to view records of app 'shop'",
    )
    assert_error(
        search(api_client("stranger"), {"query": "price > 0"}),
        403,
        "you may not view records of app 'shop'",
    )


# --- refresh ------------------------------------------------------------------------------------


def test_refresh_declares_new_indexes_and_drops_old_ones(shop, api_client, items):
    manager = api_client("manager")
    shop.write(
        "apps/shop/blocks/item.yaml",
        ITEM_BLOCK.replace("note: TEXT", "note: {type: TEXT, index_type: text}").replace(
            "  tag: {type: TEXT, index_type: field}\n", ""
        ),
    )
    # declared, not yet indexed: the records written before say nothing
    assert ids(search(manager, {"query": "'lord' in note"})) == []
    response = manager.post_json("/api/v1/shop/refresh")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "success": "refresh",
        "indexes": ["due", "id", "name", "note", "price", "title"],
    }
    assert ids(search(manager, {"query": "'lord' in note"})) == ["f"]
    assert not IndexEntry.objects.filter(app_id="shop", index="tag").exists()
    assert_error(
        search(manager, {"query": "tag == 'y'"}),
        400,
        "unknown index 'tag'; indexes of this app: due, id, name, note, price, title",
    )
    # the other indexes are intact
    assert ids(search(manager, {"query": "price > 10 and 'lord' in title"})) == ["c"]


def test_refresh_other_apps_untouched(shop, api_client, items, make_record):
    make_record("sales", "s1", {"title": "lord", "price": 3})
    before = sorted(IndexEntry.objects.filter(app_id="sales").values_list("index", "value_number"))
    assert api_client("manager").post_json("/api/v1/shop/refresh").status_code == 200
    after = sorted(IndexEntry.objects.filter(app_id="sales").values_list("index", "value_number"))
    assert after == before == [("price", 3.0)]


@pytest.mark.parametrize(
    ("who", "status", "message"),
    [
        (None, 401, "authentication required to manage records of app 'shop'"),
        ("stranger", 403, "you may not manage records of app 'shop'"),
        ("reader", 403, "you may not manage records of app 'shop'"),
        ("author", 403, "you may not manage records of app 'shop'"),
        ("editor", 403, "you may not manage records of app 'shop'"),
        ("manager", 200, None),
        ("root", 200, None),
    ],
)
def test_refresh_rights(api_client, items, who, status, message):
    IndexEntry.objects.filter(app_id="shop").delete()
    response = api_client(who).post_json("/api/v1/shop/refresh")
    if message is not None:
        assert_error(response, status, message)
        assert not IndexEntry.objects.filter(app_id="shop").exists()
    else:
        assert response.status_code == 200
        assert response.json()["indexes"] == ["due", "id", "name", "price", "tag", "title"]
        assert IndexEntry.objects.filter(app_id="shop").count() == 16


def test_refresh_unknown_app_is_404(api_client, shop):
    assert_error(api_client("root").post_json("/api/v1/nope/refresh"), 404, "no app 'nope'")


def test_refresh_app_command(shop, items, settings):
    IndexEntry.objects.filter(app_id="shop").delete()
    IndexText.objects.filter(app_id="shop").delete()
    out, err = StringIO(), StringIO()
    call_command("refresh_app", "shop", stdout=out, stderr=err)
    assert out.getvalue() == "refreshed app 'shop': indexes due, id, name, price, tag, title\n"
    assert err.getvalue() == "[" + "#" * 30 + "] 6/6 records\n"
    assert IndexEntry.objects.filter(app_id="shop").count() == 16
    assert IndexText.objects.filter(app_id="shop").count() == 3


def test_refresh_app_command_shows_progress_by_batch(shop, items, monkeypatch):
    from records import indexing

    monkeypatch.setattr(indexing, "REFRESH_BATCH", 4)
    err = StringIO()
    call_command("refresh_app", "shop", stdout=StringIO(), stderr=err)
    assert err.getvalue() == (
        "[" + "#" * 20 + "-" * 10 + "] 4/6 records\n[" + "#" * 30 + "] 6/6 records\n"
    )


def test_refresh_app_command_unknown_app(shop):
    with pytest.raises(CommandError) as caught:
        call_command("refresh_app", "nope", stdout=StringIO(), stderr=StringIO())
    assert str(caught.value) == "no app 'nope' in the site; apps: open, public, sales, shop"


# --- plans: a broad query walks the records in page order (issue 12) ---------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"query": "price >= 3"},
        {"query": "price >= 3", "reverse": True},
        {"query": "price >= 3", "offset": 4},
        {"query": "price >= 3", "after": "p05"},
        {"query": "price >= 3", "after": "p20", "reverse": True},
        {"query": "not (price == 7) and price < 20"},
        {"query": "price > 100 or price < 2"},
        {"query": "price >= 3 and 'lot' in title"},
        {"query": "price >= 12"},  # matches start past the walked window: IN answers
    ],
)
@pytest.mark.parametrize("window", [1, 4, 100])
def test_a_walked_page_is_the_page_in_would_give(editor, monkeypatch, body, window):
    from records import selectors

    editor.post_json(
        "/api/v1/shop/records",
        [{"id": f"p{n:02}", "price": n, "title": "lot" if n % 3 else "other"} for n in range(25)],
    )
    body = {**body, "limit": 5}
    monkeypatch.setattr(selectors, "WALK_MAX", 0)  # never walk: IN
    expected = search(editor, body)
    monkeypatch.setattr(selectors, "WALK_MAX", 2000)
    monkeypatch.setattr(selectors, "WALK_WINDOW", window)
    walked = search(editor, body)
    assert ids(walked) == ids(expected)
    assert walked.get("Link") == expected.get("Link")
