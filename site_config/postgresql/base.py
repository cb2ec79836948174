"""PostgreSQL as the site runs it: Django's backend, and every transaction told who is asking
(contract §12, records/rls.py), so the row-level security policies of records migrations
0013 and 0018 show each caller only what the permission core lets them read. Chosen in
site_config/settings.py for a postgres:// DATABASE_URL.

Before each statement the backend compares the caller of the moment (`rls.current_caller()`)
with the one the open transaction holds and, when they differ, sets it with
`set_config('site.caller', ..., true)`: local to the transaction, gone at its end. A statement
outside a transaction (autocommit: a request's) is sent with the caller in the same round trip
and runs with it in one implicit transaction. Until a transaction holds a caller, a statement
that names no table with policies (a request's session, its user) is sent as it is. The
setting is not one of the request's queries (query budgets, `connection.queries` show the
statement alone) and calls no execute wrapper again.
"""

from __future__ import annotations

import functools
import re

from django.conf import settings
from django.db.backends.postgresql import base, operations
from psycopg import ClientCursor, DataError, ServerCursor
from psycopg.sql import quote

from records import rls

SET_CALLER = f"SELECT set_config('{rls.SETTING}', %s, true)"
# Statements PostgreSQL runs only outside a transaction: they read no row, so no caller is set.
OUTSIDE_TRANSACTIONS = re.compile(
    r"\s*(CREATE|DROP|ALTER) DATABASE|\s*VACUUM|\s*(CREATE|DROP|REINDEX)\s.*\sCONCURRENTLY\s",
    re.IGNORECASE,
)
# What a statement must name to read a row of a table with policies (or to call the policies'
# functions, or the reporting view): any other statement (a session's, a user's) needs no caller.
POLICY_NAMES = ("records_", "ownership_", "reporting", "site_rls")
# Savepoints (Django's nested atomic blocks): they read no row either, and ROLLBACK TO one must
# run first in a transaction that a failed statement left aborted.
TRANSACTION_CONTROL = re.compile(r"\s*(SAVEPOINT|RELEASE|ROLLBACK)\b", re.IGNORECASE)


def names_policy_tables(sql: str) -> bool:
    """Does `sql` name a table with policies, in any case? A case-blind regular expression
    took 100 us over the 1,500 characters of the session's identity query, on every request."""
    lowered = sql.lower()
    return any(name in lowered for name in POLICY_NAMES)


def pipelinable(sql, context) -> bool:
    """Can the statement go through psycopg's pipeline mode? Not a server-side cursor's
    (QuerySet.iterator()), nor SQL that may hold several commands (a migration's)."""
    return not isinstance(context["cursor"].cursor, ServerCursor) and ";" not in str(sql)


def in_one_simple_query(sql, many, context) -> bool:
    """Can the caller go in front of the statement, as one simple query (`CallerCursor`)?"""
    return isinstance(context["cursor"].cursor, CallerCursor) and not many and isinstance(sql, str)


@functools.lru_cache(maxsize=4096)
def caller_prefix(caller: str) -> str:
    """`SET_CALLER` for `caller` as SQL text, to go before a statement in one simple query."""
    return SET_CALLER % quote(caller) + "; "


