"""Reads of records: one record, a page of records, the facts the permission core needs.

Every list goes through `records_page()`, which applies two filters and nothing else:
- `readable_q(access)`: row-level security, THE one Q a list applies for a visitor (block code
  that does not ask for `readable()` passes no access and sees every record);
- `query_filter(app, query)`: the search string, the one place records/query.py (issue 5)
  plugs in.
Nothing here writes; `records.store` does.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from django.db import connection, router
from django.db.models import F, Func, Q, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import Exact

from accounts.rows import first_instance
from site_model.acl import Access, RecordFacts, owner_values
from site_model.spec import AppSpec

from . import statements
from .errors import InvalidPaging, InvalidRecordId
from .models import SPAN_BITS, Record, RecordSpan
from .ownership import owners
from .ownership.sharing import shared_with, shares_naming
from .query_sql import Unindexed
from .search import SearchFilters, search_ordering, search_q

# The one definition of a record id: the server checks it (`is_valid_record_id`) and the API's
# description (api/openapi.py) states it as its JSON Schema (`pattern`, anchored, and
# `maxLength`). No lookahead: clients and test generators read the pattern too.
RECORD_ID_REGEX = r"[\-_.~:@]*[A-Za-z0-9][A-Za-z0-9\-_.~:@]*"
RECORD_ID_MAX_LENGTH = 200
RECORD_ID_PATTERN = re.compile(RECORD_ID_REGEX)
RECORD_ID_RULE = "1 to 200 characters of letters, digits and -_.~:@, at least one a letter or digit"
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


def is_valid_record_id(value: object) -> bool:
    """>>> is_valid_record_id("order-42"), is_valid_record_id("..."), is_valid_record_id("a b")
    (True, False, False)"""
    return (
        isinstance(value, str)
        and len(value) <= RECORD_ID_MAX_LENGTH
        and RECORD_ID_PATTERN.fullmatch(value) is not None
    )


def check_record_id(value: object) -> str:
    if not is_valid_record_id(value):
        shown = value if isinstance(value, str) else repr(value)
        if isinstance(shown, str) and len(shown) > 60:
            shown = shown[:60] + "…"
        raise InvalidRecordId(f"invalid record id '{shown}': a record id is {RECORD_ID_RULE}")
    return value


def app_records(app_id: str) -> QuerySet[Record]:
    return Record.objects.filter(app_id=app_id)


def record_get(app_id: str, record_id: str, *, lock: bool = False) -> Record | None:
    """One record, or None. `lock`: `SELECT ... FOR UPDATE`, inside the caller's transaction."""
    if lock:
        # (app_id, record_id) is unique: no ORDER BY needed.
        records = app_records(app_id).filter(record_id=record_id).order_by()
        found = list(records.select_for_update()[:1])
        return found[0] if found else None
    # Every read of one record: its SQL written once, as building it through the ORM's
    # filters cost more than running it (issue 21); the ORM's converters and `from_db` still
    # make the instance.
    sql = _one_record_sql(connection.vendor)
    return first_instance(Record, router.db_for_read(Record), sql, [app_id, record_id])


@functools.cache
def _one_record_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    meta = Record._meta
    columns = ", ".join(quote(field.column) for field in meta.concrete_fields)
    app, record = (quote(meta.get_field(name).column) for name in ("app_id", "record_id"))
    return f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {app} = %s AND {record} = %s"  # noqa: S608


def record_exists(app_id: str, record_id: str) -> bool:
    return app_records(app_id).filter(record_id=record_id).exists()


def facts_for(
    record: Record, access: Access, *, shares: bool = True, explained: bool = False
) -> RecordFacts:
    """What the permission core needs to know of one record, for this visitor; `shares`
    False: without reading its shares (one query), as if there were none. `explained`: with
    the owner item and the share behind each, for an explanation (records.access.explain)."""
    author = record.items.get("_author")
    shared_by = shares_naming(record, access.who) if explained else ()
    return RecordFacts(
        author=author if isinstance(author, str) else None,
        owner_values=owner_values(record.items, access.row_owners),
        shared=shared_with(record, access.who) if shares or explained else frozenset(),
        owner_items=owner_items(record.items, access.row_owners) if explained else (),
        shared_by=shared_by,
    )


