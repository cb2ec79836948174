"""`?fields=` on lists and searches: on every row of a page, what a single read with the same
`fields` answers; never a row or an item the full answer does not hold."""

from urllib.parse import quote

import pytest

from tests.helpers import assert_error, ids

pytestmark = pytest.mark.django_db

# Each as the single read takes it: known names, spaces, unknown names (ignored), none at all,
# the server's `_author`, `id` (always there anyway), and the listing's own keys.
FIELDS = [
    "n",
    "n,title",
    " title , n ",
    "n,nope",
    "nope",
    "",
    "_author",
    "id",
    "id,n",
    "path,items",
]


@pytest.fixture
def many(editor, users):
    rows = [{"id": f"r{n:03}", "n": n, "title": f"t{n}", "price": n % 7} for n in range(25)]
    assert editor.send("POST", "/api/v1/sales/records", rows).status_code == 201


@pytest.fixture
def owned(owned_app, make_record, users, api_client):
    """App `owned` under row-level security: the reader's sale, another's, and another's
    shared with the reader."""
    author = users["author"]
    make_record("owned", "mine", {"salesman": "reader", "amount": 1, "note": "a"}, author=author)
    make_record("owned", "theirs", {"salesman": "author", "amount": 2, "note": "b"}, author=author)
    make_record("owned", "lent", {"salesman": "author", "amount": 3, "secret": "c"}, author=author)
    share = {"principal": "reader", "permissions": ["view"]}
    shared = api_client("author").post_json("/api/v1/owned/record/lent/share", share)
    assert shared.status_code == 200, shared.content


def single_read(client, app_id, record_id, fields):
    response = client.get(f"/api/v1/{app_id}/record/{record_id}?fields={quote(fields)}")
    assert response.status_code == 200, response.content
    return response.json()


def assert_rows_read_singly(client, app_id, rows, fields):
    """Each row: its id, its path, and the items a single read with `fields` answers, `id`
    first."""
    for row in rows:
        record_id = row["id"]
        assert row == {
            "id": record_id,
            "path": f"http://testserver/api/v1/{app_id}/record/{record_id}",
            "items": single_read(client, app_id, record_id, fields),
        }
        assert next(iter(row["items"])) == "id"


def next_path(response) -> str | None:
    link = response.get("Link")
    return link[1 : link.index(">")] if link else None


# --- the single read's meaning --------------------------------------------------------------


@pytest.mark.parametrize("fields", FIELDS)
def test_a_list_with_fields_answers_each_record_as_its_single_read(editor, many, fields):
    response = editor.get(f"/api/v1/sales/records?limit=5&fields={quote(fields)}")
    assert ids(response) == ["r000", "r001", "r002", "r003", "r004"]
    assert_rows_read_singly(editor, "sales", response.json(), fields)


@pytest.mark.parametrize("fields", FIELDS)
def test_a_search_with_fields_in_the_url_answers_each_record_as_its_single_read(
    editor, many, fields
):
    body = {"query": "price == 3", "limit": 3}
    response = editor.post_json(f"/api/v1/sales/search?fields={quote(fields)}", body)
    assert ids(response) == ["r003", "r010", "r017"]
    assert_rows_read_singly(editor, "sales", response.json(), fields)


@pytest.mark.parametrize("fields", FIELDS)
def test_a_search_with_fields_in_the_body_answers_each_record_as_its_single_read(
    editor, many, fields
):
    names = fields.split(",") if fields else []
    body = {"query": "price == 3", "limit": 3, "fields": names}
    response = editor.post_json("/api/v1/sales/search", body)
    assert ids(response) == ["r003", "r010", "r017"]
    assert_rows_read_singly(editor, "sales", response.json(), fields)


def test_an_unknown_field_name_is_left_out_as_the_single_read_does(editor, many):
    expected = {"id": "r000", "n": 0}
    assert single_read(editor, "sales", "r000", "n,nope") == expected
    assert editor.get("/api/v1/sales/records?limit=1&fields=n,nope").json()[0]["items"] == expected
    searched = editor.post_json("/api/v1/sales/search", {"limit": 1, "fields": ["n", "nope"]})
    assert searched.json()[0]["items"] == expected


def test_the_urls_fields_win_over_the_bodys(editor, many):
    body = {"query": "id == 'r001'", "fields": ["title"]}
    response = editor.post_json("/api/v1/sales/search?fields=n", body)
    assert response.json()[0]["items"] == {"id": "r001", "n": 1}


def test_without_fields_every_item_is_there(editor, many):
    full = {"id": "r001", "n": 1, "title": "t1", "price": 1, "_author": "editor"}
    assert editor.get("/api/v1/sales/records?after=r000&limit=1").json()[0]["items"] == full
    searched = editor.post_json("/api/v1/sales/search", {"query": "id == 'r001'"})
    assert searched.json()[0]["items"] == full
    nulled = {"query": "id == 'r001'", "fields": None}  # null: absent, as for query
    assert editor.post_json("/api/v1/sales/search", nulled).json()[0]["items"] == full


