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

With --policies (PostgreSQL only: issue 28, contract §12) it times instead both layers against
the Python layer alone, through HTTP as the signed-in reader u0042 (Django's test client, so
RowSecurityMiddleware sets the caller as in production): GET one record, GET /records (first
page of 100), POST /search (an empty query, a field query), POST /aggregate (count and sum of
`amount` by `region`). Each case runs with the policies on (as deployed) and off (row-level
security disabled on the tables of migration 0018's POLICIES, DATABASE_ROW_SECURITY=False and no
`set_config` sent: a site without the feature), alternating in --rounds rounds of --seconds per
case, the order flipped each round; it checks that both answer the same and prints, per case,
the median per round of off ms / on ms (goal >= 0.9), first as loaded (ANALYZE only), then
settled (VACUUM ANALYZE), and EXPLAIN ANALYZE of the reader's list (--explain: other cases)
on and off.

Measured 2026-12-07 (--policies, PostgreSQL 15, the shared 2-core machine, loaded by other
jobs), off/on as loaded / settled:
  - migration 0013's policies (load 3.5-4.9): one record 0.29 / 0.73, list 0.53 / 0.56,
    search '' 0.66 / 0.74, search field 0.70 / 0.75, aggregate 0.45 / 0.43 (earlier runs:
    one record 0.25-0.42, list 0.43-0.62, search 0.36-0.59, aggregate 0.43-0.49);
  - migration 0018's (load 5-6, --rounds 9): one record 0.73 / 0.79, list 0.60 / 0.76,
    search '' 0.70 / 0.80, search field 0.73 / 0.78, aggregate 0.63 / 0.67; again at load
    2.5 (on ms / off ms settled: 2.6 / 1.6, 7.4 / 5.0, 8.6 / 4.8, 15.1 / 10.1, 29.8 / 16.7):
    0.83 / 0.67, 0.72 / 0.71, 0.69 / 0.65, 0.70 / 0.74, 0.75 / 0.53;
