"""Benchmark of search queries at 10,000 and 100,000 records, with their query plans (issue 5).

    .venv/bin/python bench/search.py                          # SQLite (a temporary file)
    .venv/bin/python bench/search.py --large 1000000          # 10k against 1M (issue 12)
    scripts/postgres.sh .venv/bin/python bench/search.py      # PostgreSQL (a throwaway server)
    DATABASE_URL=postgres://... .venv/bin/python bench/search.py   # a server of yours

The engine comes from DATABASE_URL as for the site. The bench never writes to that database:
it creates Django's test database beside it (`test_<name>` on PostgreSQL, a temporary file on
SQLite), migrates it, and drops it at the end. It loads N records of an app `bench`
(`price: NUMBER, index_type: field`, `title: TEXT, index_type: text`), indexes them with
`refresh` (timed), then times each query through `records_page()`, the path of
`POST /api/v1/<app>/search` (first page of 100, in creation order, items as JSON text), twice:
on the database as `refresh` leaves it (what users get; refresh gathers statistics itself,
records/planner.py), then after the settle step (bench/common.py: ANALYZE; on PostgreSQL
VACUUM ANALYZE until the tables are all-visible, as autovacuum leaves them):
  field   price >= 5000 and price < 5050            50 matches whatever N
  sorted  the same, sort_index price, reverse        50 matches, ordered by the index
  text    'lot100 series135' in title                two rare words, 32 matches whatever N
  common  'lot100 red' in title                      a rare word and one in 1/8 of records: 7
  broad   price > 5                                  nearly every record: a full page of 100,
                                                     walked in page order (issue 12)
and prints, for each state, the median time at 10k and at 100k and their ratio (goal under 2:
an index is used; a scan of the app would be near 10), then the plan of each query at 100k in
each state (EXPLAIN QUERY PLAN / EXPLAIN). The `common` row is for information: its cost grows with the common word's postings.
Takes one to three minutes on a small machine; with `--large 1000000` about ten to twenty.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import as_left_then_settled, start_django  # noqa: E402

SITE = {
    "settings.yaml": "title: Bench\n",
    "apps/bench/settings.yaml": "acl:\n  rights:\n    reader: ['*']\n",
    "apps/bench/blocks/item.yaml": (
        "elements:\n"
        "  title: {type: TEXT, index_type: text}\n"
        "  price: {type: NUMBER, index_type: field}\n"
    ),
}
COLORS = ["red", "green", "blue", "amber", "black", "white", "grey", "olive"]
ANIMALS = ["fox", "owl", "cat", "eel", "yak", "emu", "ant", "bee", "elk", "gnu"]
QUERIES = {
    "field": ("price >= 5000 and price < 5050", None, False),
    "sorted": ("price >= 5000 and price < 5050", "price", True),
    "text": ("'lot100 series135' in title", None, False),
    "common": ("'lot100 red' in title", None, False),
    "broad": ("price > 5", None, False),
}


def setup(workdir: Path) -> None:
    start_django(workdir, SITE)


def teardown(old_name: str) -> None:
    from django.db import connection

    connection.creation.destroy_test_db(old_name, verbosity=0)


def items_of(i: int, rng: random.Random) -> dict:
    return {
        "price": i,
        "title": f"{COLORS[i % 8]} {rng.choice(ANIMALS)} lot{i // 50} series{i // 37} no{i}",
    }


def load(app, start: int, stop: int, rng: random.Random) -> float:
    """Add records start..stop-1 (bulk, not through the store), then refresh: its seconds."""
    from django.db import transaction

    from records.models import Record
    from records.store import app_reindex

    batch = 5000
    for low in range(start, stop, batch):
        with transaction.atomic():
            Record.objects.bulk_create(
                Record(app_id="bench", record_id=f"r{i}", items=items_of(i, rng))
                for i in range(low, min(stop, low + batch))
            )
    began = time.perf_counter()
    app_reindex(app=app)
    return time.perf_counter() - began


# Settled (bench.common) before the second run of the queries: what autovacuum does on
# PostgreSQL (statistics, the visibility map, and the GIN index's pending list (fastupdate)
# merged into the index proper), ANALYZE on SQLite, which has no autovacuum.
TABLES = ("records_record", "records_indexentry", "records_indextext")


def measure(app, repeat: int, seconds: float = 20.0) -> dict[str, tuple[float, int]]:
    """Median milliseconds and number of results of each query (`repeat` runs, fewer once a
    slow plan has taken `seconds`)."""
    from records import selectors

    found = {}
    for name, (query, sort_index, reverse) in QUERIES.items():
        times = []
        while len(times) < repeat and (len(times) < 3 or sum(times) < seconds * 1000):
            began = time.perf_counter()
            page = selectors.records_page(
                app, query=query, sort_index=sort_index, reverse=reverse, limit=100, rows=True
            )
            times.append((time.perf_counter() - began) * 1000)
        found[name] = (statistics.median(times), len(page.records))
    return found


def plan(app, name: str) -> str:
    """The plan of each statement `records_page()` ran (a broad query walks in page order; a
    narrow one tries that briefly, then `IN`), as the engine explains it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from records import selectors

    query, sort_index, reverse = QUERIES[name]
    # The log holds 9,000 queries at most; once full (a load of 1M records under DEBUG), a
    # capture would see no new ones.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as ran:
        selectors.records_page(
            app, query=query, sort_index=sort_index, reverse=reverse, limit=100, rows=True
        )
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    plans = []
    with connection.cursor() as cursor:
        for statement in ran.captured_queries:
            cursor.execute(explain + statement["sql"])  # our own statement, as it ran
            plans.append("\n".join(" ".join(map(str, row)) for row in cursor.fetchall()))
    return "\n-- then\n".join(plans)


def print_table(results: dict, small: int, large: int) -> None:
    print(f"{'query':<8} {'matches':>7} {small:>9} {large:>9} {'ratio':>6}  text")
    for name, (query, sort_index, _reverse) in QUERIES.items():
        small_ms, small_n = results[small][name]
        large_ms, large_n = results[large][name]
        extra = f", sort_index {sort_index}, reverse" if sort_index else ""
        print(
            f"{name:<8} {small_n:>3}/{large_n:<3} {small_ms:>7.2f}ms {large_ms:>7.2f}ms "
            f"{large_ms / small_ms:>6.2f}  {query}{extra}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30, help="runs of each query (median)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        from django.db import connection

        setup(Path(tmp))
        old_name = connection.settings_dict["NAME"]
        try:
            from site_model.loader import current_site

            app = current_site().apps["bench"]
            rng = random.Random(5)  # noqa: S311 (test data, not secrets)
            engine = f"{connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else connection.pg_version}"
            print(f"engine: {engine}")
            results: dict[str, dict] = {}
            plans: dict[str, dict] = {}
            done = 0
            for size in (args.small, args.large):
                refresh = load(app, done, size, rng)
                done = size
                print(f"{size:>7} records loaded; refresh (re-index all): {refresh:.1f} s")
                for state in as_left_then_settled(TABLES):
                    measure(app, 3, seconds=1)  # warm caches
                    results.setdefault(state, {})[size] = measure(app, args.repeat)
                    if size == args.large:
                        plans[state] = {name: plan(app, name) for name in QUERIES}
            for state, by_size in results.items():
                print(f"\n{state}:")
                print_table(by_size, args.small, args.large)
            for state, by_name in plans.items():
                for name, text in by_name.items():
                    print(f"\nplan of `{name}` at {args.large} records, {state}:")
                    print(text)
        finally:
            teardown(old_name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
