"""Benchmark of the JSON record API against a plain Django view of the same rows (issue 12).

    .venv/bin/python bench/api.py [--records 100000] [--seconds 0.4] [--batches 9]  # SQLite
    scripts/postgres.sh .venv/bin/python bench/api.py                               # PostgreSQL

The engine comes from DATABASE_URL as for the site; the bench creates Django's test database
beside it (a temporary file on SQLite) and drops it at the end. It loads an app `sales`
(`reader: [authenticated]`, `editor: [editors]`, `row_owners: [salesman]`, a `total` NUMBER
field index) with N records through `POST /records` in lists of 10,000 (timed: the bulk
create line), each owned by one of 100 users (`u<n % 100>`), so a reader owns 1%; `total`
is `n % 100`, so `total > 5` matches 94% of the app. Then, in this one process and through
the full middleware stack (django.test.Client, session auth unless said; the Django floor's
client runs Django's default stack instead), it times each case against its floor in
`--batches` alternating short batches (bench/common.py `interleaved`: both sides of a batch meet
the same load), and prints requests per second (the median batch) and the ratio (ours / the
floor, the median of the per-batch ratios; 1 is as fast) with the machine's load average. It does so twice: on the
database as the API leaves it (what users get: no maintenance run), then after the settle step
(bench/common.py: ANALYZE; on PostgreSQL VACUUM ANALYZE until the tables are all-visible, as
autovacuum leaves them). The cases:

  GET /record/<id> (editor)              vs  a plain view: the row's items as JsonResponse
  the same with a Bearer token           vs  the plain view (session)
  GET /record/<id> (editor), and Bearer  vs  the Django floor: the plain view served through
                                             Django's startproject MIDDLEWARE and its own
                                             database sessions (goal >= 1.4, issue 21)
  one record a reader owns (reader)      vs  the plain view
  GET /records?limit=100 (editor)        vs  a plain view: 100 rows as JsonResponse
  the same list for a reader (RLS)       vs  the editor's list (goal >= 0.85)
  POST /search total > 5 (editor)        vs  the plain list (goal: within 2x, ratio >= 0.5)
  the same search for a reader           vs  the plain list
  GET /records?offset=<N/2> (editor)     vs  the API's first page (goal: ratio >= 0.67)
  GET /records?after=<id N/2> (editor)   vs  the API's first page
and the bulk create rates: the load (records of 3 items, indexed and owned) and 10,000
`{"n": i}` records in one request (goal: 5,000 records a second on SQLite).
Last, the cost of field rules (issue 26; bench/fields.py's rows, `--field-records` rows in two
apps, one with `acl.fields` hiding an item, one without): one record and a list of 100 for a
caller who has the item hidden and one who reads it, as CPU rates of interleaved batches and
the median per-batch ratio ruled / plain (goal >= 0.95).
Run it outside the test suite; it takes a few minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import fields  # noqa: E402
from bench.common import (  # noqa: E402
    as_left_then_settled,
    interleaved,
    load_average,
    ratio,
    start_django,
)

SITE = {
    **{path: text for path, text in fields.SITE.items() if path.startswith("apps/")},
    "settings.yaml": "title: Bench\ngroups: [editors, managers]\n",
    "apps/sales/settings.yaml": (
        "acl:\n  rights:\n    reader: [authenticated]\n    author: [editors]\n"
        "    editor: [editors]\n  row_owners: [salesman]\n"
    ),
    "apps/sales/blocks/sale.yaml": (
        "elements:\n  title: TEXT\n  total: {type: NUMBER, index_type: field}\n  salesman: TEXT\n"
    ),
    "apps/bulk/settings.yaml": "acl:\n  rights:\n    reader: [authenticated]\n    editor: [editors]\n",
    "apps/bulk/blocks/n.yaml": "elements:\n  n: {type: NUMBER, index_type: field}\n",
}
USERS = 100
# The tables the cases read, settled (bench.common) before the second run of the cases.
TABLES = ("records_record", "ownership_recordowner", "records_indexentry")
BATCH = 10_000


def setup(workdir: Path) -> None:
    start_django(workdir, SITE)
    from django.conf import settings

    settings.ROOT_URLCONF = __name__
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    urlpatterns.extend(urlpatterns_())


def plain_record(request, record_id):
    """The floor: what a Django team writes first for one record (session auth, one query).
    It reads as the server (bench.common.start_django): a plain Django app gives the records
    table's policies no caller, and pays one `set_config` per statement as ours does."""
    from django.http import Http404, JsonResponse

    from records.models import Record

    if not request.user.is_authenticated:
        raise Http404
    row = (
        Record.objects.filter(app_id="sales", record_id=record_id)
        .values_list("items", flat=True)
        .first()
    )
    if row is None:
        raise Http404
    return JsonResponse({"id": record_id, **row})


