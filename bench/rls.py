"""Benchmark of row-level security (issue 6): a reader's filtered pages against an editor's.

    .venv/bin/python bench/rls.py                          # SQLite (a temporary file)
    scripts/postgres.sh .venv/bin/python bench/rls.py      # PostgreSQL (a throwaway server)
    DATABASE_URL=postgres://... .venv/bin/python bench/rls.py   # a server of yours

The engine comes from DATABASE_URL as for the site. The bench never writes to that database:
it creates Django's test database beside it (a temporary file on SQLite), migrates it, and
drops it at the end. It loads an app `sales` with `row_owners: [salesman, team]`:
  - 1,000 users, each in 2 of 50 groups; 100,000 records;
  - record i: `salesman` user i % 1000 (by user name, every 7th by e-mail in capitals),
    every 10th a `team` (a group), every 50th authored by a user, the rest by the editor;
  - 2,000 `view` shares with users (through records.ownership.sharing, as the API makes them);
so a reader owns about 0.5% of the rows. `refresh` builds the owner table (timed), ANALYZE
runs, then, in the same run and alternating, it times (median of --repeat runs):
  - the selector path the API takes (`records_page()`, first page of 100, items as JSON text)
    for the list, a search with an empty query and a search with a field query;
  - the same through HTTP (`GET /records`, `POST /search`, signed in) with Django's test client;
for a reader (filtered) and for an editor (unfiltered), prints the reader/editor ratio (goal:
under 2) and the plans of the reader's queries (EXPLAIN QUERY PLAN / EXPLAIN).
Takes two to four minutes on a small machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import start_django  # noqa: E402

SITE = {
    "settings.yaml": "title: Bench\n",
    "apps/sales/settings.yaml": (
        "acl:\n  rights:\n    reader: [authenticated]\n    editor: [admins]\n"
        "  row_owners: [salesman, team]\n"
    ),
    "apps/sales/blocks/sale.yaml": (
        "elements:\n  amount: {type: NUMBER, index_type: field}\n"
        "  region: {type: TEXT, index_type: field}\n"
    ),
}
USERS, GROUPS, REGIONS = 1000, 50, ("north", "south", "east", "west")
FIELD_QUERY = "region == 'west'"


def setup(workdir: Path) -> None:
    start_django(workdir, SITE)


def load_people() -> None:
    """USERS users (u0000...), each in 2 of GROUPS groups, and `editor` in group admins."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    User = get_user_model()
    groups = Group.objects.bulk_create(Group(name=f"g{g:02d}") for g in range(GROUPS))
    admins = Group.objects.create(name="admins")
    users = User.objects.bulk_create(
        User(username=f"u{u:04d}", email=f"u{u:04d}@example.com", password="!")
        for u in range(USERS)
    )
    editor = User.objects.create(username="editor", email="editor@example.com", password="!")
    editor.groups.add(admins)
    Membership = User.groups.through
    Membership.objects.bulk_create(
        Membership(user_id=user.pk, group_id=groups[g].pk)
        for n, user in enumerate(users)
        for g in {n % GROUPS, (n * 7 + 3) % GROUPS}
    )


def load(app, count: int, shares: int) -> None:
    import random

    from django.db import connection, transaction

    from records.models import Record
    from records.ownership import sharing
    from records.store import app_reindex

    began = time.perf_counter()
    load_people()
    for low in range(0, count, 5000):
        with transaction.atomic():
            Record.objects.bulk_create(
                Record(app_id="sales", record_id=f"s{i:06d}", block_id="sale", items=items_of(i))
                for i in range(low, min(count, low + 5000))
            )
    print(
        f"loaded {count:,} records, {USERS} users, {GROUPS} groups: {time.perf_counter() - began:.1f} s"
    )
    began = time.perf_counter()
    app_reindex(app=app)
    print(f"refresh (owner table and indexes of every record): {time.perf_counter() - began:.1f} s")
    began = time.perf_counter()
    rng = random.Random(6)  # noqa: S311 - a repeatable sample, not a secret
    by_id = {r.pk: r for r in Record.objects.filter(app_id="sales").only("pk")[:count]}
    pks = sorted(by_id)
    with transaction.atomic():
        for _ in range(shares):
            record = by_id[rng.choice(pks)]
            user = f"u{rng.randrange(USERS):04d}"
            sharing.record_share(record=record, principal=user, permissions=("view",))
    print(
        f"{shares:,} shares through records.ownership.sharing: {time.perf_counter() - began:.1f} s"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def items_of(i: int) -> dict:
    user = f"u{i % USERS:04d}"
    items = {
        "salesman": f"{user.upper()}@EXAMPLE.COM" if i % 7 == 0 else user,
        "amount": i % 997,
        "region": REGIONS[(i * 2654435761 >> 7) % 4],  # spread over every salesman's rows
        "_author": f"u{(i // 50) % USERS:04d}" if i % 50 == 0 else "editor",
        "block": "sale",
    }
    if i % 10 == 0:
        items["team"] = f"g{(i // 10) % GROUPS:02d}"
    return items


def access_of(app, username: str):
    from django.contrib.auth import get_user_model

    from accounts.identity import who_for
    from site_model.acl import access_for

    return access_for(app.acl, who_for(get_user_model().objects.get(username=username)))


def selector_case(app, access, query):
    from records import selectors

    def run():
        return len(
            selectors.records_page(app, access=access, query=query, limit=100, rows=True).records
        )

    return run


def http_case(client, method: str):
    if method == "GET":
        return lambda: len(client.get("/api/v1/sales/records?limit=100").json())
    return lambda: len(
        client.post(
            "/api/v1/sales/search",
            json.dumps({"query": FIELD_QUERY}),
            content_type="application/json",
        ).json()
    )


def timed(run, repeat: int) -> tuple[float, int]:
    found = run()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        found = run()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), found


