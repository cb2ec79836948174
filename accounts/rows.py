"""One model instance from one row of hand-written SQL (issue 21).

As `Model.objects.raw()` makes it (the engine's and the fields' converters, then
`Model.from_db`), with the converters worked out once per connection and model instead of on
every query: on the reads every request makes (the session's user, a token's user, one
record) that bookkeeping cost more than the query.
"""

from __future__ import annotations

import weakref

from django.db import connections

_converters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def first_instance(model, alias: str, sql: str, params, extra: tuple[str, ...] = ()):
    """The first row of `sql`, or None: its first columns are `model`'s concrete fields in
    their order, the next ones are set on the instance under the names `extra` gives."""
    connection = connections[alias]
    with connection.cursor() as cursor:
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