def plain_records(request):
    from django.http import Http404, JsonResponse

    from records.models import Record

    if not request.user.is_authenticated:
        raise Http404
    limit, offset = int(request.GET.get("limit", 100)), int(request.GET.get("offset", 0))
    rows = Record.objects.filter(app_id="sales").order_by("pk").values_list("record_id", "items")
    base = request.build_absolute_uri("/api/v1/sales/record/")
    return JsonResponse(
        [
            {"id": rid, "path": base + rid, "items": {"id": rid, **items}}
            for rid, items in rows[offset : offset + limit]
        ],
        safe=False,
    )


# The floor of one record (issue 21): Django's `startproject` middleware, database sessions.
DJANGO_SESSIONS = "django.contrib.sessions.backends.db"
DJANGO_DEFAULT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


def django_floor_client(user):
    """A test client signed in as `user` whose requests run through Django's default
    middleware and Django's own database sessions (`backends.db`, its `django_session`
    table) instead of the site's (same process, database and URLconf): `plain_record` served
    as a freshly started Django project would serve it."""
    from django.conf import settings
    from django.test import Client
    from django.test.client import ClientHandler

    @contextlib.contextmanager
    def floor_settings():
        floor = {"MIDDLEWARE": DJANGO_DEFAULT_MIDDLEWARE, "SESSION_ENGINE": DJANGO_SESSIONS}
        site = {name: getattr(settings, name) for name in floor}
        for name, value in floor.items():
            setattr(settings, name, value)
        try:
            yield
        finally:
            for name, value in site.items():
                setattr(settings, name, value)

    class DefaultStackHandler(ClientHandler):
        def load_middleware(self, is_async=False):
            # SessionMiddleware takes its engine when it is made.
            with floor_settings():
                super().load_middleware(is_async)

    client = Client()
    client.handler = DefaultStackHandler(enforce_csrf_checks=False)
    with floor_settings():
        client.force_login(user)  # a session of Django's own table
    return client


def urlpatterns_():
    from django.urls import include, path

    return [
        path("plain/record/<str:record_id>", plain_record),
        path("plain/records", plain_records),
        path("", include("site_config.urls")),
    ]


def teardown(old_name: str) -> None:
    from django.db import connection

    connection.creation.destroy_test_db(old_name, verbosity=0)


def load(editor, count: int) -> float:
    """N records through POST /records, BATCH at a time: records per second."""
    spent = 0.0
    for low in range(0, count, BATCH):
        body = [
            {
                "id": f"r{n:07d}",
                "title": f"Item number {n}",
                "total": n % 100,
                "salesman": f"u{n % USERS}",
            }
            for n in range(low, min(count, low + BATCH))
        ]
        began = time.perf_counter()
        response = editor.post("/api/v1/sales/records", json.dumps(body), "application/json")
        spent += time.perf_counter() - began
        assert response.status_code == 201, response.content
    return count / spent


def bulk_numbers(editor) -> float:
    body = json.dumps([{"n": i} for i in range(BATCH)])
    began = time.perf_counter()
    response = editor.post("/api/v1/bulk/records", body, "application/json")
    spent = time.perf_counter() - began
    assert response.status_code == 201, response.content
    return BATCH / spent


def cycling(send, requests):
    """One request per call, going round `requests`, each checked to answer 200."""
    state = {"done": 0}

    def once():
        request = requests[state["done"] % len(requests)]
        state["done"] += 1
        response = send(request)
        assert response.status_code == 200, (request, response.content[:300])

    return once


