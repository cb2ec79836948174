"""What every benchmark does first: a site folder of its own, Django configured for it."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
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
    import site_config.wsgi  # noqa: F401 - the server's start-up, as gunicorn's worker runs it
    from records import rls

    # The bench's own loads and reads are the server's, as manage.py's are; a request still
    # runs as its caller. On PostgreSQL a statement with no caller sees no record (§12).
    rls.trust_this_thread()
    if not test_database:
        return
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "sqlite":
        # The default test database of SQLite is in memory; a site's is a file.
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(workdir / "bench.db")
    connection.creation.create_test_db(verbosity=0, autoclobber=True)


@contextmanager
def bench_site(site_files: dict[str, str], prefix: str):
    """A temporary folder holding the bench's site, Django started on it with a fresh test
    database (`start_django`), and that database dropped on the way out."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        start_django(Path(tmp), site_files)
        from django.db import connection

        old_name = connection.settings_dict["NAME"]
        try:
            yield
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)


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


def interleaved(cases: dict, *, batches: int, seconds: float) -> dict[str, list[float]]:
    """Time `cases` (name -> a function of no argument) in alternating short batches: each
    batch runs every case for `seconds` (at least once), in turn, the order flipped from one
    batch to the next. Answers each case's seconds per call, one figure per batch.

    On a machine shared with other jobs, the load changes from one second to the next: two
    cases timed in the same batch, a second apart, meet about the same load, so the ratio of
    their times in one batch holds where their separate bests do not (`ratio`)."""
    import time

    for run in cases.values():  # warm: imports, caches, connections, prepared statements
        run()
    times: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for batch in range(batches):
        for name in names if batch % 2 == 0 else reversed(names):
            run, calls = cases[name], 0
            began = time.perf_counter()
            while True:
                run()
                calls += 1
                spent = time.perf_counter() - began
                if spent >= seconds:
                    break
            times[name].append(spent / calls)
    return times


def ratio(times: dict[str, list[float]], faster: str, slower: str) -> float:
    """How many times faster `faster` ran than `slower`: the median over the batches of the
    ratio of their times in the same batch."""
    import statistics

    return statistics.median(s / f for f, s in zip(times[faster], times[slower], strict=True))


def load_average() -> str:
    """The machine's load (1, 5, 15 minutes), printed beside figures measured under it."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"
