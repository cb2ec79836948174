"""What field permissions cost (issue 26): the JSON API's list and one-record rates in an app
with `acl.fields` against the same rows in an app without.

    .venv/bin/python bench/fields.py [--records 2000] [--batches 40] [--batch 50]  # SQLite
    scripts/postgres.sh .venv/bin/python bench/fields.py                           # PostgreSQL

bench/api.py runs the same rows (`field_rows`) after its own cases, on its own database.

Two apps hold the same N records (`title`, `total`, `cost`): `plain` has no field rules,
`ruled` keeps `cost` to the group `managers`. Two editors read them (session auth, the full
middleware stack, django.test.Client): `ed` may not read `cost` (every answer of `ruled` is
filtered), `mo` (also in managers) reads every item (the rules cost them only the question).
Each case times batches of both sides, interleaved in alternating order, in CPU seconds of
this process (on SQLite the database runs in it too, so other jobs on a busy machine count
little), and prints each side's rate and the median of the per-batch ratios ruled / plain
(1 is as fast; the goal is at least 0.95). On PostgreSQL the server's share is not counted.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import bench_site  # noqa: E402

ACL = "acl:\n  rights:\n    reader: [authenticated]\n    editor: [editors]\n"
BLOCK = "elements:\n  title: TEXT\n  total: {type: NUMBER, index_type: field}\n  cost: NUMBER\n"
SITE = {
    "settings.yaml": "title: Bench\ngroups: [editors, managers]\n",
    "apps/plain/settings.yaml": ACL,
    "apps/plain/blocks/item.yaml": BLOCK,
    "apps/ruled/settings.yaml": ACL + "  fields:\n    cost: {read: [managers]}\n",
    "apps/ruled/blocks/item.yaml": BLOCK,
}


def cost(send, urls) -> float:
    """CPU seconds of this process for one request to each of `urls` (the site, and on
    SQLite the database, run in this process: other jobs on the machine do not count)."""
    began = time.process_time()
    for url in urls:
        assert send(url).status_code == 200
    return time.process_time() - began


def ratio(send, ruled: list[str], plain: list[str], batches: int) -> tuple[float, float, float]:
    """(ruled req/s, plain req/s, the median of the per-batch rate ratios ruled / plain):
    batches of both sides interleaved, in alternating order, after a warm-up."""
    cost(send, ruled[:20] + plain[:20])
    ratios, spent = [], [0.0, 0.0]
    for batch in range(batches):
        sides = [(0, ruled), (1, plain)] if batch % 2 else [(1, plain), (0, ruled)]
        took = [0.0, 0.0]
        for index, urls in sides:
            took[index] = cost(send, urls)
            spent[index] += took[index]
        ratios.append(took[1] / took[0])  # rate ratio: plain's time / ruled's time
    requests = batches * len(ruled)
    return requests / spent[0], requests / spent[1], statistics.median(ratios)


def run(args) -> int:
    from django.db import connection

    print(f"engine: {connection.vendor}; {args.records:,} records per app")
    field_rows(args.records, args.batches, args.batch)
    return 0


def field_rows(records: int, batches: int, batch: int) -> None:
    """Load `records` rows into `plain` and `ruled` (SITE's apps), then print a row per case:
    ruled and plain CPU rates and the median of the per-batch ratios."""
    from django.contrib.auth.models import Group, User
    from django.test import Client

    editors = Group.objects.get_or_create(name="editors")[0]
    managers = Group.objects.get_or_create(name="managers")[0]
    ed = User.objects.create_user("ed", "ed@example.com", "pw-bench-1")
    ed.groups.add(editors)
    mo = User.objects.create_user("mo", "mo@example.com", "pw-bench-1")
    mo.groups.add(editors, managers)
    clients = {}
    for user in (ed, mo):
        clients[user.username] = Client()
        clients[user.username].force_login(user)
    rows = [
        {"id": f"r{n:06d}", "title": f"Item number {n}", "total": n % 100, "cost": n * 1.5}
        for n in range(records)
    ]
    for app in ("plain", "ruled"):
        answer = clients["mo"].post(f"/api/v1/{app}/records", json.dumps(rows), "application/json")
        assert answer.status_code == 201, answer.content
    one = clients["ed"].get("/api/v1/ruled/record/r000001").json()
    assert "cost" not in one and "cost" in clients["ed"].get("/api/v1/plain/record/r000001").json()

    rng = random.Random(42)  # noqa: S311 - a repeatable sample
    ids = [f"r{rng.randrange(records):06d}" for _ in range(300)]
    print(
        f"{'field rules (acl.fields), case':<44}{'ruled':>8}{'plain':>8}{'ratio':>8}   (CPU req/s, median ratio)"
    )
    for who, words in (("ed", "cost hidden"), ("mo", "nothing hidden")):
        client = clients[who]
        for name, paths in (
            ("GET /record/<id>", [f"/record/{i}" for i in ids[:batch]]),
            ("GET /records?limit=100", ["/records?limit=100"] * max(1, batch // 10)),
        ):
            ruled, plain, median = ratio(
                client.get,
                [f"/api/v1/ruled{p}" for p in paths],
                [f"/api/v1/plain{p}" for p in paths],
                batches,
            )
            label = f"{name} ({who}, {words})"
            print(f"{label:<44}{ruled:>8.1f}{plain:>8.1f}{median:>8.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch", type=int, default=50, help="requests of one record per batch")
    args = parser.parse_args()
    with bench_site(SITE, "bench-fields-"):
        return run(args)


if __name__ == "__main__":
    sys.exit(main())
