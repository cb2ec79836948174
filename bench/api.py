"""Benchmark of the JSON record API against a plain Django view reading the same rows.

    .venv/bin/python bench/api.py [--records 100000] [--seconds 3] [--rounds 3]

Loads N records into a throw-away SQLite database (a temporary file; DATABASE_URL is not
used), then, in this one process and through the full middleware stack (django.test.Client):
  - GET /api/v1/bench/record/<id>         vs  a plain view returning JsonResponse of that row
  - GET /api/v1/bench/records?limit=100   vs  a plain view returning the same 100 rows
and prints requests per second (the best of `rounds` alternating rounds of each side) and
the API/plain ratio (goal: at least 0.5).
Run it outside the test suite; it takes about a minute.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import start_django  # noqa: E402

SITE = {
    "settings.yaml": "title: Bench\n",
    "apps/bench/settings.yaml": "acl:\n  rights:\n    reader: ['*']\n    manager: [admins]\n",
    "apps/bench/blocks/item.yaml": "elements:\n  title: TEXT\n  price: {type: NUMBER, index_type: field}\n",
}


def setup(workdir: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    start_django(workdir, SITE, test_database=False)
    from django.conf import settings

    settings.ROOT_URLCONF = __name__
    urlpatterns.extend(urlpatterns_())


def plain_record(request, record_id):
    from django.http import Http404, JsonResponse

    from records.models import Record

    row = (
        Record.objects.filter(app_id="bench", record_id=record_id)
        .values_list("items", flat=True)
        .first()
    )
    if row is None:
        raise Http404
    return JsonResponse({"id": record_id, **row})


def plain_records(request):
    from django.http import JsonResponse

    from records.models import Record

    limit, offset = int(request.GET.get("limit", 100)), int(request.GET.get("offset", 0))
    rows = Record.objects.filter(app_id="bench").order_by("pk").values_list("record_id", "items")
    base = request.build_absolute_uri("/api/v1/bench/record/")
    return JsonResponse(
        [
            {"id": rid, "path": base + rid, "items": items}
            for rid, items in rows[offset : offset + limit]
        ],
        safe=False,
    )


def urlpatterns_():
    from django.urls import include, path

    return [
        path("plain/record/<str:record_id>", plain_record),
        path("plain/records", plain_records),
        path("", include("site_config.urls")),
    ]


def load(count: int) -> None:
    from django.core.management import call_command

    from records.models import Record

    call_command("migrate", verbosity=0)
    batch = []
    start = time.perf_counter()
    for n in range(count):
        batch.append(
            Record(
                app_id="bench",
                record_id=f"r{n:06d}",
                block_id="item",
                items={
                    "title": f"Item number {n}",
                    "price": n % 1000,
                    "tags": ["a", "b"],
                    "block": "item",
                },
            )
        )
        if len(batch) == 5000:
            Record.objects.bulk_create(batch)
            batch = []
    Record.objects.bulk_create(batch)
    print(f"loaded {Record.objects.count():,} records in {time.perf_counter() - start:.1f} s")


def rate(client, urls, seconds: float) -> float:
    for url in urls[:20]:  # warm up: site cache, connections, imports
        assert client.get(url).status_code == 200, url
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        response = client.get(urls[done % len(urls)])
        assert response.status_code == 200
        done += 1
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup(Path(tmp))
        load(args.records)
        from django.test import Client

        client = Client()
        rng = random.Random(42)  # noqa: S311 - a repeatable sample, not a secret
        ids = [f"r{rng.randrange(args.records):06d}" for _ in range(2000)]
        offsets = [rng.randrange(0, max(1, args.records - 100)) // 100 * 100 for _ in range(200)]
        # Both sides answer the same bytes for the same rows (checked once).
        api_one = client.get(f"/api/v1/bench/record/{ids[0]}").json()
        assert api_one == client.get(f"/plain/record/{ids[0]}").json()
        api_page = client.get(f"/api/v1/bench/records?limit=100&offset={offsets[0]}").json()
        assert api_page == client.get(f"/plain/records?limit=100&offset={offsets[0]}").json()
        cases = [
            (
                "GET /record/<id>",
                [f"/api/v1/bench/record/{i}" for i in ids],
                [f"/plain/record/{i}" for i in ids],
            ),
            (
                "GET /records?limit=100",
                [f"/api/v1/bench/records?limit=100&offset={o}" for o in offsets],
                [f"/plain/records?limit=100&offset={o}" for o in offsets],
            ),
        ]
        print(f"{'case':<24}{'API req/s':>12}{'plain req/s':>14}{'ratio':>8}")
        for name, api_urls, plain_urls in cases:
            # Alternate the two sides and keep each one's best round, so that neither gains
            # from a database cache the other one warmed.
            api = plain = 0.0
            for _ in range(args.rounds):
                api = max(api, rate(client, api_urls, args.seconds))
                plain = max(plain, rate(client, plain_urls, args.seconds))
            print(f"{name:<24}{api:>12.0f}{plain:>14.0f}{api / plain:>8.2f}")


urlpatterns: list = []  # filled by setup(): this module is the bench's URLconf

if __name__ == "__main__":
    main()