def plan(app, access, query) -> str:
    from django.db.models import TextField
    from django.db.models.functions import Cast

    from records import selectors

    qs = (
        selectors.app_records(app.id)
        .filter(selectors.readable_q(access))  # in records_page()'s order
        .filter(selectors.query_filter(app, query))
        .order_by(*selectors.ordering_for(app, None, False))
        .annotate(items_json=Cast("items", TextField()))
        .values_list("record_id", "items_json")
    )
    return f"{qs[:101].query}\n{qs[:101].explain()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--shares", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=30, help="runs of each case (median)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-rls-") as tmp:
        from django.db import connection

        setup(Path(tmp))
        old_name = connection.settings_dict["NAME"]
        try:
            from django.contrib.auth import get_user_model
            from django.test import Client

            from site_model.loader import current_site

            app = current_site().apps["sales"]
            vendor = connection.vendor
            version = (
                connection.Database.sqlite_version if vendor == "sqlite" else connection.pg_version
            )
            print(f"engine: {vendor} {version}")
            load(app, args.records, args.shares)
            reader, editor = access_of(app, "u0042"), access_of(app, "editor")
            clients = {}
            for name in ("u0042", "editor"):
                clients[name] = Client()
                clients[name].force_login(get_user_model().objects.get(username=name))
            cases = [
                (
                    "list (records_page)",
                    selector_case(app, reader, None),
                    selector_case(app, editor, None),
                ),
                (
                    "search '' (records_page)",
                    selector_case(app, reader, ""),
                    selector_case(app, editor, ""),
                ),
                (
                    f"search {FIELD_QUERY}",
                    selector_case(app, reader, FIELD_QUERY),
                    selector_case(app, editor, FIELD_QUERY),
                ),
                (
                    "GET /records (HTTP)",
                    http_case(clients["u0042"], "GET"),
                    http_case(clients["editor"], "GET"),
                ),
                (
                    "POST /search field (HTTP)",
                    http_case(clients["u0042"], "POST"),
                    http_case(clients["editor"], "POST"),
                ),
            ]
            print(
                f"\nreader u0042 ({len(reader.row_filter.keys)} keys), editor; first page of 100:"
            )
            print(
                f"{'case':<32}{'reader ms':>10}{'rows':>6}{'editor ms':>11}{'rows':>6}{'ratio':>7}"
            )
            for name, filtered, unfiltered in cases:
                best_r = best_e = None
                for _ in range(2):  # alternate, keep each side's best median
                    r = timed(filtered, args.repeat)
                    e = timed(unfiltered, args.repeat)
                    best_r = r if best_r is None or r[0] < best_r[0] else best_r
                    best_e = e if best_e is None or e[0] < best_e[0] else best_e
                print(
                    f"{name:<32}{best_r[0]:>10.2f}{best_r[1]:>6}{best_e[0]:>11.2f}{best_e[1]:>6}"
                    f"{best_r[0] / best_e[0]:>7.2f}"
                )
            for query in (None, FIELD_QUERY):
                print(f"\nplan of the reader's {'list' if query is None else 'search ' + query}:")
                print(plan(app, reader, query))
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