def owner_items(items: dict, row_owners: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(item, value) of each owner value (`site_model.acl.owner_values`), naming its item."""
    return tuple((item, value) for item in row_owners for value in owner_values(items, (item,)))


def readable_q(access: Access) -> Q:
    """Row-level security as one filter: the records of an app this visitor may read.

    `access.row_filter` (site_model/acl.py) says which owner keys count; the owner table
    (records/ownership) holds each record's keys: its author, its owner items' values and
    its `view` shares. Editors, managers and apps without `row_owners` get an empty Q.
    """
    return owners.readable_q(access)


def query_filter(app: AppSpec, query: str | None) -> Q:
    """A search string -> a filter over the index tables (records/search.py). An empty or
    missing query matches every record; one outside the language is a 400 naming the problem."""
    return search_q(app, query)


def ordering_for(app: AppSpec, sort_index: str | None, reverse: bool) -> list:
    """A stable order: the field index `sort_index` (records without a value last), then
    creation; `reverse` flips it. Sorting on no field index is a 400 (records/search.py)."""
    return search_ordering(app, sort_index, reverse)


@dataclass(frozen=True)
class Page:
    records: list  # Records, or (record_id, items) rows when asked for `rows`
    has_more: bool


DEFERRED_OFFSET = 1000  # from this offset on, a page is found by its keys first
WALK_MAX = 2000  # offset + limit up to which a query may walk the records in page order
WALK_WINDOW = 4  # records walked per record wanted, before the plan falls back to IN


class ItemsWithout(Func):
    """A record's items without the items `names`, as JSON text, computed by the database
    (field permissions: an item the visitor may not read never leaves it). A list of rows
    so costs what it costs without rules, where parsing and writing each row's JSON again in
    Python cost a third of the rate (bench/fields.py)."""

    output_field = TextField()

    def __init__(self, names):
        super().__init__(F("items"))
        self.names = tuple(sorted(names))

    def as_sqlite(self, compiler, connection, **extra):
        items, params = compiler.compile(self.source_expressions[0])
        # Item names are ids (letters, digits, _ and -): a quoted JSON path names each.
        paths = ", ".join(["%s"] * len(self.names))
        return f"json_remove({items}, {paths})", [*params, *(f'$."{n}"' for n in self.names)]

    def as_postgresql(self, compiler, connection, **extra):
        items, params = compiler.compile(self.source_expressions[0])
        return f"(({items}) - %s::text[])::text", [*params, list(self.names)]


def items_text(access: Access | None):
    """The items column as JSON text, without those `access` may not read."""
    hidden = access.hidden_items if access is not None else ()
    return ItemsWithout(hidden) if hidden else Cast("items", TextField())


def records_readable(app: AppSpec, access: Access | None, query: str | None) -> QuerySet:
    """Every record of `app` that `access` may read and `query` finds, unordered: the records
    all the pages of `records_page` with these hold together."""
    records = app_records(app.id)
    if access is not None:
        if access.row_filter is not None:
            owners.ensure_current(app)
        records = records.filter(readable_q(access))
    return records.filter(SearchFilters(app, query).matching)


def item_names(records: QuerySet) -> list[str]:
    """The item names `records` hold, in the order first seen: by creation, then as each
    record's items hold them (on PostgreSQL jsonb's own order, which its text gives). One
    pass of the database over the items, where Python parsed every record's JSON."""
    inner, params = records.order_by().values("pk").query.sql_with_params()
    table = connection.ops.quote_name(Record._meta.db_table)
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT k.key FROM {table} r CROSS JOIN LATERAL jsonb_object_keys(r.items)"  # noqa: S608 - our table, Django's subquery
            f" WITH ORDINALITY AS k(key, n) WHERE r.id IN ({inner})"
            " AND jsonb_typeof(r.items) = 'object' GROUP BY k.key ORDER BY min(ARRAY[r.id, k.n])"
        )
    else:
        # json_each's `id` grows in document order within a record, far below 2**32.
        sql = (
            f"SELECT j.key FROM {table} r, json_each(r.items) j WHERE r.id IN ({inner})"  # noqa: S608 - our table, Django's subquery
            " AND j.key IS NOT NULL GROUP BY j.key ORDER BY min(r.id * 4294967296 + j.id)"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [name for (name,) in cursor.fetchall()]


def _walk(
    records: QuerySet,
    probing: Q,
    reverse: bool,
    offset: int,
    limit: int,
    rows: bool,
    access: Access | None = None,
    fetch=None,
):
    """A broad query's page, found by walking the records in page order and probing the index
    rows of each (`EXISTS`), within the next `WALK_WINDOW * (offset + limit + 1)` records;
    None when that window holds less than a full page (then `IN` builds the match set).

    Why: `pk IN (matches)` builds the whole match set first, its cost grows with the matches
    (SQLite: `total > 5` on 94% of 100,000 records, 69 ms); the walk stops after one page
    (1-2 ms), whatever the app's size, when at least one record in WALK_WINDOW matches. A
    narrow query costs one short walk more (a few hundred index probes) before `IN`.
    """
    wanted = offset + limit + 1
    window = wanted * WALK_WINDOW
    # The last record of the window (NULL when fewer remain: then the walk is unbounded).
    edge = Subquery(records.values("pk")[window - 1 : window])
    bounded = (
        records.filter(pk__gte=Coalesce(edge, Value(0)))
        if reverse
        else records.filter(pk__lte=Coalesce(edge, Value(MAX_PK)))
    )
    walked = bounded.filter(probing)
    if rows:
        walked = walked.annotate(items_json=items_text(access)).values_list(
            "record_id", "items_json"
        )
    found = fetch("walk", walked[offset:wanted]) if fetch else list(walked[offset:wanted])
    return found if len(found) == limit + 1 else None


MAX_PK = 2**63 - 1


def span_start(app_id: str, offset: int, reverse: bool) -> tuple[int, int] | None:
    """Where the app's record at `offset` (in creation order, or the reverse) lies: the
    primary key its span starts at (forward; for `reverse`, the one after the span ends) and
    how many of the app's records, from there on, come before it. None: past the last record.

    The spans (records.models.RecordSpan, counted by triggers) are summed in page order
    until the one holding the offset; the page then steps over at most one span's records.
    """
    order = "DESC" if reverse else "ASC"
    with connection.cursor() as cursor:
        cursor.execute(
            # Plain SQL: a window sum, and cheaper to run than an ORM query is to compile.
            f"SELECT span, before FROM (SELECT span, count, SUM(count) OVER "  # noqa: S608 - ours
            f"(ORDER BY span {order}) - count AS before FROM {RecordSpan._meta.db_table} "
            "WHERE app_id = %s) AS spans WHERE before <= %s AND %s < before + count",
            (app_id, offset, offset),
        )
        found = cursor.fetchone()
    if found is None:
        return None
    span, before = found
    first = span + 1 if reverse else span
    return first << SPAN_BITS, offset - before


def records_page(
    app: AppSpec,
    *,
    access: Access | None = None,
    query: str | None = None,
    sort_index: str | None = None,
    reverse: bool = False,
    limit: int | None = DEFAULT_LIMIT,
    offset: int = 0,
    after: str | None = None,
    rows: bool = False,
) -> Page:
    """`_records_page`, whose statements are compiled once per shape where a page of rows has
    one (records/statements.py: the SQL of the last request of that shape, run again)."""
    shape = _shape(app, access, query, sort_index, reverse, limit, offset, after, rows)
    if shape is None:
        return _records_page(app, access, query, sort_index, reverse, limit, offset, after, rows)
    plan = statements.PLANS.get(shape, app)
    if plan is not None:
        if access is not None and access.row_filter is not None:
            owners.ensure_current(app)
        if plan.walk is not None:
            found = plan.walk.rows()
            if len(found) == limit + 1:
                return Page(found[:limit], True)
        if plan.page is not None:
            found = plan.page.rows()
            return Page(found[:limit], len(found) > limit)
    recorder = statements.Recorder()
    page = _records_page(
        app, access, query, sort_index, reverse, limit, offset, after, rows, recorder.fetch
    )
    statements.PLANS.keep(shape, app, recorder)
    return page


def _shape(app, access, query, sort_index, reverse, limit, offset, after, rows) -> tuple | None:
    """What a page's statements are built from (records/statements.py), or None for a page
    whose statements also depend on something else: models rather than rows, every record,
    a cursor, a deep offset (found through the span counts)."""
    if not rows or limit is None or after is not None or offset >= DEFERRED_OFFSET:
        return None
    if access is None:
        caller = None
    else:
        caller = (access.row_filter, access.hidden_items)
    return (app.id, query or "", sort_index, reverse, offset, limit, caller)


def _records_page(
    app: AppSpec,
    access: Access | None,
    query: str | None,
    sort_index: str | None,
    reverse: bool,
    limit: int | None,
    offset: int,
    after: str | None,
    rows: bool,
    fetch=None,
) -> Page:
    """One page of an app's records, in a stable order (the sort index, then creation).

    `access` None: every record (trusted block code); otherwise only what `access` may read.
    `rows`: (record_id, items as JSON text) pairs instead of models: the API emits the stored
    items as they are, without a model, two datetimes and a JSON parse per row (STYLE.md §4);
    the items `access` may not read (field permissions) are left out by the database.
    `after`: keyset paging, the records that come after the record with this id in creation
    order (before it with `reverse`), then `offset` of them skipped; only without a
    `sort_index` (`InvalidPaging` otherwise). A deep page so costs what the first one
    does: an index range from that record on, where an offset reads every record before it.
    """
    records = app_records(app.id)
    if access is not None:
        if access.row_filter is not None:
            owners.ensure_current(app)  # `row_owners` may have changed since the last write
            # The visitor's own rows drive the plan, looked up by primary key: with the app
            # as an index term, SQLite without statistics went through `record_app_pk` and
            # sorted (half the rate of the plan by primary key, bench/api.py).
            records = Record.objects.filter(Exact(Unindexed("app_id"), app.id))
        # First: SQLite drives the rows from the first `pk IN (...)`, and a visitor's own
        # rows are usually far fewer than a query's matches (bench/rls.py).
        records = records.filter(readable_q(access))
    filters = SearchFilters(app, query)
    if after is not None:
        if sort_index is not None:
            raise InvalidPaging("after pages in creation order: use offset with sort_index")
        # The cursor among the records the visitor may read: a hidden one names no position,
        # so it answers as an unknown id (below) instead of paging on from where it sits.
        cursor = Subquery(records.filter(record_id=after).order_by().values("pk")[:1])
        records = records.filter(pk__lt=cursor) if reverse else records.filter(pk__gt=cursor)
    if (
        limit is not None
        and offset >= DEFERRED_OFFSET
        and after is None
        and sort_index is None
        and filters.probing is None
        and (access is None or access.row_filter is None)
    ):
        # Every record of the app in creation order: the span counts say where the page
        # begins (bench/api.py: offset 50,000 at 100,000 records, 1.2 ms of stepping over
        # index entries on SQLite, 4.4 ms on PostgreSQL, against a few hundred rows summed).
        start = span_start(app.id, offset, reverse)
        if start is None:
            return Page([], False)
        bound, offset = start
        records = records.filter(pk__lt=bound) if reverse else records.filter(pk__gte=bound)
    order = ordering_for(app, sort_index, reverse)
    if (
        filters.probing is not None
        and sort_index is None
        and limit is not None
        and (access is None or access.row_filter is None)
        and offset + limit + 1 <= WALK_MAX
    ):
        found = _walk(
            records.order_by(*order), filters.probing, reverse, offset, limit, rows, access, fetch
        )
        if found is not None:
            return Page(found[:limit], True)
    if filters.probing is not None and access is not None and access.row_filter is not None:
        # A reader under row-level security: their own rows (the owner index, usually few)
        # drive the plan, and each is probed for the query (EXISTS), where IN would build the
        # query's whole match set first (40 ms for `total > 5` at 100,000 records).
        records = records.filter(filters.probing).order_by(*order)
    else:
        records = records.filter(filters.matching).order_by(*order)
    if limit is not None and offset >= DEFERRED_OFFSET:
        # A deferred join: the keys of the page first (an index-only walk over the skipped
        # rows), then only those rows read; otherwise every skipped row's items are read and
        # cast to text just to be dropped (PostgreSQL: 3x at offset 50,000, bench/api.py).
        keys = records.values("pk")[offset : offset + limit + 1]
        records = app_records(app.id).filter(pk__in=keys).order_by(*order)
        offset = 0
    if rows:
        records = records.annotate(items_json=items_text(access)).values_list(
            "record_id", "items_json"
        )
    if limit is None:
        found = list(records[offset:])
        has_more = False
    else:
        page = records[offset : offset + limit + 1]
        found = fetch("page", page) if fetch else list(page)
        has_more = len(found) > limit
        found = found[:limit]
    if after is not None and not found and not has_more:
        # The end of the list, or a cursor that names no record this visitor may read (deleted
        # meanwhile, or never there): tell them apart without revealing hidden records.
        visible = app_records(app.id).filter(record_id=after)
        if access is not None:
            visible = visible.filter(readable_q(access))
        if not visible.exists():
            raise InvalidPaging(
                f"after: no record '{after}' in app '{app.id}' to page after; start again"
            )
    return Page(found, has_more)
