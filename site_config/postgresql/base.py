"""PostgreSQL as the site runs it: Django's backend, and every transaction told who is asking
(contract §12, records/rls.py), so the row-level security policies of records migrations
0013 and 0018 show each caller only what the permission core lets them read. Chosen in
site_config/settings.py for a postgres:// DATABASE_URL.

Before each statement the backend compares the caller of the moment (`rls.current_caller()`)
with the one the open transaction holds and, when they differ, sets it with
`set_config('site.caller', ..., true)`: local to the transaction, gone at its end. A statement
outside a transaction (autocommit) runs in one of its own with the caller set first. Until a
transaction holds a caller, a statement that names no table with policies (a request's session,
its user) is sent as it is, with no round trip for the caller. The setting
goes straight to the driver, outside Django's cursors: it is not one of the request's queries
(query budgets, `connection.queries`) and calls no execute wrapper again.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from django.conf import settings
from django.db.backends.postgresql import base
from psycopg import ServerCursor

from records import rls

SET_CALLER = f"SELECT set_config('{rls.SETTING}', %s, true)"
# Statements PostgreSQL runs only outside a transaction: they read no row, so no caller is set.
OUTSIDE_TRANSACTIONS = re.compile(
    r"\s*(CREATE|DROP|ALTER) DATABASE|\s*VACUUM|\s*(CREATE|DROP|REINDEX)\s.*\sCONCURRENTLY\s",
    re.IGNORECASE,
)
# What a statement must name to read a row of a table with policies (or to call the policies'
# functions, or the reporting view): any other statement (a session's, a user's) needs no caller.
NAMES_POLICY_TABLES = re.compile(r"records_|ownership_|reporting|site_rls", re.IGNORECASE)
# Savepoints (Django's nested atomic blocks): they read no row either, and ROLLBACK TO one must
# run first in a transaction that a failed statement left aborted.
TRANSACTION_CONTROL = re.compile(r"\s*(SAVEPOINT|RELEASE|ROLLBACK)\b", re.IGNORECASE)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.caller_held = None  # the caller the open transaction was told, if any
        self._finding_caller = False
        self.execute_wrappers.append(self._as_caller)

    def _as_caller(self, execute, sql, params, many, context):
        if self._finding_caller or (isinstance(sql, str) and TRANSACTION_CONTROL.match(sql)):
            # a request's user being read, a savepoint: no row of a record table is involved
            return execute(sql, params, many, context)
        if (
            self.caller_held is None
            and isinstance(sql, str)
            and not NAMES_POLICY_TABLES.search(sql)
        ):
            # No caller yet, and none needed: the request's session and user are read without
            # a round trip of their own; were a table with policies reached some other way, it
            # would show no row (no caller is nobody).
            return execute(sql, params, many, context)
        caller = self._caller()
        if not self.get_autocommit():
            if self.caller_held == caller:
                return execute(sql, params, many, context)
            with self._pipelined(sql, context):
                self.connection.execute(SET_CALLER, (caller,))
                result = execute(sql, params, many, context)
            self.caller_held = caller
            return result
        if isinstance(sql, str) and OUTSIDE_TRANSACTIONS.match(sql):
            return execute(sql, params, many, context)
        # Four round trips (BEGIN, the caller, the statement, COMMIT): psycopg waits for
        # BEGIN even in pipeline mode, so pipelining would save none. A request's statements
        # run inside its transaction (web.middleware.RowSecurityMiddleware), not here.
        with self.connection.transaction():
            self.connection.execute(SET_CALLER, (caller,))
            return execute(sql, params, many, context)

    @contextmanager
    def _pipelined(self, sql, context):
        """The caller's `set_config` and the statement sent together in psycopg's pipeline
        mode: one round trip to the server instead of two. Their errors arrive as the
        pipeline ends, turned into Django's as the statement's would be. Not pipelined: a
        server-side cursor (QuerySet.iterator()), and SQL that may hold several commands (a
        migration's), which pipeline mode cannot send."""
        if isinstance(context["cursor"].cursor, ServerCursor) or ";" in str(sql):
            yield
            return
        with self.wrap_database_errors, self.connection.pipeline():
            yield

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
