"""A page's statements compiled once per shape (records/statements.py), through the JSON API:
a repeat runs the recorded SQL, and no repeat ever answers with another caller's rows, another
site's indexes or another moment's data."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records import statements
from records.models import Record
from tests.sites import SALES_ACL


@pytest.fixture
def compilations(monkeypatch):
    """How many statements were compiled for pages since the test began."""
    count = {"n": 0}
    compile_ = statements.compiled

    def counted(queryset):
        count["n"] += 1
        return compile_(queryset)

    monkeypatch.setattr(statements, "compiled", counted)
    return count


@pytest.fixture
def owned_records(owned_app, make_record, users):
    for n in range(3):
        make_record("owned", f"r{n}", {"salesman": "reader", "amount": n + 1})
        make_record("owned", f"a{n}", {"salesman": "author", "amount": n + 1})


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()]


def page_statements(client, path, body) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        client.post_json(path, body)
    return [q["sql"] for q in queries.captured_queries if "records_record" in q["sql"]]


@pytest.mark.parametrize("who", ["editor", "reader"])
def test_a_repeated_search_runs_the_sql_of_the_first_without_compiling_it(
    api_client, owned_records, compilations, who
):
    client = api_client(who)
    body = {"query": "amount > 1", "limit": 2}
    first = page_statements(client, "/api/v1/owned/search", body)
    assert compilations["n"] >= 1
    compiled_before = compilations["n"]
    again = page_statements(client, "/api/v1/owned/search", body)
    assert compilations["n"] == compiled_before
    # The first request also rebuilt the reader's owner rows (owners.ensure_current).
    assert again and again == first[-len(again) :]
    expected = ["r1", "a1"] if who == "editor" else ["r1", "r2"]
    assert ids(client.post_json("/api/v1/owned/search", body)) == expected


def test_readers_of_one_shape_each_get_their_own_rows(api_client, owned_records):
    reader, author = api_client("reader"), api_client("author")
    body = {"query": "amount > 0"}
    for _ in range(2):  # the second round runs each one's recorded statement
        assert ids(reader.post_json("/api/v1/owned/search", body)) == ["r0", "r1", "r2"]
        assert ids(author.post_json("/api/v1/owned/search", body)) == ["a0", "a1", "a2"]
        assert ids(api_client("editor").post_json("/api/v1/owned/search", body)) == [
            "r0",
            "a0",
            "r1",
            "a1",
            "r2",
            "a2",
        ]
        assert api_client().post_json("/api/v1/owned/search", body).status_code == 401


def test_a_field_hidden_from_one_caller_stays_hidden_on_a_repeat(
    api_client, records_site, make_record, users
):
    records_site.write(
        "apps/sales/settings.yaml", SALES_ACL + "  fields:\n    note: {read: [managers]}\n"
    )
    make_record("sales", "o1", {"title": "x", "price": 5, "note": "n"})
    body = {"query": "price > 1"}
    for _ in range(2):
        for who, sees_note in (("reader", False), ("manager", True), ("reader", False)):
            rows = api_client(who).post_json("/api/v1/sales/search", body).json()
            assert ("note" in rows[0]["items"]) is sees_note, who


def test_a_changed_site_compiles_its_statements_again(
    api_client, owned_records, owned_app, compilations
):
    client = api_client("editor")
    body = {"query": "amount > 2"}
    assert ids(client.post_json("/api/v1/owned/search", body)) == ["r2", "a2"]
    owned_app.write(
        "apps/owned/blocks/sale.yaml",
        "elements:\n  amount: {type: NUMBER, index_type: field}\n"
        "  salesman: {type: TEXT, index_type: field}\n",
    )
    compiled_before = compilations["n"]
    assert ids(client.post_json("/api/v1/owned/search", body)) == ["r2", "a2"]
    assert compilations["n"] > compiled_before


def test_a_walk_that_no_longer_fills_a_page_answers_from_the_full_plan(
    api_client, records_site, make_record, users
):
    # limit 2: the walk wants 3 matches among the first 12 records.
    for n in range(3):
        make_record("sales", f"m{n}", {"title": "x", "price": 10})
    for n in range(20):
        make_record("sales", f"z{n}", {"title": "x", "price": 1})
    client = api_client("editor")
    body = {"query": "price > 5", "limit": 2}
    response = client.post_json("/api/v1/sales/search", body)
    assert ids(response) == ["m0", "m1"]
    assert "next" in response.get("Link", "")
    assert client.delete("/api/v1/sales/record/m1").status_code == 200
    response = client.post_json("/api/v1/sales/search", body)
    assert ids(response) == ["m0", "m2"]
    assert "next" not in response.get("Link", "")
    assert client.delete("/api/v1/sales/record/m2").status_code == 200
    for _ in range(2):
        response = client.post_json("/api/v1/sales/search", body)
        assert ids(response) == ["m0"]
        assert "next" not in response.get("Link", "")


def test_a_statement_django_knows_is_empty_runs_nothing(db, django_assert_num_queries):
    statement = statements.compiled(Record.objects.filter(pk__in=[]).values_list("record_id"))
    assert statement is statements.NO_ROWS
    with django_assert_num_queries(0):
        assert statement.rows() == []


def test_the_plans_keep_at_most_their_size(monkeypatch, api_client, owned_records):
    plans = statements.Plans(size=3)
    monkeypatch.setattr(statements, "PLANS", plans)
    client = api_client("editor")
    for n in range(6):
        assert client.post_json("/api/v1/owned/search", {"query": f"amount > {n}"}).status_code
    assert len(plans._plans) == 3


def test_an_outsiders_huge_queries_are_answered_but_their_statements_not_kept(
    monkeypatch, api_client, records_site, make_record
):
    # A query of some hundred conditions compiles to statements of a few hundred KB: kept,
    # 512 of them (one anonymous client, 512 requests) pinned over 100 MB in every process.
    plans = statements.Plans()
    monkeypatch.setattr(statements, "PLANS", plans)
    records_site.write(
        "apps/public/blocks/note.yaml", "elements:\n  n: {type: NUMBER, index_type: field}\n"
    )
    make_record("public", "hit", {"n": 7})
    make_record("public", "miss", {"n": 1000})
    anonymous = api_client()
    for extra in range(3):
        query = " or ".join(f"n == {value}" for value in (*range(2, 200), 7, 5000 + extra))
        assert ids(anonymous.post_json("/api/v1/public/search", {"query": query})) == ["hit"]
    assert len(plans._plans) == 0
    assert ids(anonymous.post_json("/api/v1/public/search", {"query": "n == 7"})) == ["hit"]
    assert len(plans._plans) == 1


def test_a_list_and_an_empty_search_by_a_caller_with_hidden_items_share_one_plan(
    api_client, records_site, make_record, users, compilations
):
    # One shape: the list was given the site's app, the search the app as the caller sees it,
    # so each request dropped the other's plan and compiled again.
    records_site.write(
        "apps/sales/settings.yaml", SALES_ACL + "  fields:\n    note: {read: [managers]}\n"
    )
    make_record("sales", "o1", {"title": "x", "price": 5, "note": "n"})
    reader = api_client("reader")
    assert ids(reader.get("/api/v1/sales/records")) == ["o1"]
    compiled_before = compilations["n"]
    for _ in range(2):
        for rows in (reader.get("/api/v1/sales/records"), reader.post_json("/api/v1/sales/search")):
            assert ids(rows) == ["o1"]
            assert "note" not in rows.json()[0]["items"]
    assert compilations["n"] == compiled_before
