"""What every benchmark does first: a site folder of its own, Django configured for it."""

from __future__ import annotations

import os
from pathlib import Path


def start_django(workdir: Path, site_files: dict[str, str], *, test_database: bool = True) -> None:
    """Write the bench's site into `workdir`, configure Django for it and, with
    `test_database`, create a fresh test database (a file on SQLite, as a site has)."""
    site = workdir / "site"
    for rel, text in site_files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)
    os.environ["SITE_DIR"] = str(site)
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")
    import django

    django.setup()
    if not test_database:
        return
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "sqlite":
        # The default test database of SQLite is in memory; a site's is a file.
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(workdir / "bench.db")
    connection.creation.create_test_db(verbosity=0, autoclobber=True)


def settle_database(tables: tuple[str, ...] = ()) -> None:
    """Statistics, and on PostgreSQL the state autovacuum reaches on a quiet table: the
    visibility map set, so that index-only scans read no heap. One VACUUM right after a bulk
    load may leave pages unmarked (an autovacuum running beside it holds the horizon back);
    it is repeated, a few times at most, until `tables` are 95% all-visible."""
    import time

    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("ANALYZE")
            return
        for _ in range(10):
            cursor.execute("VACUUM ANALYZE")
            cursor.execute(
                "SELECT COALESCE(MIN(relallvisible::float / GREATEST(relpages, 1)), 1) "
                "FROM pg_class WHERE relname = ANY(%s)",
                [list(tables)],
            )
            if cursor.fetchone()[0] >= 0.95:
                return
            time.sleep(1)


AS_LEFT = "as the site leaves it"
SETTLED = "settled"


def as_left_then_settled(tables: tuple[str, ...] = ()):
    """The two states a bench measures each case in, in turn: first the database as the
    site's own writes left it (no maintenance run afterwards: what users get until, on
    PostgreSQL, autovacuum comes by), then after `settle_database(tables)`.

        for state in as_left_then_settled(tables):
            ...time every case, print them under `state`...
    """
    yield AS_LEFT
    settle_database(tables)
    yield SETTLED