@pytest.mark.parametrize(
    ("fields", "found"),
    [
        ("n", "a string"),
        (3, "a number"),
        ({"n": True}, "an object"),
        ([1], "a list holding a number"),
        (["n", None], "a list holding null"),
        (["n", ["title"]], "a list holding a list"),
    ],
)
def test_fields_in_a_search_body_must_be_a_list_of_strings(editor, many, fields, found):
    assert_error(
        editor.post_json("/api/v1/sales/search", {"fields": fields}),
        400,
        f"fields must be a list of strings, found {found}",
    )


# --- paging keeps the shape -----------------------------------------------------------------


def test_a_lists_link_carries_fields_to_the_last_page(editor, many):
    response = editor.get("/api/v1/sales/records?limit=10&fields=n,title")
    assert (
        response["Link"]
        == '<http://testserver/api/v1/sales/records?limit=10&after=r009&fields=n,title>; rel="next"'
    )
    seen, path = [], "/api/v1/sales/records?limit=10&fields=n,title"
    while path:
        response = editor.get(path)
        seen += ids(response)
        assert {tuple(row["items"]) for row in response.json()} == {("id", "n", "title")}
        path = next_path(response)
    assert seen == [f"r{n:03}" for n in range(25)]


def test_a_searchs_link_carries_the_urls_fields(editor, many):
    body = {"sort_index": "price", "limit": 10}
    response = editor.post_json("/api/v1/sales/search?fields=price", body)
    assert (
        response["Link"]
        == '<http://testserver/api/v1/sales/search?limit=10&offset=10&fields=price>; rel="next"'
    )
    seen, path = [], "/api/v1/sales/search?fields=price"
    while path:
        response = editor.post_json(path, body)
        seen += ids(response)
        assert {tuple(row["items"]) for row in response.json()} == {("id", "price")}
        path = next_path(response)
    assert sorted(seen) == [f"r{n:03}" for n in range(25)]


def test_a_search_resent_with_its_body_keeps_the_bodys_fields(editor, many):
    body = {"limit": 10, "fields": ["title"]}
    response = editor.post_json("/api/v1/sales/search", body)
    assert (
        response["Link"]
        == '<http://testserver/api/v1/sales/search?limit=10&after=r009>; rel="next"'
    )
    second = editor.post_json(next_path(response), body)
    assert ids(second) == [f"r{n:03}" for n in range(10, 20)]
    assert {tuple(row["items"]) for row in second.json()} == {("id", "title")}


# --- row-level security -----------------------------------------------------------------------


def test_a_reader_under_row_level_security_lists_only_their_rows(api_client, owned):
    reader = api_client("reader")
    listed = reader.get("/api/v1/owned/records?fields=amount,salesman")
    assert listed.json() == [
        {
            "id": "mine",
            "path": "http://testserver/api/v1/owned/record/mine",
            "items": {"id": "mine", "salesman": "reader", "amount": 1},
        },
        {
            "id": "lent",
            "path": "http://testserver/api/v1/owned/record/lent",
            "items": {"id": "lent", "salesman": "author", "amount": 3},
        },
    ]
    searched = reader.post_json("/api/v1/owned/search?fields=amount", {"query": "amount > 0"})
    assert [row["items"] for row in searched.json()] == [
        {"id": "mine", "amount": 1},
        {"id": "lent", "amount": 3},
    ]
    body = {"query": "amount > 0", "fields": ["amount"]}
    assert reader.post_json("/api/v1/owned/search", body).json() == searched.json()


@pytest.mark.parametrize("who", ["reader", "editor"])
@pytest.mark.parametrize("fields", ["note,secret,salesman,amount,_author,id", "secret", "nope"])
def test_fields_never_add_a_record_or_an_item_to_the_full_answer(api_client, owned, who, fields):
    client = api_client(who)
    for full, narrowed in (
        (
            client.get("/api/v1/owned/records"),
            client.get(f"/api/v1/owned/records?fields={fields}"),
        ),
        (
            client.post_json("/api/v1/owned/search", {"query": "amount > 0"}),
            client.post_json(f"/api/v1/owned/search?fields={fields}", {"query": "amount > 0"}),
        ),
        (
            client.post_json("/api/v1/owned/search", {}),
            client.post_json("/api/v1/owned/search", {"fields": fields.split(",")}),
        ),
    ):
        assert ids(narrowed) == ids(full)
        for whole, part in zip(full.json(), narrowed.json(), strict=True):
            assert part["path"] == whole["path"]
            assert part["items"].items() <= whole["items"].items()
    expected = ["mine", "lent"] if who == "reader" else ["mine", "theirs", "lent"]
    assert ids(client.get(f"/api/v1/owned/records?fields={fields}")) == expected
