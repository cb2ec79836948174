"""What field permissions cost (issue 26): the JSON API's list and one-record rates in an app
with `acl.fields` against the same rows in an app without.

    .venv/bin/python bench/fields.py [--records 2000] [--seconds 1] [--rounds 5]   # SQLite
    scripts/postgres.sh .venv/bin/python bench/fields.py                           # PostgreSQL

Two apps hold the same N records (`title`, `total`, `cost`): `plain` has no field rules,
`ruled` keeps `cost` to the group `managers`. Two editors read them (session auth, the full
middleware stack, django.test.Client): `ed` may not read `cost` (every answer of `ruled` is
filtered), `mo` (also in managers) reads every item (the rules cost them only the question).
Each case alternates the two sides for `--rounds` rounds and keeps each side's best; the
ratio is ruled / plain (1 is as fast; the goal is at least 0.95).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import start_django  # noqa: E402

ACL = "acl:\n  rights:\n    reader: [authenticated]\n    editor: [editors]\n"
BLOCK = "elements:\n  title: TEXT\n  total: {type: NUMBER, index_type: field}\n  cost: NUMBER\n"
SITE = {
    "settings.yaml": "title: Bench\ngroups: [editors, managers]\n",
    "apps/plain/settings.yaml": ACL,
    "apps/plain/blocks/item.yaml": BLOCK,
    "apps/ruled/settings.yaml": ACL + "  fields:\n    cost: {read: [managers]}\n",
    "apps/ruled/blocks/item.yaml": BLOCK,
}


def rate(send, urls, seconds: float) -> float:
    for url in urls[:20]:  # warm up
        assert send(url).status_code == 200
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        assert send(urls[done % len(urls)]).status_code == 200
        done += 1
    return done / (time.perf_counter() - start)


def run(args) -> int:
    from django.contrib.auth.models import Group, User
    from django.db import connection
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
        for n in range(args.records)
    ]
    for app in ("plain", "ruled"):
        answer = clients["mo"].post(f"/api/v1/{app}/records", json.dumps(rows), "application/json")
        assert answer.status_code == 201, answer.content
    one = clients["ed"].get("/api/v1/ruled/record/r000001").json()
    assert "cost" not in one and "cost" in clients["ed"].get("/api/v1/plain/record/r000001").json()

    rng = random.Random(42)  # noqa: S311 - a repeatable sample
    ids = [f"r{rng.randrange(args.records):06d}" for _ in range(300)]
    print(f"engine: {connection.vendor}; {args.records:,} records per app")
    print(f"{'case':<44}{'ruled':>8}{'plain':>8}{'ratio':>8}")
    for who, words in (("ed", "cost hidden"), ("mo", "nothing hidden")):
        client = clients[who]
        for name, path in (
            ("GET /record/<id>", [f"/record/{i}" for i in ids]),
            ("GET /records?limit=100", ["/records?limit=100"]),
        ):
            ruled = plain = 0.0
            for _ in range(args.rounds):
                ruled = max(
                    ruled, rate(client.get, [f"/api/v1/ruled{p}" for p in path], args.seconds)
                )
                plain = max(
                    plain, rate(client.get, [f"/api/v1/plain{p}" for p in path], args.seconds)
                )
            print(
                f"{name + ' (' + who + ', ' + words + ')':<44}{ruled:>8.1f}{plain:>8.1f}{ruled / plain:>8.3f}"
            )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-fields-") as tmp:
        from django.db import connection

        start_django(Path(tmp), SITE)
        old_name = connection.settings_dict["NAME"]
        try:
            return run(args)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
