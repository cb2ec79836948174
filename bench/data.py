"""Benchmark of imports and exports (issue 25), against a baseline measured in the same run.

    .venv/bin/python bench/data.py [--records 100000] [--repeat 3]   # SQLite
    scripts/postgres.sh .venv/bin/python bench/data.py              # PostgreSQL

In one process, through the full middleware stack (django.test.Client, an editor's session),
every case twice: on the database as the API leaves it (what users get: no maintenance run),
then after the settle step (bench/common.py: ANALYZE; on PostgreSQL VACUUM ANALYZE until the
tables are all-visible, as autovacuum leaves them), each state's figures printed under it with
the machine's load average:
  export: the N records of `items` through `GET /api/v1/items/export?format=csv` (and json,
          xlsx), read to the end, `--repeat` times each in turn: rows per second (the median;
          goal >= 50,000) and how much the process's resident memory grew while it streamed
          (goal < 50 MB)
  import: a CSV of N rows (`title`, `total`, `note`) through `POST /api/v1/<app>/import`, its
          job run as it is enqueued (the work a worker does: read, check every row, write
          them in one transaction)          vs  the same rows through `POST /api/v1/<app>/records`
          in lists of 10,000 (the bulk create), records per second (goal: ratio >= 0.5)
As the API leaves it, the writes come first (they load `items`, which the exports read); once
settled, the exports come first (then the writes, into two more apps of N records each).
The engine comes from DATABASE_URL as for the site; the test database is made beside it.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    AS_LEFT,
    SETTLED,
    as_left_then_settled,
    bench_site,
    load_average,
)

ELEMENTS = (
    "elements:\n  title: {type: TEXT, max_length: 200}\n"
    "  total: {type: NUMBER, index_type: field, min: 0}\n  note: TEXT\n"
)
ACL = "acl:\n  rights:\n    reader: [editors]\n    author: [editors]\n    editor: [editors]\n"
# Each state writes through the bulk create into one app and imports into another.
APPS = {AS_LEFT: ("base", "items"), SETTLED: ("base2", "items2")}
SITE = {
    "settings.yaml": "title: Bench\ngroups: [editors]\n",
    **{f"apps/{app}/settings.yaml": ACL for pair in APPS.values() for app in pair},
    **{f"apps/{app}/blocks/item.yaml": ELEMENTS for pair in APPS.values() for app in pair},
}
TABLES = ("records_record", "records_indexentry", "records_recordversion")
BATCH = 10_000
FORMATS = ("csv", "json", "xlsx")
PAGE_BYTES = 4096


def rows(count: int) -> list[dict]:
    return [
        {"title": f"Item number {n}", "total": n % 1000, "note": "=SUM(A1:A2)" if n % 7 else "x"}
        for n in range(count)
    ]


def bulk_create(client, app: str, count: int) -> float:
    spent = 0.0
    every = rows(count)
    for low in range(0, count, BATCH):
        body = json.dumps(every[low : low + BATCH])
        began = time.perf_counter()
        response = client.post(f"/api/v1/{app}/records", body, "application/json")
        spent += time.perf_counter() - began
        assert response.status_code == 201, response.content[:300]
    return count / spent


def csv_file(count: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["title", "total", "note"])
    for row in rows(count):
        writer.writerow([row["title"], row["total"], row["note"]])
    return out.getvalue().encode()


def import_csv(client, app: str, count: int) -> float:
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = csv_file(count)
    began = time.perf_counter()
    response = client.post(
        f"/api/v1/{app}/import", {"file": SimpleUploadedFile("items.csv", content)}
    )
    spent = time.perf_counter() - began
    assert response.status_code == 202, response.content[:300]
    job = client.get(response["Location"]).json()
    assert (job["state"], job["created"]) == ("done", count), job
    return count / spent


def resident_bytes() -> int:
    import os

    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def export(client, fmt: str, count: int) -> tuple[float, float, int]:
    """(rows per second, resident memory growth in MB, bytes) of one export read to its end.
    The resident size before it includes what the import left to the allocator: growth
    beyond it is what the export itself needed (`traced_peak` counts its allocations)."""
    import gc

    gc.collect()
    before = peak = resident_bytes()
    began = time.perf_counter()
    response = client.get("/api/v1/items/export", {"format": fmt})
    assert response.status_code == 200
    size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        peak = max(peak, resident_bytes())
    spent = time.perf_counter() - began
    return count / spent, (peak - before) / 2**20, size


def traced_peak(client, fmt: str) -> float:
    """The most memory Python held at once for one export (tracemalloc), in MB."""
    import tracemalloc

    tracemalloc.start()
    response = client.get("/api/v1/items/export", {"format": fmt})
    for _ in response.streaming_content:
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def machine_speed() -> float:
    """Microseconds of one json.loads of a 4-item record on this machine now (about 2 on an
    idle 2020s core): a scale for the absolute figures."""
    text = '{"title": "Item number 5", "total": 5, "note": "x", "_author": "editor"}'
    began = time.perf_counter()
    for _ in range(20_000):
        json.loads(text)
    return (time.perf_counter() - began) / 20_000 * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each export")
    args = parser.parse_args()
    with bench_site(SITE, "bench-data-"):
        from django.test import override_settings

        # Jobs run as they are enqueued: the worker's work, timed in this process. Through
        # override_settings, whose signal drops the backends the server's start-up made.
        immediate = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
        with override_settings(TASKS=immediate):
            return run(args)


def run(args) -> int:
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client

    editors = Group.objects.get_or_create(name="editors")[0]
    user = User.objects.create_user("editor", "editor@example.com", "pw-bench-1")
    user.groups.add(editors)
    client = Client()
    client.force_login(user)
    count = args.records
    print(f"engine: {connection.vendor}; {count:,} rows")
    print(f"this machine now: json.loads of a small record {machine_speed():.1f} µs")
    failed = False
    for state in as_left_then_settled(TABLES):
        print(f"\n{state} [{load_average()}]:")
        if state == AS_LEFT:
            failed |= writes(client, state, count)
        failed |= exports(client, count, args.repeat)
        if state == SETTLED:
            failed |= writes(client, state, count)
    return 1 if failed else 0


def writes(client, state: str, count: int) -> bool:
    """The bulk create then the import, printed; True if the ratio misses its goal."""
    bulk_app, import_app = APPS[state]
    bulk = bulk_create(client, bulk_app, count)
    imported = import_csv(client, import_app, count)
    ratio = imported / bulk
    print(f"bulk create (POST /records, lists of {BATCH:,}): {bulk:,.0f} records/s")
    print(f"import of a {count:,}-row CSV (POST /import, one job): {imported:,.0f} records/s")
    print(f"  ratio import / bulk create: {ratio:.2f} (goal >= 0.5)")
    return ratio < 0.5


def exports(client, count: int, repeat: int) -> bool:
    """The three exports of `items`, each `repeat` times in turn (a burst of other work on the
    machine hits all three alike), printed; True if one's median misses a goal."""
    failed = False
    runs: dict[str, list[tuple[float, float, int]]] = {fmt: [] for fmt in FORMATS}
    for _ in range(repeat):
        for fmt in FORMATS:
            runs[fmt].append(export(client, fmt, count))
    for fmt, found in runs.items():
        per_second = statistics.median(rate for rate, _, _ in found)
        grown = max(grown for _, grown, _ in found)
        print(
            f"export {fmt} of {count:,} rows ({found[0][2] / 2**20:.1f} MB): {per_second:,.0f} "
            f"rows/s (median of {repeat}; best {max(rate for rate, _, _ in found):,.0f}), "
            f"resident memory +{grown:.1f} MB at most (goals: >= 50,000 rows/s, < 50 MB)"
        )
        print(f"  {fmt}: Python's allocations at their peak {traced_peak(client, fmt):.1f} MB")
        failed = failed or per_second < 50_000 or grown >= 50
    return failed


if __name__ == "__main__":
    sys.exit(main())
