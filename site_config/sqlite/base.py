"""SQLite as the site runs it: Django's backend, and `PRAGMA optimize` before a connection
closes, as SQLite recommends for its statistics (records/planner.py). Chosen in
site_config/settings.py for a sqlite:// DATABASE_URL."""

from django.db.backends.sqlite3 import base

from records import planner


class DatabaseWrapper(base.DatabaseWrapper):
    def close(self):
        if self.connection is not None and not self.in_atomic_block:
            planner.optimize(self.connection)
        super().close()
