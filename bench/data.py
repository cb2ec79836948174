"""Benchmark of imports and exports (issue 25), against a baseline measured in the same run.

    .venv/bin/python bench/data.py [--records 100000]          # SQLite
    scripts/postgres.sh .venv/bin/python bench/data.py         # PostgreSQL

In one process, through the full middleware stack (django.test.Client, an editor's session):
  import: a CSV of N rows (`title`, `total`, `note`) through `POST /api/v1/items/import`, its
          job run as it is enqueued (the work a worker does: read, check every row, write
          them in one transaction)          vs  the same rows through `POST /api/v1/base/records`
          in lists of 10,000 (the bulk create), records per second (goal: ratio >= 0.5)
  export: the N records through `GET /api/v1/items/export?format=csv` (and json, xlsx), read
          to the end: rows per second (goal >= 50,000) and how much the process's resident
          memory grew while it streamed (goal < 50 MB)
The engine comes from DATABASE_URL as for the site; the test database is made beside it.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import bench_site  # noqa: E402

ELEMENTS = (
    "elements:\n  title: {type: TEXT, max_length: 200}\n"
    "  total: {type: NUMBER, index_type: field, min: 0}\n  note: TEXT\n"
)
ACL = "acl:\n  rights:\n    reader: [editors]\n    author: [editors]\n    editor: [editors]\n"
SITE = {
    "settings.yaml": "title: Bench\ngroups: [editors]\n",
    "apps/items/settings.yaml": ACL,
    "apps/items/blocks/item.yaml": ELEMENTS,
    "apps/base/settings.yaml": ACL,
    "apps/base/blocks/item.yaml": ELEMENTS,
}
BATCH = 10_000
PAGE_BYTES = 4096


def rows(count: int) -> list[dict]:
    return [
        {"title": f"Item number {n}", "total": n % 1000, "note": "=SUM(A1:A2)" if n % 7 else "x"}
        for n in range(count)
    ]


def bulk_create(client, count: int) -> float:
    spent = 0.0
    every = rows(count)
    for low in range(0, count, BATCH):
        body = json.dumps(every[low : low + BATCH])
        began = time.perf_counter()
        response = client.post("/api/v1/base/records", body, "application/json")
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


def import_csv(client, count: int) -> float:
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = csv_file(count)
    began = time.perf_counter()
    response = client.post(
        "/api/v1/items/import", {"file": SimpleUploadedFile("items.csv", content)}
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
    args = parser.parse_args()
    with bench_site(SITE, "bench-data-"):
        from django.conf import settings

        # Jobs run as they are enqueued: the worker's work, timed in this process.
        settings.TASKS = {
            "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
        }
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
    bulk = bulk_create(client, count)
    imported = import_csv(client, count)
    ratio = imported / bulk
    print(f"bulk create (POST /records, lists of {BATCH:,}): {bulk:,.0f} records/s")
    print(f"import of a {count:,}-row CSV (POST /import, one job): {imported:,.0f} records/s")
    print(f"  ratio import / bulk create: {ratio:.2f} (goal >= 0.5)")
    failed = ratio < 0.5
    for fmt in ("csv", "json", "xlsx"):
        per_second, grown, size = export(client, fmt, count)
        print(
            f"export {fmt} of {count:,} rows ({size / 2**20:.1f} MB): {per_second:,.0f} rows/s, "
            f"resident memory +{grown:.1f} MB (goals: >= 50,000 rows/s, < 50 MB)"
        )
        print(f"  {fmt}: Python's allocations at their peak {traced_peak(client, fmt):.1f} MB")
        if fmt == "csv":
            failed = failed or per_second < 50_000 or grown >= 50
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
