"""Search (contract §4 "Search queries"): a query string and a sort index -> a filter and an order.

`records.selectors.records_page()` is the one caller: it combines `search_q()` with the app
filter and the visitor's row-level filter (`readable_q`), so the JSON API's search, the record
list and `context.app.search()` share one path. A `QueryError` (a query outside the language,
an unknown index, a value of the wrong type, sorting on no field index) becomes a `BadQuery`
(records/errors.py: a 400 for the API) naming the problem; nothing in a query is evaluated, and its values reach the database as parameters.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.db.models import Q

from site_model.spec import AppSpec

from .errors import BadQuery
from .indexing import index_specs
from .models import IndexEntry, IndexText
from .query import QueryError, check_sort_index, parse_query
from .query_sql import IndexTables, is_match_all, order_by_index, to_q

TABLES = IndexTables(entry_model=IndexEntry, text_model=IndexText)


def search_q(app: AppSpec, query: str | None, *, probe: bool = False) -> Q:
    """The records of `app` matching `query` as a Q on Record; empty or None: every record.

    >>> search_q(app, "price >= 10 and 'lord jim' in title")   # app: price field, title text
    <Q: (AND: ('pk__in', <entries of price >= 10>), ('pk__in', <texts of title with both words>))>
    """
    try:
        tree = parse_query(query, index_specs(app))
    except QueryError as exc:
        raise BadQuery(exc.message) from None
    return to_q(tree, app_id=app.id, tables=TABLES, probe=probe)


class SearchFilters:
    """A query parsed once, as two plans of the same filter, each built the first time it is
    asked for (building one costs more than running it; a page usually needs one):
    `matching`, `pk IN (...)` per condition; `probing`, `EXISTS (...)` per condition to walk
    records in page order, or None where no condition is probed (an empty query, which needs
    neither; one on the record id and texts only). See `selectors.records_page` for which runs when."""

    def __init__(self, app: AppSpec, query: str | None):
        try:
            self.tree = parse_query(query, index_specs(app))
        except QueryError as exc:
            raise BadQuery(exc.message) from None
        self.app_id = app.id
        self.match_all = is_match_all(self.tree)

    @cached_property
    def matching(self) -> Q:
        return Q() if self.match_all else to_q(self.tree, app_id=self.app_id, tables=TABLES)

    @cached_property
    def probing(self) -> Q | None:
        if self.match_all:
            return None
        return to_q(self.tree, app_id=self.app_id, tables=TABLES, probe=True)


def search_ordering(app: AppSpec, sort_index: str | None, reverse: bool = False) -> list[Any]:
    """`order_by()` arguments: by the field index `sort_index` (records without a value last),
    then by primary key; no sort index: creation order. `reverse` flips both."""
    try:
        spec = check_sort_index(sort_index, index_specs(app))
    except QueryError as exc:
        raise BadQuery(exc.message) from None
    return order_by_index(spec, app_id=app.id, tables=TABLES, reverse=reverse)
