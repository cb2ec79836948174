"""Plans that hold on a database nobody tuned (issue 21), on both engines.

20,000 records are loaded through the store's bulk path (what `POST /records` does) with the
statistics upkeep off and no ANALYZE, as a site has them before any maintenance; then the
page statement of a search, as the API ran it, is explained (EXPLAIN QUERY PLAN / EXPLAIN).
Without statistics SQLite took the `(app_id, index, value)` index for each record's EXISTS
probe and stepped through every entry in range for each one: a reader's search of
`amount > 5` took 32 s at 100,000 records, an editor's 1.4 s (bench/api.py).
"""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records import planner, store
from site_model.loader import current_site

RECORDS = 20_000
OWNERS = 100  # the reader owns one record in a hundred


@pytest.fixture
def untuned(owned_app, users, monkeypatch):
    """App `owned` with RECORDS records, `amount` n % 100 (`amount > 5`: 94%), and no
    planner statistics."""
    monkeypatch.setattr(planner, "BULK_ROWS", RECORDS + 1)  # no ANALYZE after the load
    if connection.vendor == "postgresql":
        forget_table_sizes()
    app = current_site().apps["owned"]
    rows = [
        ({"amount": n % 100, "salesman": "reader" if n % OWNERS == 7 else f"s{n % OWNERS}"}, None)
        for n in range(RECORDS)
    ]
    store.records_create_many(app=app, rows=rows, user=users["editor"])
    assert not has_statistics()
    return app


def forget_table_sizes():
    """The record tables' sizes as the planner knows them from a table nobody analyzed.

    The suite's earlier tests commit rows and roll them back; autovacuum may analyze the
    tables meanwhile, leaving the planner sure they are empty (twice in CI: it then scanned the
    whole owner index rather than seek the reader's rows in it). TRUNCATE, inside the test's
    transaction and rolled back with it, sets their size to unknown, as on a fresh database."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(planner.TABLES)} CASCADE")


def has_statistics() -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone() is None:
                return False
            cursor.execute("SELECT 1 FROM sqlite_stat1 WHERE tbl LIKE 'records_%'")
        else:
            return postgresql_has_statistics(cursor)
        return cursor.fetchone() is not None


def postgresql_has_statistics(cursor) -> bool:
    """Has ANALYZE run on the record tables since the test began? pg_stats cannot say: it hides
    the statistics of a table whose row-level security holds its reader (§12), the owner too
    (FORCE); PostgreSQL's own count of ANALYZE runs (never rolled back) can."""
    return analyze_count(cursor) > _analyzed_before[0]


def analyze_count(cursor) -> int:
    cursor.execute("SELECT pg_stat_clear_snapshot()")
    cursor.execute(
        "SELECT coalesce(sum(analyze_count), 0) FROM pg_stat_user_tables"
        " WHERE relname IN ('records_record', 'records_indexentry')"
    )
    return cursor.fetchone()[0]


_analyzed_before = [0]


@pytest.fixture(autouse=True)
def analyzed_before(db):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            _analyzed_before[0] = analyze_count(cursor)


def page_plan(client, body: dict) -> str:
    """The plan of the statement that read the page's records, as the engine explains it."""
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as ran:
        response = client.post("/api/v1/owned/search", json.dumps(body), "application/json")
    assert response.status_code == 200, response.content
    assert len(response.json()) == 100
    pages = [q["sql"] for q in ran.captured_queries if "records_indexentry" in q["sql"]]
    assert len(pages) == 1, pages
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(explain + pages[0])  # our own statement, as it ran
        return "\n".join(" ".join(map(str, row)) for row in cursor.fetchall())