still below the issue's 0.9. Again 2026-12-07 evening (load 1.1-1.6), the caller's
set_config sent with its statement (site_config/postgresql's pipeline): 0.81 / 0.81,
0.71 / 0.71, 0.68 / 0.72, 0.50 / 0.53, 0.41 / 0.51 (on ms / off ms settled: 1.61 / 1.34,
3.21 / 2.34, 3.39 / 2.42, 6.65 / 3.68, 18.73 / 9.14). The reader's list now costs the
database 0.75 ms of planning and 1.9 ms of execution against 0.28 and 0.74 without policies (--explain): the owner rows the
Python filter reads each pass the owner table's policy (+0.3 ms), each record found probes
its owner key (+0.3 ms), the shared records build the share set (+0.2 ms), the transaction's
first statement checks the caller's context (+0.2 ms); the policies' subqueries are planned
at every statement (Django sends no prepared statement). Before the helper functions became
PL/pgSQL (SQL ones planned their bodies on every call) 0.15-0.3, the aggregate 0.04 (its cost
crossed jit_above_cost). Later that night (load 0.9-1.0), the reader's aggregate in one
statement, each value looked up once per record (records/aggregate.py `FENCE`): one record
0.78 / 0.76, list 0.75 / 0.64, search '' 0.59 / 0.60, search field 0.57 / 0.56, aggregate
0.72 / 0.58 (on ms / off ms settled: 2.00 / 1.48, 4.40 / 2.84, 4.52 / 2.91, 8.63 / 4.71,
13.25 / 7.62; the aggregate's was 18.73 / 9.14): the lookups removed each carried the index
rows' policy, which is why the aggregate's ratio rose where the others stayed.
2026-12-08 (load 1.0-1.1), a request in no transaction of its own (each statement sent with
its caller as one simple query: two round trips fewer, BEGIN and COMMIT): 0.88 / 0.82,
0.74 / 0.75, 0.78 / 0.74, 0.75 / 0.65, 0.66 / 0.66; then with a page's statements prepared
(records/statements.py): 0.78 / 0.80, 0.66 / 0.68, 0.72 / 0.71, 0.68 / 0.62, 0.78 / 0.72.
From run to run the figures drift by up to 0.08, as much as either change moved them. The
same cases in one process on one database, PREPARED_READS off and on interleaved (10 rounds
of 0.5 s; off, no read is prepared, the session's and the record's neither), on ms / off ms:
one record 4.32 / 3.23 -> 3.00 / 2.62, list 6.93 / 4.84 -> 5.30 / 3.16, search
'' 7.72 / 5.04 -> 5.76 / 4.08, search field 13.17 / 8.58 -> 12.15 / 7.39, aggregate (not
prepared) 18.64 / 12.57 -> 17.51 / 12.01. Preparing took as much off the site without
policies as with them: what is left is the policies' execution (a list statement 1.7 ms
against 0.8 ms, `EXPLAIN (ANALYZE, TIMING OFF)`), not their planning.
"""

from __future__ import annotations

import argparse
import importlib
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


POLICY_CASES = (  # name, method, path, body
    ("GET one record", "GET", "/api/v1/sales/record/s000042", None),
    ("GET /records (first 100)", "GET", "/api/v1/sales/records?limit=100", None),
    ("POST /search ''", "POST", "/api/v1/sales/search", {"query": ""}),
    (f"POST /search {FIELD_QUERY}", "POST", "/api/v1/sales/search", {"query": FIELD_QUERY}),
    (
        "POST /aggregate by region",
        "POST",
        "/api/v1/sales/aggregate",
        {"group_by": ["region"], "metrics": {"n": "count", "total": "sum:amount"}},
    ),
)


def request(client, method: str, path: str, body) -> bytes:
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, json.dumps(body), content_type="application/json")
    if response.status_code != 200:
        raise SystemExit(f"{method} {path}: {response.status_code} {response.content[:300]!r}")
    return response.content


def set_policies(on: bool) -> None:
    """The policies as deployed (on), or a site without them (off): row-level security
    disabled on every table that has it, and the backend sending no caller."""
    from django.conf import settings
    from django.db import connection

    migration = importlib.import_module("records.migrations.0018_row_security_context")

    connection.close()  # a new session: no plan or caller of the other state kept
    with connection.cursor() as cursor:
        for table in migration.POLICIES:
            cursor.execute(
                f"ALTER TABLE {table} {'ENABLE' if on else 'DISABLE'} ROW LEVEL SECURITY"
            )
    settings.DATABASE_ROW_SECURITY = on
    connection.ensure_connection()
    wrapper = connection._as_caller
    connection.execute_wrappers[:] = [w for w in connection.execute_wrappers if w != wrapper]
    if on:
        connection.execute_wrappers.append(wrapper)


def time_policies(client, rounds: int, seconds: float) -> dict[tuple[str, bool], list[float]]:
    """ms per call of each case, one figure per round, policies on and off in turn."""
    times: dict[tuple[str, bool], list[float]] = {}
    for number in range(rounds):
        for on in (True, False) if number % 2 == 0 else (False, True):
            set_policies(on)
            for name, method, path, body in POLICY_CASES:
                request(client, method, path, body)  # warm: plans, the session's caches
                calls, began = 0, time.perf_counter()
                while (spent := time.perf_counter() - began) < seconds or calls == 0:
                    request(client, method, path, body)
                    calls += 1
                times.setdefault((name, on), []).append(spent / calls * 1000)
    return times


def print_policy_times(times, state: str) -> None:
    from bench.common import load_average

    print(f"\n{state}: reader u0042 through HTTP, median of the rounds ({load_average()}):")
    print(f"{'case':<36}{'on ms':>9}{'off ms':>9}{'off/on':>8}")
    for name, *_ in POLICY_CASES:
        on, off = times[(name, True)], times[(name, False)]
        ratio = statistics.median(f / n for n, f in zip(on, off, strict=True))
        flag = "" if ratio >= 0.9 else "  < 0.9"
        print(
            f"{name:<36}{statistics.median(on):>9.2f}{statistics.median(off):>9.2f}"
            f"{ratio:>8.2f}{flag}"
        )


def same_answers(client) -> None:
    """Both states answer every case alike (the policies change no reader's answer)."""
    answers = {}
    for on in (True, False):
        set_policies(on)
        answers[on] = [request(client, m, p, b) for _, m, p, b in POLICY_CASES]
    for (name, *_), with_policies, without in zip(
        POLICY_CASES, answers[True], answers[False], strict=True
    ):
        if with_policies != without:
            raise SystemExit(f"{name}: the answer differs with the policies on and off")
    print(f"the {len(POLICY_CASES)} answers are the same with the policies on and off")


def statements_of(client, case) -> list[tuple[str, object]]:
    """The statements (and parameters) of the reader's request `case` that read
    records_record, as sent."""
    from django.db import connection

    found = []

    def collect(execute, sql, params, many, context):
        if "records_record" in sql:
            found.append((sql, params))
        return execute(sql, params, many, context)

    _, method, path, body = case
    with connection.execute_wrapper(collect):
        request(client, method, path, body)
    return found


def explain(client, who, case) -> None:
    """EXPLAIN ANALYZE of `case`'s statements, policies on and off, run as the reader."""
    from django.db import connection, transaction

    from records import rls

    for on in (True, False):
        set_policies(on)
        for sql, params in statements_of(client, case):
            with rls.acting_as(who), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                shown = "\n".join(row[0] for row in cursor.fetchall())
            print(f"\n{case[0]}, policies {'on' if on else 'off'}:\n{sql}\n{params}\n{shown}")


def policies_main(args) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from accounts.identity import who_for
    from bench.common import as_left_then_settled
    from site_model.loader import current_site

    if connection.vendor != "postgresql":
        raise SystemExit("--policies: PostgreSQL only (scripts/postgres.sh ...)")
    print(f"engine: postgresql {connection.pg_version}")
    load(current_site().apps["sales"], args.records, args.shares)
    user = get_user_model().objects.get(username="u0042")
    client = Client()
    client.force_login(user)
    same_answers(client)
    tables = ("records_record", "records_indexentry", "ownership_recordowner")
    for state in as_left_then_settled(tables) if args.rounds else ():
        print_policy_times(time_policies(client, args.rounds, args.seconds), state)
    for case in POLICY_CASES:
        if case[0] in args.explain:
            explain(client, who_for(user), case)
    set_policies(True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--shares", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=30, help="runs of each case (median)")
    parser.add_argument(
        "--policies", action="store_true", help="PostgreSQL's policies on against off (issue 28)"
    )
    parser.add_argument("--rounds", type=int, default=7, help="--policies: rounds on and off")
    parser.add_argument("--seconds", type=float, default=0.5, help="--policies: per case, round")
    parser.add_argument(
        "--explain",
        nargs="*",
        default=[POLICY_CASES[1][0]],
        metavar="CASE",
        help="--policies: the cases whose plans to print (default: the list)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-rls-") as tmp:
        from django.db import connection

        setup(Path(tmp))
        old_name = connection.settings_dict["NAME"]
        try:
            if args.policies:
                policies_main(args)
                return 0
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
