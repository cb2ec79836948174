"""The query planner's statistics, kept current by the site itself (issue 21).

The search and list statements are written so that their plan is right with no statistics
at all (records/query_sql.py `_of_record`, selectors.records_page; records/tests/
test_plans.py checks them on a database nobody ran ANALYZE on). Statistics still help the
rest, and SQLite gathers none by itself, so:
- after a bulk write of at least `BULK_ROWS` records (`POST /records` with a list) and after
  `refresh` (API and `manage.py refresh_app`), once its transaction commits, the record
  tables are analyzed (`gather`): on SQLite within `ANALYSIS_LIMIT` rows an index (a few
  milliseconds at 100,000 records); on PostgreSQL `ANALYZE` samples them (autovacuum would
  within a minute or so; a plan should not wait for it);
- SQLite's own upkeep, `PRAGMA optimize`, runs before a connection closes, at most once a
  `OPTIMIZE_EVERY` seconds a process (site_config/sqlite/base.py), as SQLite recommends.
"""

from __future__ import annotations

import logging
import time

from django.db import DatabaseError, connection, transaction

logger = logging.getLogger(__name__)

BULK_ROWS = 1000
ANALYSIS_LIMIT = 1000  # SQLite: rows read per index by an ANALYZE (0 would be all)
OPTIMIZE_EVERY = 600.0  # seconds
TABLES = (
    "records_record",
    "records_indexentry",
    "records_indextext",
    "ownership_recordowner",
)


def gather(tables: tuple[str, ...] = TABLES) -> None:
    """ANALYZE the record tables (see the module docstring). Best effort: statistics are an
    optimisation, so a failure (a locked SQLite database) is logged, never raised."""
    quote = connection.ops.quote_name
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
                for table in tables:
                    cursor.execute(f"ANALYZE {quote(table)}")
            else:
                cursor.execute(f"ANALYZE {', '.join(map(quote, tables))}")
    except DatabaseError as exc:
        logger.warning("planner statistics not gathered: %s", exc)


def after_bulk_write(count: int) -> None:
    """Gather statistics once the current transaction commits, if `count` records make a
    bulk write (`BULK_ROWS`); read when called, so a test may raise it."""
    if count >= BULK_ROWS:
        transaction.on_commit(gather)


_last_optimize = 0.0


def optimize(raw_connection) -> None:
    """`PRAGMA optimize` on a SQLite connection about to close, at most once a
    `OPTIMIZE_EVERY` seconds a process: SQLite analyzes the tables this connection's queries
    used whose statistics are missing or out of date (it is a no-op otherwise). It never
    waits for the write lock (busy timeout 0: the connection is closing anyway)."""
    global _last_optimize
    now = time.monotonic()
    if now - _last_optimize < OPTIMIZE_EVERY:
        return
    _last_optimize = now
    _optimize_now(raw_connection)


def _optimize_now(raw_connection) -> None:
    try:
        raw_connection.execute("PRAGMA busy_timeout = 0")
        raw_connection.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        raw_connection.execute("PRAGMA optimize")
    except Exception as exc:  # noqa: BLE001 - a closing connection must close whatever happens
        logger.info("PRAGMA optimize skipped: %s", exc)
