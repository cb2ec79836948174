"""The SQL of a page of rows, compiled once per shape (issue 21).

A search builds its statement from Q objects, subqueries and annotations, and Django compiles
that tree to SQL on every request: at 100,000 records on SQLite that is about a third of a
reader's search, more than the statement takes to run. Most requests repeat a shape: the same
app, query, order, page and caller's row filter (a list page after page, a dashboard's search,
a client polling). So `records_page` (records/selectors.py) records the statements it runs for
a shape, and the next request of that shape runs them again as SQL with their parameters.

What a shape is made of is everything the statements are built from, so two requests of one
shape get the same SQL and the same parameters: the app (the object itself, rebuilt with its
indexes whenever the site changes), the query, sort index, order, offset and limit, the row
filter (the owner keys and items of the caller: `site_model.acl.RowFilter`), the items hidden
from the caller, and the database. Anything else a page reads (the `after` cursor, a deep
offset's span, the answer's rows instead of models) is left to the uncached path.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections
from django.db.models import QuerySet

from accounts.rows import cursor_for

SIZE = 512  # shapes kept per process, least recently used dropped first
# The most a shape may hold (its key and its statements' SQL and parameters, in characters):
# a usual search's plan is under 2 KB; a query of some hundred conditions compiles to a few
# hundred KB, and 512 of those (one client, anonymous on a public app) pinned over 100 MB in
# every process. A larger shape is compiled on each request, as it was before plans.
PLAN_CHARS = 16_384


@dataclass(frozen=True)
class Statement:
    sql: str
    params: tuple
    using: str

    def rows(self) -> list[tuple]:
        """The statement's rows. On PostgreSQL a prepared statement (`PREPARED_READS`): the
        server plans a shape's statement once per connection, where planning a reader's page
        took as long as running it (bench/rls.py: 0.75 ms of planning with the policies,
        0.36 ms without; accounts/rows.py)."""
        if self is NO_ROWS:
            return []
        with cursor_for(connections[self.using]) as cursor:
            cursor.execute(self.sql, self.params)
            return cursor.fetchall()


NO_ROWS = Statement("", (), "")  # a statement Django proved empty (`pk IN ()`): nothing to run


@dataclass(frozen=True)
class Plan:
    """The statements of one shape: `walk`, tried first (None: the shape has no walk), then
    `page`. A `page` of None was never compiled (the walk found a full page when recorded):
    a run whose walk finds less goes the uncached way, which records it."""

    app: object  # the AppSpec the statements were built for (compared by identity)
    walk: Statement | None
    page: Statement | None


def compiled(queryset: QuerySet) -> Statement:
    """The SQL Django would run for `queryset`; NO_ROWS when it knows the answer is empty."""
    try:
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        return NO_ROWS
    return Statement(sql, tuple(params), queryset.db)


class Recorder:
    """Runs the statements of one uncached page and keeps what they were (`walk`, `page`)."""

    def __init__(self):
        self.statements: dict[str, Statement] = {}

    def fetch(self, stage: str, queryset: QuerySet) -> list[tuple]:
        statement = compiled(queryset)
        self.statements[stage] = statement
        return statement.rows()


class Plans:
    """Plans by shape, at most SIZE, shared by the threads of a process."""

    def __init__(self, size: int = SIZE):
        self.size = size
        self._plans: OrderedDict[tuple, Plan] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, shape: tuple, app) -> Plan | None:
        key = _key(shape)
        with self._lock:
            plan = self._plans.get(key)
            if plan is None:
                return None
            if plan.app is not app:  # the site changed since: its indexes may have too
                del self._plans[key]
                return None
            self._plans.move_to_end(key)
            return plan

    def keep(self, shape: tuple, app, recorder: Recorder) -> None:
        if not recorder.statements:
            return
        key = _key(shape)
        if _chars(shape, recorder.statements) > PLAN_CHARS:
            with self._lock:  # and no walk kept alone from before
                self._plans.pop(key, None)
            return
        plan = Plan(
            app=app,
            walk=recorder.statements.get("walk"),
            page=recorder.statements.get("page"),
        )
        with self._lock:
            self._plans[key] = plan
            self._plans.move_to_end(key)
            while len(self._plans) > self.size:
                self._plans.popitem(last=False)


def _key(shape: tuple) -> tuple:
    return (connection.alias, connection.vendor, *shape)


def _chars(shape: tuple, found: dict[str, Statement]) -> int:
    """About what a plan of `shape` holds: its key's text and its statements' SQL and
    parameters (each as text), in characters."""
    held = len(repr(shape))
    for statement in found.values():
        held += len(statement.sql) + sum(len(str(param)) for param in statement.params)
    return held


PLANS = Plans()
