"""Who is asking the database (contract §12): the caller that PostgreSQL's row-level security
policies (records migrations 0013 and 0018) read, set on every transaction.

The Python gate (records/access.py) filters every read already; the policies hold the same rule
in the database, so a path that forgets the gate (a raw SQL query in block code, a new view, a
BI tool on the reporting view) still sees only what its caller may read. The caller is one of:
  - a visitor: `acting_as(who)`, the `site_model.acl.Who` the permission core decides for (the
    request middleware sets the request's; an import task its creator's);
  - the server itself: `trusted()`: the store writing what the gate allowed, block code reading
    without `secure=True`, management commands, migrations. Superusers are trusted too: the
    core lets them do everything.
  - nobody: outside both (a thread of its own, a WSGI process between requests) the database
    shows no row (deny by default).

The caller is a context variable, so each thread and each request has its own. The PostgreSQL
backend (site_config/postgresql) reads it before every statement and, when the transaction does
not hold it yet, sets it with `set_config('site.caller', ..., true)`: local to the transaction,
so it ends with it and a kept connection (CONN_MAX_AGE, a pooler in transaction mode) never
carries one request's caller into the next. On SQLite nothing of this runs.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar

from site_model.acl import Who

SETTING = "site.caller"
NOBODY = ""  # no caller: every policy denies
TRUSTED = json.dumps({"trusted": True})

# What the next statement runs as: a JSON text (the setting's value), or a function making it
# (a request's visitor, read when the database is first used: DRF signs a token in late).
_caller: ContextVar[str | Callable[[], str]] = ContextVar("records_rls_caller", default=NOBODY)


@functools.lru_cache(maxsize=4096)
def caller_for(who: Who) -> str:
    """The setting's value for a visitor: what the policies need of them, as `names()` reads
    it (e-mail case-insensitive: folded here, where Python's casefold is the rule). Kept per
    `Who` (a frozen value): a request would otherwise write the same JSON again."""
    if who.is_superuser:
        return TRUSTED
    return json.dumps(
        {
            "user": who.username or "",
            "email": who.email.casefold() if who.email else "",
            "groups": sorted(who.groups),
            "profile": sorted(who.profile),
        },
        separators=(",", ":"),
    )


def caller_json(who: Who) -> dict:
    """`caller_for` as data (a reporting login keeps it in a JSON column)."""
    return json.loads(caller_for(who))


def current_caller() -> str:
    found = _caller.get()
    return found() if callable(found) else found


@contextmanager
def acting_as(who_or_caller: Who | str | Callable[[], str]):
    """The database sees only what `who` may see inside the `with`."""
    value = caller_for(who_or_caller) if isinstance(who_or_caller, Who) else who_or_caller
    token = _caller.set(value)
    try:
        yield
    finally:
        _caller.reset(token)


def trusted():
    """The server's own work inside the `with` (or a decorated function): every row."""
    return acting_as(TRUSTED)


def trust_this_thread() -> None:
    """From now on this thread's work is the server's (the test session, as `manage.py`)."""
    _caller.set(TRUSTED)


def as_server(function):
    """Decorator: `function` runs `trusted()` (the store's writes, once the gate allowed them)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with trusted():
            return function(*args, **kwargs)

    return wrapper