def test_a_readers_search_is_driven_by_their_own_rows_without_statistics(untuned, api_client):
    plan = page_plan(api_client("reader"), {"query": "amount > 5"})
    if connection.vendor == "sqlite":
        # Their owner rows, then each record by primary key, then its entries (entry_values).
        assert "SEARCH ownership_recordowner USING COVERING INDEX owner_principal_item_rec" in plan
        assert "SEARCH records_record USING INTEGER PRIMARY KEY (rowid=?)" in plan
        assert "INDEX entry_values " in plan
        assert "entry_number" not in plan
    else:
        assert "owner_principal_item_rec" in plan, plan
        assert "Index Cond: (id = ANY ($" in plan  # the owned ids, then records by primary key
        assert "entry_values" in plan
        assert "entry_number" not in plan


def test_a_broad_search_walks_the_records_in_page_order_without_statistics(untuned, api_client):
    plan = page_plan(api_client("editor"), {"query": "amount > 5"})
    if connection.vendor == "sqlite":
        assert "SEARCH records_record USING " in plan
        assert "INDEX entry_values " in plan
        assert "entry_number" not in plan
    else:
        assert "entry_values" in plan
        assert "entry_number" not in plan
        assert "Seq Scan" not in plan


def test_a_bulk_create_gathers_statistics_once_committed(
    owned_app, users, django_capture_on_commit_callbacks
):
    app = current_site().apps["owned"]
    rows = [({"amount": n, "salesman": "reader"}, None) for n in range(planner.BULK_ROWS)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        store.records_create_many(app=app, rows=rows[:10], user=users["editor"])
    assert callbacks == []  # a few records: no ANALYZE per request
    assert not has_statistics()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        store.records_create_many(app=app, rows=rows, user=users["editor"])
    assert callbacks == [planner.gather]
    assert has_statistics()


def test_a_refresh_gathers_statistics_once_committed(
    db, owned_app, make_record, django_capture_on_commit_callbacks
):
    make_record("owned", "r1", {"amount": 1, "salesman": "reader"})
    assert not has_statistics()
    with django_capture_on_commit_callbacks(execute=True):
        store.app_reindex(app=current_site().apps["owned"])
    assert has_statistics()


def test_an_editors_aggregate_joins_each_record_to_its_entries_without_statistics(
    untuned, api_client
):
    """One statement (records/aggregate.py `Joined`): each record's value read from the
    covering index entry_values, no subquery per record (issue 24).

    On PostgreSQL the row-level security policies (§12) are quals the planner cannot estimate
    without statistics: before any ANALYZE it joined the entries by a nested loop over a
    materialized scan, comparing every pair (35 s at 20,000 records, over 10 minutes at
    100,000). The statement is planned without nested loops (`without_nested_loops`); its
    plan is taken where it runs, with the settings it runs with."""
    plans = []

    def explained_where_it_runs(execute, sql, params, many, context):
        if "records_indexentry" in sql and connection.vendor == "postgresql":
            found = context["connection"].connection.execute("EXPLAIN " + sql, params)
            plans.append("\n".join(row[0] for row in found.fetchall()))
        return execute(sql, params, many, context)

    body = {"group_by": ["amount"], "metrics": {"t": "sum:amount", "n": "count"}}
    with (
        CaptureQueriesContext(connection) as ran,
        connection.execute_wrapper(explained_where_it_runs),
    ):
        response = api_client("editor").post(
            "/api/v1/owned/aggregate", json.dumps(body), "application/json"
        )
    assert response.status_code == 200, response.content
    assert response.json()["totals"] == {"t": sum(n % 100 for n in range(RECORDS)), "n": RECORDS}
    statements = [q["sql"] for q in ran.captured_queries if "records_indexentry" in q["sql"]]
    assert len(statements) == 1, statements
    assert not has_statistics()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + statements[0])
            plan = "\n".join(" ".join(map(str, row)) for row in cursor.fetchall())
        assert "USING COVERING INDEX entry_values (record_id=? AND index=?) LEFT-JOIN" in plan
        assert "CORRELATED" not in plan
    else:
        (plan,) = plans
        assert "Nested Loop" not in plan, plan
        # No subquery per record: the only subplans are row-level security's (§12), each
        # hashed, run once per statement.
        uses = re.findall(r"(hashed )?SubPlan \d+\)", plan)
        assert uses and all(hashed for hashed in uses), plan
