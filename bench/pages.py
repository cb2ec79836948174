"""Block page vs plain Django view: requests per second in one process, one run.

The block page is the demo's home page (5 blocks, signed in as an admin so that every
block shows). The baseline is a plain view that renders the same HTML (the blocks'
markup captured once) through the same base template. A warm block page must not
re-parse YAML or re-read files; the goal is a ratio of at least 0.5.

    .venv/bin/python bench/pages.py [--seconds 2] [--rounds 5]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402
from django.urls import path  # noqa: E402

import site_config.urls  # noqa: E402

CAPTURED: dict[str, list[str]] = {}


def plain_view(request):
    return render(request, "page.html", {"page": CAPTURED["page"], "blocks": CAPTURED["blocks"]})


urlpatterns = [path("__plain__/", plain_view), *site_config.urls.urlpatterns]


def throughput(client: Client, url: str, seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        count += 1
    return count / elapsed


def capture_blocks(client: Client) -> int:
    from blocks.context import BlockContext
    from blocks.render import render_block
    from site_model.loader import current_site

    site = current_site()
    page = site.page_at("/")
    request = client.get("/").wsgi_request
    CAPTURED["page"] = page
    CAPTURED["blocks"] = [
        render_block(
            BlockContext(
                request=request, site=site, block=site.block(r.app_id, r.block_id), page=page
            )
        )
        for r in page.blocks
    ]
    return len(CAPTURED["blocks"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    parser.add_argument(
        "--rounds", type=int, default=5, help="alternating rounds; the median counts"
    )
    args = parser.parse_args()

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    admin = get_user_model().objects.create_user("bench-admin", "bench@example.com", "x")
    admin.groups.add(Group.objects.get_or_create(name="admins")[0])
    client = Client()
    client.force_login(admin)

    with override_settings(ROOT_URLCONF=__name__, SITE_DIR=settings.BASE_DIR):
        blocks = capture_blocks(client)
        block_html = client.get("/").content
        assert block_html.count(b'class="block"') == blocks, "every block of the page must show"
        throughput(client, "/", 0.5)
        throughput(client, "/__plain__/", 0.5)
        pages, plains = [], []
        for round_number in range(1, args.rounds + 1):
            pages.append(throughput(client, "/", args.seconds))
            plains.append(throughput(client, "/__plain__/", args.seconds))
            print(
                f"round {round_number}: block page {pages[-1]:7.1f} req/s   plain view {plains[-1]:7.1f} req/s"
            )
    page_rate, plain_rate = statistics.median(pages), statistics.median(plains)
    print(f"\nblock page ({blocks} blocks): {page_rate:.1f} req/s (median of {args.rounds})")
    print(f"plain view (same HTML):  {plain_rate:.1f} req/s")
    print(f"ratio block/plain:       {page_rate / plain_rate:.2f}  (goal >= 0.50)")


if __name__ == "__main__":
    main()
