"""SQLite as the site runs it: Django's backend, with each statement's conversion to
SQLite's parameter style kept, and `PRAGMA optimize` before a connection closes, as SQLite
recommends for its statistics (records/planner.py). Chosen in site_config/settings.py for a
sqlite:// DATABASE_URL."""

import functools

from django.db.backends.sqlite3 import base

from records import planner

# Statements longer than this are converted each time: rare (a search of many conditions),
# and kept they could pin megabytes in every process.
KEPT_CHARS = 4096


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name=None):
        return self.connection.cursor(factory=CursorWrapper)

    def close(self):
        if self.connection is not None and not self.in_atomic_block:
            planner.optimize(self.connection)
        super().close()


class CursorWrapper(base.SQLiteCursorWrapper):
    """Django's cursor, converting `%s` to SQLite's `?` once per statement text: the
    conversion is a regular expression over the whole text (19 us for the 800 characters of
    the session's user query, more than SQLite takes to run it), and a site sends the same
    few statements again and again."""

    def convert_query(self, query, *, param_names=None):
        if param_names is None and len(query) <= KEPT_CHARS:
            return _qmark_style(query)
        return super().convert_query(query, param_names=param_names)


@functools.lru_cache(maxsize=1024)
def _qmark_style(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")
