"""POST /api/v1/<app>/aggregate (contract §8, issue 24): totals computed by the database over
exactly the rows `POST /search` returns to the same caller."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records import aggregate, store, validation
from records.models import ListedIndex, Record
from site_model.loader import current_site
from tests.helpers import assert_error, new_client

pytestmark = pytest.mark.django_db

SHOP_ACL = """acl:
  rights:
    reader: [authenticated]
    author: [authenticated]
    editor: [bosses]
  roles:
    leads: [lea]
  row_owners: [salesman, team]
"""
SALE = """elements:
  customer: {type: TEXT, index_type: text}
  amount: {type: NUMBER, index_type: field}
  salesman: {type: TEXT, index_type: field}
  team: {type: TEXT, index_type: field}
  day: {type: DATE, index_type: field}
  at: {type: DATETIME, index_type: field}
  note: {type: TEXT}
"""
URL = "/api/v1/shop/aggregate"


@pytest.fixture
def shop(site_dir, user_factory):
    site_dir.write("apps/shop/settings.yaml", SHOP_ACL)
    site_dir.write("apps/shop/blocks/sale.yaml", SALE)
    site_dir.write(
        "apps/open/settings.yaml",
        "acl:\n  rights:\n    reader: ['*']\n    author: [authenticated]\n",
    )
    site_dir.write(
        "apps/open/blocks/visit.yaml", "elements:\n  n: {type: NUMBER, index_type: field}\n"
    )
    site_dir.write("apps/closed/settings.yaml", "acl:\n  rights:\n    reader: [bosses]\n")
    site_dir.write(
        "apps/closed/blocks/x.yaml", "elements:\n  n: {type: NUMBER, index_type: field}\n"
    )
    user_factory("alice")
    user_factory("bob")
    user_factory("boss", groups=["bosses"])
    return site_dir


def sale(record_id, **items):
    app = current_site().apps["shop"]
    return store.record_create(app=app, items=items, record_id=record_id, user=None)


def post(who, body):
    return new_client(who).send("POST", URL, body)


def test_a_reader_totals_their_own_rows_and_the_editor_every_row(shop):
    sale("a1", salesman="alice", amount=10)
    sale("a2", salesman="alice", amount=5)
    sale("b1", salesman="bob", amount=7)
    sale("b2", salesman="bob")  # no amount: skipped by the sum
    body = {"group_by": ["salesman"], "metrics": {"total": "sum:amount", "n": "count"}}
    assert post("alice", body).json() == {
        "groups": [{"salesman": "alice", "total": 15, "n": 2}],
        "totals": {"total": 15, "n": 2},
        "skipped": 0,
    }
    assert post("boss", body).json() == {
        "groups": [
            {"salesman": "alice", "total": 15, "n": 2},
            {"salesman": "bob", "total": 7, "n": 2},
        ],
        "totals": {"total": 22, "n": 4},
        "skipped": 1,
    }


def test_every_metric_sort_reverse_limit_and_query(shop):
    for i, (who, amount) in enumerate([("alice", 1), ("alice", 3), ("bob", 2), ("carl", 2)]):
        sale(f"s{i}", salesman=who, amount=amount, customer=f"acme {who}")
    body = {
        "query": "amount >= 2",
        "group_by": ["salesman"],
        "metrics": {
            "avg": "avg:amount",
            "low": "min:amount",
            "high": "max:amount",
            "people": "count_distinct:salesman",
        },
        "sort": "salesman",
        "reverse": True,
        "limit": 2,
    }
    answer = post("boss", body).json()
    assert answer == {
        "groups": [
            {"salesman": "carl", "avg": 2, "low": 2, "high": 2, "people": 1},
            {"salesman": "bob", "avg": 2, "low": 2, "high": 2, "people": 1},
        ],
        "totals": {"avg": 7 / 3, "low": 2, "high": 3, "people": 3},
        "skipped": 0,
    }
    texts = post("boss", {"query": "'acme alice' in customer", "metrics": {"n": "count"}})
    assert texts.json() == {"groups": [], "totals": {"n": 2}, "skipped": 0}


def test_date_buckets_of_date_datetime_and_created(shop, clock, monkeypatch):
    sale("m1", day="2026-03-05", at="2026-03-05T23:30:00+00:00", amount=1)
    sale("m2", day="2026-03-20", at="2026-04-01T00:10:00+02:00", amount=2)  # 31 March in UTC
    clock.move(days=40)
    # Stored before DATETIME took RFC 3339 alone (no offset): still bucketed, as UTC.
    with monkeypatch.context() as patch:
        patch.setattr(validation, "check_items", lambda **kwargs: None)
        sale("m3", day="2027-01-01", at="2027-01-01T10:00:00", amount=4)
    sale("m4", amount=8)  # no dates: its own group, last
    by = {
        "month:day": [("2026-03", 3), ("2027-01", 4), (None, 8)],
        "year:day": [("2026", 3), ("2027", 4), (None, 8)],
        "day:day": [("2026-03-05", 1), ("2026-03-20", 2), ("2027-01-01", 4), (None, 8)],
        "month:at": [("2026-03", 3), ("2027-01", 4), (None, 8)],
        "day:at": [("2026-03-05", 1), ("2026-03-31", 2), ("2027-01-01", 4), (None, 8)],
        "month:_created": [("2026-03", 3), ("2026-04", 12)],
        "day:_created": [("2026-03-02", 3), ("2026-04-11", 12)],
    }
    for group, expected in by.items():
        answer = post("boss", {"group_by": [group], "metrics": {"sum": "sum:amount"}}).json()
        assert [(g[group], g["sum"]) for g in answer["groups"]] == expected, group


def test_two_groups_and_sort_on_a_metric(shop):
    sale("x1", salesman="alice", team="east", amount=1)
    sale("x2", salesman="alice", team="west", amount=5)
    sale("x3", salesman="bob", team="east", amount=3)
    body = {
        "group_by": ["salesman", "team"],
        "metrics": {"total": "sum:amount"},
        "sort": "total",
        "reverse": True,
    }
    assert [
        (g["salesman"], g["team"], g["total"]) for g in post("boss", body).json()["groups"]
    ] == [
        ("alice", "west", 5),
        ("bob", "east", 3),
        ("alice", "east", 1),
    ]


def test_anonymous_and_no_right_answer_as_on_the_list(shop):
    body = {"metrics": {"n": "count"}}
    for path in ("/api/v1/shop/records", "/api/v1/closed/records"):
        listed = new_client().get(path)
        assert (
            new_client().send("POST", path.replace("records", "aggregate"), body).status_code
            == (listed.status_code)
            == 401
        )
    assert_error(
        post(None, body),
        401,
        new_client().get("/api/v1/shop/records").json()["error"],
    )
    refused = new_client("alice").get("/api/v1/closed/records")
    assert refused.status_code == 403
    assert_error(
        new_client("alice").send("POST", "/api/v1/closed/aggregate", body),
        403,
        refused.json()["error"],
    )
    assert new_client().send("POST", "/api/v1/nope/aggregate", body).status_code == 404
    assert new_client("alice").get(URL).status_code == 405


def test_anonymous_where_everyone_reads(shop):
    app = current_site().apps["open"]
    store.record_create(app=app, items={"n": 4}, record_id="v1", user=None)
    answer = new_client().send("POST", "/api/v1/open/aggregate", {"metrics": {"s": "sum:n"}})
    assert answer.json() == {"groups": [], "totals": {"s": 4}, "skipped": 0}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            [],
            "the body must be a JSON object with query, group_by, metrics, sort, reverse, limit, found a list",
        ),
        ({}, 'metrics is missing: an object such as {"total": "sum:amount"}'),
        (
            {"metrics": {}},
            'metrics must be an object of name: spec, such as {"total": "sum:amount"}',
        ),
        (
            {"metrics": {"n": "count"}, "having": 1},
            "unknown key 'having' in an aggregate; keys: query, group_by, metrics, sort, reverse, limit",
        ),
        (
            {"metrics": {"n": "median:amount"}},
            "metric 'n': unknown metric 'median:amount'; metrics: count, sum:<item>, avg:<item>, min:<item>, max:<item>, count_distinct:<item>",
        ),
        (
            {"metrics": {"n": 3}},
            "metric 'n' must be a string such as 'sum:amount' (count, sum:<item>, avg:<item>, min:<item>, max:<item>, count_distinct:<item>)",
        ),
        (
            {"metrics": {"n": "sum:price"}},
            "metric 'n': no element of app 'shop' declares an item 'price'",
        ),
        (
            {"metrics": {"n": "sum:note"}},
            "metric 'n': item 'note' has no field index; declare it with index_type: field",
        ),
        (
            {"metrics": {"n": "count"}, "group_by": ["region"]},
            "group 'region': no element of app 'shop' declares an item 'region'",
        ),
        (
            {"metrics": {"n": "count"}, "group_by": ["month:amount"]},
            "group 'month:amount': a month bucket needs a DATE or DATETIME item, 'amount' is NUMBER",
        ),
        (
            {"metrics": {"n": "count"}, "group_by": ["week:day"]},
            "group 'week:day': unknown date bucket 'week'; buckets: <item>, year:<item>, month:<item>, day:<item>",
        ),
        (
            {"metrics": {"n": "count"}, "group_by": ["_created"]},
            "group '_created': _created groups by a bucket only: year:_created, month:_created or day:_created",
        ),
        (
            {"metrics": {"n": "count"}, "group_by": "salesman!"},
            "group 'salesman!': no element of app 'shop' declares an item 'salesman!'",
        ),
        (
            {"metrics": {"n": "count"}, "group_by": {"a": 1}},
            'group_by must be a list of groups such as ["salesman"]',
        ),
        (
            {"metrics": {"n": "count"}, "limit": 0},
            "limit must be a whole number from 1 to 1000, found 0",
        ),
        (
            {"metrics": {"n": "count"}, "limit": 1001},
            "limit must be a whole number from 1 to 1000, found 1001",
        ),
        (
            {"metrics": {"n": "count"}, "limit": "5"},
            "limit must be a whole number from 1 to 1000, found '5'",
        ),
        (
            {"metrics": {"n": "count"}, "sort": "total"},
            "sort 'total' names no group or metric; one of: n",
        ),
        ({"metrics": {"n": "count"}, "sort": 3}, "sort must be a string, found a number"),
        ({"metrics": {"n": "count"}, "reverse": "yes"}, "reverse must be true or false"),
        (
            {"metrics": {"salesman": "count"}, "group_by": ["salesman"]},
            "'salesman' names two groups or metrics; each needs its own name",
        ),
        ({"metrics": {"n": "count"}, "query": "amount >"}, None),
        ({"metrics": {"n": "count"}, "query": "price > 1"}, None),
    ],
)
def test_each_mistake_is_a_400_naming_it(shop, body, message):
    response = post("alice", body)
    if message is None:  # the query's own message, as POST /search words it
        search = new_client("alice").send("POST", "/api/v1/shop/search", {"query": body["query"]})
        message = search.json()["error"]
        assert search.status_code == 400
    assert_error(response, 400, message)


def test_query_budget(shop, django_assert_max_num_queries):
    for i in range(30):
        sale(f"q{i}", salesman="alice" if i % 2 else "bob", amount=i, day=f"2026-0{1 + i % 9}-01")
    client = new_client("alice")
    body = {"group_by": ["salesman", "month:day"], "metrics": {"t": "sum:amount", "n": "count"}}
    client.send("POST", URL, body)  # the session and the site warm
    with CaptureQueriesContext(connection) as queries:
        assert client.send("POST", URL, body).status_code == 200
    aggregates = [q for q in queries.captured_queries if "records_indexentry" in q["sql"]]
    assert len(aggregates) == 1, aggregates  # the groups with their totals: nothing per record
    assert len(queries) <= 7, [q["sql"] for q in queries.captured_queries]


def test_a_readers_statement_looks_each_value_up_once_per_record(shop):
    """The reader's values are looked up per record; `amount` feeds its sum and `skipped`, and
    merged into the outer query, its lookup ran once for each (as the engine's plan shows)."""
    for i in range(3):
        sale(f"o{i}", salesman="alice", amount=i)
    client = new_client("alice")
    body = {"group_by": ["salesman"], "metrics": {"t": "sum:amount"}}
    client.send("POST", URL, body)  # the session and the site warm
    with CaptureQueriesContext(connection) as queries:
        assert client.send("POST", URL, body).json()["totals"] == {"t": 3}
    [statement] = [q["sql"] for q in queries.captured_queries if "records_indexentry" in q["sql"]]
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(explain + statement)
        plan = "\n".join(str(row) for row in cursor.fetchall())
    lookups = plan.count("CORRELATED SCALAR SUBQUERY") + plan.count("records_indexentry e")
    assert lookups == 2, plan  # `amount` and `salesman`, once each


def test_nothing_is_loaded_into_python(shop, monkeypatch):
    sale("p1", salesman="alice", amount=1)
    post("boss", {"metrics": {"t": "sum:amount"}})  # the site's first request builds owner rows

    def refuse(*args, **kwargs):
        raise AssertionError("a record was loaded into Python")

    monkeypatch.setattr(Record, "from_db", classmethod(refuse))
    assert post("boss", {"metrics": {"t": "sum:amount"}}).json()["totals"] == {"t": 1}


def test_created_is_the_record_column(shop):
    made = sale("c1", amount=1)
    year = made.created.astimezone(UTC).strftime("%Y")
    answer = post("boss", {"group_by": ["year:_created"], "metrics": {"n": "count"}}).json()
    assert answer["groups"] == [{"year:_created": year, "n": 1}]
    assert isinstance(datetime.now(UTC).year, int)


def written_by_create(app):
    sale("l1", salesman=["bob", "alice"], amount=[9, 4])


def written_by_create_many(app):
    rows = [({"salesman": ["bob", "alice"], "amount": [9, 4]}, "l1")]
    store.records_create_many(app=app, rows=rows)


def written_by_save(app):
    record = sale("l1", salesman="bob", amount=9)
    store.record_save(
        app=app, record=record, items={"salesman": ["bob", "alice"], "amount": [9, 4]}
    )


def written_by_refresh(app):
    sale("l1", salesman=["bob", "alice"], amount=[9, 4])
    ListedIndex.objects.all().delete()  # as before the rows were written again
    store.app_reindex(app=app)


def written_before_the_marks(app):
    """Rows written before migration 0020: its data step marks them."""
    sale("l1", salesman=["bob", "alice"], amount=[9, 4])
    ListedIndex.objects.all().delete()
    migration = importlib.import_module("records.migrations.0020_listed_indexes")
    migration.mark_lists(django_apps, SimpleNamespace(connection=connection))


@pytest.mark.parametrize(
    "write",
    [
        written_by_create,
        written_by_create_many,
        written_by_save,
        written_by_refresh,
        written_before_the_marks,
    ],
)
def test_a_list_counts_by_its_smallest_value_for_every_caller(shop, write):
    """The editor's one-statement plan joins each index row: a record with two rows of an
    item, however they were written, marks the item (`ListedIndex`), and the answer counts
    the record once, by its smallest value."""
    write(current_site().apps["shop"])
    sale("l2", salesman="bob", amount=2)
    body = {"group_by": ["salesman"], "metrics": {"t": "sum:amount", "n": "count"}}
    expected = {
        "groups": [{"salesman": "alice", "t": 4, "n": 1}, {"salesman": "bob", "t": 2, "n": 1}],
        "totals": {"t": 6, "n": 2},
        "skipped": 0,
    }
    assert post("boss", body).json() == expected
    assert post("boss", {"metrics": {"t": "sum:amount", "n": "count"}}).json() == {
        "groups": [],
        "totals": {"t": 6, "n": 2},
        "skipped": 0,
    }


def test_the_editors_aggregate_is_one_statement(shop, django_assert_max_num_queries):
    for i in range(30):
        sale(f"q{i}", salesman="alice" if i % 2 else "bob", amount=i, day=f"2026-0{1 + i % 9}-01")
    client = new_client("boss")
    body = {
        "group_by": ["salesman", "month:day"],
        "metrics": {"t": "sum:amount", "n": "count", "a": "avg:amount", "low": "min:amount"},
    }
    client.send("POST", URL, body)  # the session and the site warm
    with CaptureQueriesContext(connection) as queries:
        answer = client.send("POST", URL, body).json()
    aggregates = [q for q in queries.captured_queries if "records_indexentry" in q["sql"]]
    assert len(aggregates) == 1, aggregates  # groups and totals together: nothing per record
    assert answer["totals"] == {"t": 435, "n": 30, "a": 14.5, "low": 0}
    assert sum(g["n"] for g in answer["groups"]) == 30


@pytest.mark.parametrize(
    "body",
    [
        {"metrics": {"n": "count", "t": "sum:amount", "a": "avg:amount"}},
        {
            "group_by": ["salesman"],
            "metrics": {"a": "avg:amount", "low": "min:amount", "high": "max:amount"},
            "sort": "high",
            "reverse": True,
            "limit": 2,
        },
        {"group_by": ["team", "month:day"], "metrics": {"n": "count", "t": "sum:amount"}},
        {"group_by": ["salesman"], "metrics": {"p": "count_distinct:team", "t": "sum:amount"}},
        {"query": "amount >= 2", "group_by": ["year:_created"], "metrics": {"n": "count"}},
    ],
)
def test_the_readers_plan_answers_as_the_editors(shop, body):
    """A reader's statement (a lookup per record) and an editor's (a join) over the same
    records: the same answer, for every kind of metric, group, sort and limit."""
    for i, (who, team, amount) in enumerate(
        [("alice", "east", 1), ("alice", "west", 4), ("bob", "east", 2), ("carl", None, None)]
    ):
        sale(f"p{i}", salesman=who, team=team, amount=amount, day=f"2026-0{1 + i % 2}-15")
    app = current_site().apps["shop"]
    plan = aggregate.plan_for(app, **{k: v for k, v in body.items() if k != "query"})
    records = aggregate.counted_records(app, None, body.get("query"))
    looked_up = aggregate.Statement(app, plan, records, restricted=True).run()
    joined = aggregate.Joined(app, plan, records).run()
    assert looked_up == joined
    assert looked_up["groups"] or not plan.groups


def test_a_list_marked_between_the_totals_and_the_groups_falls_back(shop, monkeypatch):
    """count_distinct with groups reads the totals, then the groups: a list marked by a write
    in between (another request's commit) makes the second statement answer None; the
    aggregate then counts by each record's smallest value, as for any list, not a 500."""
    sale("d1", salesman="alice", team="east", amount=1)
    sale("d2", salesman="bob", team="east", amount=2)
    calls = []

    def marked_after_the_first_statement(statement):
        calls.append(statement)
        return ("0", []) if len(calls) == 1 else ("1", [])

    monkeypatch.setattr(aggregate.Joined, "listed", marked_after_the_first_statement)
    body = {"group_by": ["team"], "metrics": {"p": "count_distinct:salesman"}}
    response = post("boss", body)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "groups": [{"team": "east", "p": 2}],
        "totals": {"p": 2},
        "skipped": 0,
    }
    assert len(calls) == 2


def test_a_readers_totals_cover_the_groups_past_the_limit(shop):
    """The totals are window functions over every group, computed before LIMIT: a reader's
    equal their aggregate with no groups at all (one plain statement), whatever the limit."""
    for i, (team, amount) in enumerate([("east", 1), ("west", 4), (None, 2), ("west", 8)]):
        sale(f"l{i}", salesman="alice", team=team, amount=amount)
    sale("l9", salesman="bob", team="east", amount=100)  # not alice's
    metrics = {"n": "count", "t": "sum:amount", "low": "min:amount", "high": "max:amount"}
    grouped = post("alice", {"group_by": ["team"], "metrics": metrics, "limit": 1}).json()
    whole = post("alice", {"metrics": metrics}).json()
    assert grouped["groups"] == [{"team": "east", "n": 1, "t": 1, "low": 1, "high": 1}]
    assert grouped["totals"] == whole["totals"] == {"n": 4, "t": 15, "low": 1, "high": 8}