def warm(once, seconds: float) -> None:
    """Site cache, connections, imports: up to 20 requests (one, where one takes `seconds`)."""
    began = time.perf_counter()
    for _ in range(20):
        once()
        if time.perf_counter() - began > seconds:
            break


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=0.4, help="one side's batch")
    parser.add_argument("--batches", type=int, default=9, help="alternating batches per case")
    parser.add_argument("--field-records", type=int, default=2000)
    parser.add_argument("--field-batches", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        from django.db import connection

        setup(Path(tmp))
        old_name = connection.settings_dict["NAME"]
        try:
            return run(args)
        finally:
            teardown(old_name)


def run(args) -> int:
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client

    from accounts import tokens

    editors = Group.objects.get_or_create(name="editors")[0]
    editor_user = User.objects.create_user("editor", "editor@example.com", "pw-bench-1")
    editor_user.groups.add(editors)
    User.objects.bulk_create(
        User(username=f"u{n}", email=f"u{n}@example.com", password="!") for n in range(USERS)
    )
    editor, reader = Client(), Client()
    editor.force_login(editor_user)
    reader.force_login(User.objects.get(username="u7"))
    _, raw = tokens.create_token(editor_user)
    bearer = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    floor = django_floor_client(editor_user)

    engine = connection.vendor
    load_rate = load(editor, args.records)
    numbers_rate = bulk_numbers(editor)
    # A reader's first list brings the owner table current for the app's `row_owners` (once,
    # as on a running site), rewriting its rows: before any timing.
    assert reader.get("/api/v1/sales/records?limit=1").status_code == 200
    print(f"engine: {engine}; {args.records:,} records in app sales, {USERS} owners")
    print(f"bulk create (POST /records, lists of {BATCH:,}): {load_rate:,.0f} records/s")
    print(
        f'bulk create of {BATCH:,} {{"n": i}} records in one request: {numbers_rate:,.0f} records/s'
    )

    rng = random.Random(42)  # noqa: S311 - a repeatable sample, not a secret
    n = args.records
    ids = [f"r{rng.randrange(n):07d}" for _ in range(500)]
    owned = [f"r{m:07d}" for m in range(7, n, USERS)]
    owned = [owned[rng.randrange(len(owned))] for _ in range(500)]
    half = n // 2 // 100 * 100
    deep_id = f"r{half - 1:07d}"
    search_body = json.dumps({"query": "total > 5", "limit": 100})

    def get(client):
        return lambda url: client.get(url)

    def post(client, body):
        return lambda url: client.post(url, body, "application/json")

    # Both sides answer the same rows (checked once).
    assert editor.get(f"/api/v1/sales/record/{ids[0]}").json() == (
        editor.get(f"/plain/record/{ids[0]}").json()
    )
    assert (
        floor.get(f"/plain/record/{ids[0]}").json() == editor.get(f"/plain/record/{ids[0]}").json()
    )
    assert editor.get("/api/v1/sales/records?limit=100").json() == (
        editor.get("/plain/records?limit=100").json()
    )
    assert len(post(editor, search_body)("/api/v1/sales/search").json()) == 100
    assert editor.get(f"/api/v1/sales/records?after={deep_id}").json() == (
        editor.get(f"/api/v1/sales/records?offset={half}").json()
    )
    first_page = ["/api/v1/sales/records?limit=100"]
    plain_page = ["/plain/records?limit=100"]
    plain_one = [f"/plain/record/{i}" for i in ids]
    cases = [
        ("GET /record/<id> (editor)", get(editor), [f"/api/v1/sales/record/{i}" for i in ids],
         "plain view", get(editor), plain_one),
        ("  with a Bearer token", get(bearer), [f"/api/v1/sales/record/{i}" for i in ids],
         "plain view", get(editor), plain_one),
        ("GET /record/<id> (editor)", get(editor), [f"/api/v1/sales/record/{i}" for i in ids],
         "Django floor", get(floor), plain_one),
        ("  with a Bearer token", get(bearer), [f"/api/v1/sales/record/{i}" for i in ids],
         "Django floor", get(floor), plain_one),
        ("one record a reader owns", get(reader), [f"/api/v1/sales/record/{i}" for i in owned],
         "plain view", get(editor), [f"/plain/record/{i}" for i in owned]),
        ("GET /records?limit=100 (editor)", get(editor), first_page,
         "plain list", get(editor), plain_page),
        ("  the list for a reader (RLS)", get(reader), first_page,
         "editor's list", get(editor), first_page),
        ("POST /search total > 5 (editor)", post(editor, search_body), ["/api/v1/sales/search"],
         "plain list", get(editor), plain_page),
        ("  the search for a reader", post(reader, search_body), ["/api/v1/sales/search"],
         "plain list", get(editor), plain_page),
        (f"GET /records?offset={half:,}", get(editor), [f"/api/v1/sales/records?offset={half}"],
         "API 1st page", get(editor), first_page),
        (f"GET /records?after=<id {half:,}>", get(editor),
         [f"/api/v1/sales/records?after={deep_id}"],
         "API 1st page", get(editor), first_page),
    ]  # fmt: skip
    for state in as_left_then_settled(TABLES):
        print(f"\n{state} [{load_average()}]:")
        print(f"{'case':<34}{'req/s':>8}  {'against':<14}{'req/s':>8}{'ratio':>8}")
        for name, ours, our_urls, floor_name, floor, floor_urls in cases:
            # Alternating short batches of the two sides, the ratio taken per batch: both
            # sides of one batch meet the same load and the same warm database cache.
            sides = {"ours": cycling(ours, our_urls), "floor": cycling(floor, floor_urls)}
            for once in sides.values():
                warm(once, args.seconds)
            times = interleaved(sides, batches=args.batches, seconds=args.seconds)
            mine, theirs = (1 / statistics.median(times[side]) for side in ("ours", "floor"))
            found = ratio(times, "ours", "floor")
            print(f"{name:<34}{mine:>8.1f}  {floor_name:<14}{theirs:>8.0f}{found:>8.2f}")
    print(f"\n{args.field_records:,} records in apps ruled and plain:")
    fields.field_rows(args.field_records, args.field_batches, batch=50)
    return 0


urlpatterns: list = []  # filled by setup(): this module is the bench's URLconf

if __name__ == "__main__":
    sys.exit(main())