class CallerCursor(base.Cursor):
    """Django's cursor (client-side binding), which can send the caller's `set_config` and its
    next statement as one simple query: one message, one round trip, one transaction (the
    statement's own outside a transaction). Psycopg's pipeline does as much for any cursor, at
    twice the client's cost (130 us a statement against 55 us, bench/rls.py's machine). The
    statement's result, row count and logged SQL are what they would be without the caller."""

    caller: str | None = None  # what the next `execute` sends first, then forgets

    def execute(self, query, params=None, **kwargs):
        caller, self.caller = self.caller, None
        if caller is None or not isinstance(query, str):
            return super().execute(query, params, **kwargs)
        prefix = caller_prefix(caller)
        if params is None:  # the query is sent as it is: no placeholder in it is one
            query, params = query.replace("%", "%%"), ()
        super().execute(prefix.replace("%", "%%") + query, params, **kwargs)
        self.nextset()  # the statement's result, not set_config's
        if self._query is not None:  # Django logs what it sent: the statement alone
            self._query.query = self._query.query[len(prefix.encode()) :]
        return self


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        """A prepared read's statement as it would run with its values in place (psycopg
        keeps only its `$1` form), as Django logs it with server-side binding: the query log
        and a test's captured queries can be run again as they read."""
        if isinstance(cursor, ClientCursor):
            return super().last_executed_query(cursor, sql, params)
        try:
            return self.compose_sql(sql, params)
        except DataError:
            return None


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.caller_held = None  # the caller the open transaction was told, if any
        self._finding_caller = False
        self.execute_wrappers.append(self._as_caller)

    def _as_caller(self, execute, sql, params, many, context):
        if self._finding_caller or (isinstance(sql, str) and TRANSACTION_CONTROL.match(sql)):
            # a request's user being read, a savepoint: no row of a record table is involved
            return execute(sql, params, many, context)
        if self.caller_held is None and isinstance(sql, str) and not names_policy_tables(sql):
            # No caller yet, and none needed: the request's session and user are read without
            # a round trip of their own; were a table with policies reached some other way, it
            # would show no row (no caller is nobody).
            return execute(sql, params, many, context)
        caller = self._caller()
        if not self.get_autocommit():
            if self.caller_held == caller:
                return execute(sql, params, many, context)
            result = self._with_caller(caller, execute, sql, params, many, context)
            self.caller_held = caller
            return result
        if isinstance(sql, str) and OUTSIDE_TRANSACTIONS.match(sql):
            return execute(sql, params, many, context)
        if not (in_one_simple_query(sql, many, context) or pipelinable(sql, context)):
            # Four round trips (BEGIN, the caller, the statement, COMMIT): a server-side
            # cursor needs a transaction of its own, and so does a caller sent on its own.
            with self.connection.transaction():
                self.connection.execute(SET_CALLER, (caller,))
                return execute(sql, params, many, context)
        # Outside a transaction, what one simple query or one pipeline holds runs in one
        # implicit transaction: the caller (local to it) holds for the statement and goes with
        # it, in one round trip, with no BEGIN or COMMIT of its own.
        return self._with_caller(caller, execute, sql, params, many, context)

    def _with_caller(self, caller, execute, sql, params, many, context):
        """The statement, with the caller's `set_config` sent first in the same round trip: as
        one simple query (`CallerCursor`), else in psycopg's pipeline mode, whose errors arrive
        as it ends, turned into Django's as the statement's would be. Neither for a server-side
        cursor, nor SQL that may hold several commands through a pipeline: two round trips."""
        if in_one_simple_query(sql, many, context):
            cursor = context["cursor"].cursor
            cursor.caller = caller
            try:
                return execute(sql, params, many, context)
            finally:
                cursor.caller = None
        if not pipelinable(sql, context):
            self.connection.execute(SET_CALLER, (caller,))
            return execute(sql, params, many, context)
        with self.wrap_database_errors, self.connection.pipeline():
            self.connection.execute(SET_CALLER, (caller,))
            return execute(sql, params, many, context)

    def get_connection_params(self):
        params = super().get_connection_params()
        if params.get("cursor_factory") is base.Cursor:
            params["cursor_factory"] = CallerCursor
        return params

    def _caller(self) -> str:
        if not settings.DATABASE_ROW_SECURITY:
            return rls.TRUSTED
        self._finding_caller = True
        try:
            return rls.current_caller()
        finally:
            self._finding_caller = False

    # The transaction ends (or returns to a savepoint): what it held is unknown from now on.
    def _commit(self):
        self.caller_held = None
        return super()._commit()

    def _rollback(self):
        self.caller_held = None
        return super()._rollback()

    def _savepoint_rollback(self, sid):
        self.caller_held = None
        return super()._savepoint_rollback(sid)

    def _close(self):
        self.caller_held = None
        return super()._close()

    def connect(self):
        self.caller_held = None
        return super().connect()

    def _configure_connection(self, connection):
        # No JIT compilation: the policies' subplans raise a statement's estimated cost past
        # jit_above_cost, and an editor's aggregate of 100,000 records then spent 760 ms of
        # its 900 compiling (the work itself: 140 ms). The site's statements are short.
        super()._configure_connection(connection)
        connection.execute("SET jit = off")
        return True  # Django commits it when the connection is not in autocommit
