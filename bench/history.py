"""Benchmark of record history (issue 25): the cost of keeping a version of every write.

    .venv/bin/python bench/history.py [--records 20000] [--batches 40] [--bulk 5]   # SQLite
    scripts/postgres.sh .venv/bin/python bench/history.py                         # PostgreSQL

One process, one database (Django's test database beside the site's, as bench/api.py), the full
middleware stack (django.test.Client, session of an editor). Two cases, each timed with history
on (the store as it is) and off (the store with `records.history`'s writers replaced by no-ops,
in this process only), the two sides interleaved so that a burst of other work on the machine
hits both alike, and every case twice: on the database as the API leaves it (what users get: no
maintenance run), then after the settle step (bench/common.py: ANALYZE; on PostgreSQL VACUUM
ANALYZE until the tables are all-visible, as autovacuum leaves them), each state's figures
printed under it with the machine's load average:

  PATCH /api/v1/sales/record/<id> {"total": n}: one indexed item of one record of N records;
      `--batches` rounds of 100 requests on each side; the median and the best of the
      per-round ratios (goal: with / without >= 0.85)
  POST /api/v1/sales/records with 10,000 records of 3 items (indexed, owned):
      `--bulk` rounds of one request on each side; the median of the per-round ratios and the
      ratio of each side's best round (goal >= 0.7)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import as_left_then_settled, bench_site, load_average  # noqa: E402

SITE = {
    "settings.yaml": "title: Bench\ngroups: [editors]\n",
    "apps/sales/settings.yaml": (
        "acl:\n  rights:\n    reader: [authenticated]\n    author: [editors]\n"
        "    editor: [editors]\n  row_owners: [salesman]\n"
    ),
    "apps/sales/blocks/sale.yaml": (
        "elements:\n  title: TEXT\n  total: {type: NUMBER, index_type: field}\n  salesman: TEXT\n"
    ),
}
# The tables the cases write and read, settled (bench.common) before the second run of the cases.
TABLES = ("records_record", "records_recordversion", "records_indexentry", "ownership_recordowner")
BATCH = 10_000
PATCHES = 100  # requests per side per round


@contextlib.contextmanager
def history_off():
    """The store as it would be without history: its calls into records.history do nothing."""
    from records import history

    names = ("version_created", "versions_created", "version_saved", "versions_deleted")
    saved = {name: getattr(history, name) for name in names}
    saved["next_versions"] = history.next_versions
    for name in names:
        setattr(history, name, lambda *args, **kwargs: None)
    history.next_versions = lambda app_id, record_ids: {}
    try:
        yield
    finally:
        for name, function in saved.items():
            setattr(history, name, function)


def rows(low: int, count: int) -> list[dict]:
    return [
        {"title": f"Item number {n}", "total": n % 100, "salesman": f"u{n % 100}"}
        for n in range(low, low + count)
    ]


def bulk_rate(editor, low: int) -> float:
    body = json.dumps(rows(low, BATCH))
    began = time.perf_counter()
    response = editor.post("/api/v1/sales/records", body, "application/json")
    spent = time.perf_counter() - began
    assert response.status_code == 201, response.content[:300]
    return BATCH / spent


def patch_rate(editor, ids: list[str], start: int) -> float:
    began = time.perf_counter()
    for n in range(PATCHES):
        record_id = ids[(start + n) % len(ids)]
        response = editor.patch(
            f"/api/v1/sales/record/{record_id}",
            json.dumps({"total": (start + n) % 97}),
            "application/json",
        )
        assert response.status_code == 200, response.content[:300]
    return PATCHES / (time.perf_counter() - began)


def run(args) -> int:
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client

    from records.models import Record, RecordVersion

    editors = Group.objects.get_or_create(name="editors")[0]
    user = User.objects.create_user("editor", "editor@example.com", "pw-bench-1")
    user.groups.add(editors)
    editor = Client()
    editor.force_login(user)
    for low in range(0, args.records, BATCH):
        body = json.dumps(rows(low, min(BATCH, args.records - low)))
        response = editor.post("/api/v1/sales/records", body, "application/json")
        assert response.status_code == 201
    ids = list(Record.objects.values_list("record_id", flat=True)[:5000])
    patch_rate(editor, ids, 0)  # warm up
    print(f"engine: {connection.vendor}; {args.records} records loaded")
    low = args.records
    for state in as_left_then_settled(TABLES):
        print(f"\n{state} [{load_average()}]:")
        patches(editor, ids, args.batches)
        low = bulk_creates(editor, args.bulk, low)
        print(f"versions kept: {RecordVersion.objects.count()}")
    return 0


def patches(editor, ids: list[str], batches: int) -> None:
    """`batches` rounds of PATCHES requests with history and as many without, printed."""
    ratios, best_on, best_off = [], 0.0, 0.0
    for round_ in range(batches):
        start = round_ * PATCHES * 2
        first_on = round_ % 2 == 0
        on = off = 0.0
        for side in (first_on, not first_on):
            if side:
                on = patch_rate(editor, ids, start)
            else:
                with history_off():
                    off = patch_rate(editor, ids, start + PATCHES)
        ratios.append(on / off)
        best_on, best_off = max(best_on, on), max(best_off, off)
    print(
        f"PATCH one record: with history {best_on:.0f}/s, without {best_off:.0f}/s (best rounds); "
        f"ratio median {statistics.median(ratios):.2f}, best round {max(ratios):.2f}, "
        f"of best rounds {best_on / best_off:.2f} (goal >= 0.85)"
    )


def bulk_creates(editor, rounds: int, low: int) -> int:
    """`rounds` bulk creates of BATCH records with history and as many without, printed;
    answers the number of the next record to create."""
    bulk_ratios, bulk_on, bulk_off = [], 0.0, 0.0
    for round_ in range(rounds):
        on = off = 0.0
        for side in (round_ % 2 == 0, round_ % 2 != 0):
            if side:
                on = bulk_rate(editor, low)
            else:
                with history_off():
                    off = bulk_rate(editor, low)
            low += BATCH
        bulk_ratios.append(on / off)
        bulk_on, bulk_off = max(bulk_on, on), max(bulk_off, off)
    print(
        f"bulk create of {BATCH}: with history {bulk_on:.0f} records/s, without "
        f"{bulk_off:.0f} records/s (best rounds); ratio median {statistics.median(bulk_ratios):.2f}"
        f", of best rounds {bulk_on / bulk_off:.2f} (goal >= 0.7)"
    )
    return low


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--bulk", type=int, default=10)
    args = parser.parse_args()
    with bench_site(SITE, "bench-history-"):
        from django.conf import settings

        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        return run(args)


if __name__ == "__main__":
    sys.exit(main())
