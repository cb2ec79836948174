"""One model instance from one row of hand-written SQL (issue 21).

As `Model.objects.raw()` makes it (the engine's and the fields' converters, then
`Model.from_db`), with the converters worked out once per connection and model instead of on
every query: on the reads every request makes (the session's user, a token's user, one
record) that bookkeeping cost more than the query.

On PostgreSQL these reads are also prepared statements (`PREPARED_READS`, on unless set off):
the server plans each of them once per connection instead of on every request, where planning
the six-table identity query took longer than running it. Django's own queries keep
client-side binding (its default): only the few statements of this module are prepared.
"""

from __future__ import annotations

import functools
import weakref

from django.conf import settings
from django.db import connections

_converters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def first_instance(model, alias: str, sql: str, params, extra: tuple[str, ...] = ()):
    """The first row of `sql`, or None: its first columns are `model`'s concrete fields in
    their order, the next ones are set on the instance under the names `extra` gives."""
    connection = connections[alias]
    with cursor_for(connection) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    fields = model._meta.concrete_fields
    values = list(row[: len(fields)])
    for position, steps in converters_for(connection, model):
        for convert, expression in steps:
            values[position] = convert(values[position], expression, connection)
    instance = model.from_db(alias, [field.attname for field in fields], values)
    for name, value in zip(extra, row[len(fields) :], strict=True):
        setattr(instance, name, value)
    return instance


def cursor_for(connection):
    """A cursor of `connection`: on PostgreSQL (psycopg 3) one whose statements are prepared
    (psycopg keeps each connection's last 100), unless `PREPARED_READS` is off."""
    if connection.vendor != "postgresql" or not settings.PREPARED_READS:
        return connection.cursor()
    connection.ensure_connection()
    raw = connection.connection
    if not hasattr(raw, "prepare_threshold"):  # psycopg 2
        return connection.cursor()
    if raw.prepare_threshold is None:
        # Django's default, which turns every prepare off: give a threshold that Django's
        # client-side cursors never reach (they never prepare) so that `prepare=True` works.
        raw.prepare_threshold = _NEVER
    return connection._prepare_cursor(_prepared_cursor_class()(raw))


_NEVER = 2**31


@functools.cache
def _prepared_cursor_class() -> type:
    """Server-side binding, each statement prepared on its first run. The query log
    (connection.queries, CaptureQueriesContext) gets the statement with its values in place
    from the site's backend (site_config/postgresql `DatabaseOperations`)."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparedCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=True, binary=None):
            return super().execute(query, params, prepare=prepare, binary=binary)

    return PreparedCursor


def converters_for(connection, model) -> list:
    """[(position, [(converter, column expression)])] of `model`'s concrete fields that need
    one on this connection, as the SQL compiler's `get_converters` finds them."""
    known = _converters.setdefault(connection, {})
    if model not in known:
        found = []
        for position, field in enumerate(model._meta.concrete_fields):
            column = field.get_col(model._meta.db_table)
            steps = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if steps:
                found.append((position, [(convert, column) for convert in steps]))
        known[model] = found
    return known[model]
