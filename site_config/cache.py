"""The cache every process of one machine shares when there is no Redis: Django's database cache.

The password and second-factor limits (accounts/passwords.py, accounts/otp.py) count in the
cache, so a cache of one process (LocMem) would give each gunicorn worker its own count.
Django's DatabaseCache shares the count through a table (created by `migrate`, accounts
migration 0005), but its `incr` is a read then a write: two workers could both read 3 and
both write 4. Here `incr` (and so `decr`) reads and writes the stored value in one transaction
holding the row's lock (SELECT ... FOR UPDATE; on SQLite the project's IMMEDIATE transactions
hold the database's write lock), and keeps the entry's expiry, as Redis's INCR does.
"""

from __future__ import annotations

import base64
import pickle

from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.utils.timezone import now as tz_now


class SharedDatabaseCache(DatabaseCache):
    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table, cache_key, value, expires = (
            quote(name) for name in (self._table, "cache_key", "value", "expires")
        )
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        now = connection.ops.adapt_datetimefield_value(tz_now().replace(microsecond=0))
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {value} FROM {table} WHERE {cache_key} = %s AND {expires} > %s{lock}",  # noqa: S608 - quoted names
                [key, now],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            stored = pickle.loads(base64.b64decode(connection.ops.process_clob(row[0]).encode()))  # noqa: S301 - our own table
            new_value = stored + delta
            encoded = base64.b64encode(pickle.dumps(new_value, self.pickle_protocol)).decode(
                "latin1"
            )
            cursor.execute(
                f"UPDATE {table} SET {value} = %s WHERE {cache_key} = %s",  # noqa: S608 - quoted names
                [encoded, key],
            )
        return new_value
