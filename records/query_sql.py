"""The checked query tree of `records.query` -> a Django `Q` over `Record`, through the index tables.

Never builds SQL from the query's text: values reach the database as bound parameters, and the
only SQL written here (SQLite's FTS5 MATCH, which Django has no lookup for) names our own tables.

The tables this module expects (docs/architecture.md, "Search and indexes"); they are passed in
as `IndexTables`, so this module imports no model and can be wired when the models exist:

    class IndexEntry(models.Model):          # one row per (record, field index, value)
        record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")
        app_id = models.CharField(max_length=100)
        index = models.CharField(max_length=100)
        value_text = models.CharField(max_length=1000, null=True)
        value_number = models.FloatField(null=True)
        value_date = models.DateTimeField(null=True)
        # Meta.indexes: (app_id, index, value_text, record), the same with value_number and
        # with value_date: a range of one index is one index range scan, and the record ids
        # come out of the index itself.

    class IndexText(models.Model):           # one row per (record, text index)
        record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")
        app_id = models.CharField(max_length=100)
        index = models.CharField(max_length=100)
        body = models.TextField()             # the words, `records.query.words_of`, joined
        # PostgreSQL: a generated column document = to_tsvector('simple', body), GIN index,
        # added by the migration and absent from the model's state.
        # SQLite: an FTS5 table <db_table>_fts(body) whose rowid is IndexText.id.

A record's `id` is always an index: it is compared on `Record.record_id` itself, no entry rows.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.db import connection
from django.db.models import Exists, F, Func, Model, OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.lookups import Exact

from .query import (
    FIELD,
    And,
    AnyOf,
    Between,
    Compare,
    IndexSpec,
    MatchAll,
    Node,
    Not,
    Or,
    QueryError,
    TextMatch,
)

_LOOKUPS = {"==": "exact", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
_COLUMN_FIELDS = {"text": "value_text", "number": "value_number", "date": "value_date"}


@dataclass(frozen=True)
class IndexTables:
    """Where the index rows live: the models above, and the record's own id column."""

    entry_model: type[Model]
    text_model: type[Model]
    record_id_field: str = "record_id"


def to_q(
    node: Node,
    *,
    app_id: str,
    tables: IndexTables,
    vendor: str | None = None,
    probe: bool = False,
) -> Q | None:
    """A `Q` on `Record` matching the records of `app_id` that satisfy `node`.

    The caller filters on `app_id` itself (and on what the user may read); this Q only adds the
    query's condition. Each condition on an index is `pk IN (entries of that index in range)`:
    on both engines that starts from the (app_id, index, value) index instead of scanning the
    records, and `not` is `NOT IN` of the same set, so records without the item match a `not`.

    `probe`: each condition on a field index is instead `EXISTS (entries of this record in
    range)`, checked per record: the plan for a broad query walked in page order, which stops
    after one page where `IN` first builds the whole match set (selectors.records_page
    chooses). Returns None when no condition would be probed (only `id` and text ones).
    """
    vendor = vendor or connection.vendor
    translator = _Translator(app_id, tables, vendor, probe=probe)
    q = translator.q(node)
    return None if probe and not translator.probed else q


def is_match_all(node: Node) -> bool:
    return isinstance(node, MatchAll)


def order_by_index(
    spec: IndexSpec | None, *, app_id: str, tables: IndexTables, reverse: bool = False
) -> list[Any]:
    """`order_by()` arguments sorting records by a field index (`records.query.check_sort_index`),
    records without the item last either way, then by primary key so pages are stable."""
    if spec is None:
        return ["-pk" if reverse else "pk"]
    if spec.kind != FIELD:
        raise QueryError(f"sort_index {spec.id!r} is a text index; sort on a field index")
    if spec.id == "id":
        keys: list[Any] = [F(tables.record_id_field)]
    else:
        columns = spec.element_type.sort_columns
        keys = [_first_value(spec.id, column, app_id, tables) for column in columns]
    ordered = [key.desc(nulls_last=True) if reverse else key.asc(nulls_last=True) for key in keys]
    ordered.append("-pk" if reverse else "pk")
    return ordered


def _first_value(index: str, column: str, app_id: str, tables: IndexTables) -> Subquery:
    field = _COLUMN_FIELDS[column]
    rows = _of_record(tables.entry_model, app_id).filter(index=index, **{f"{field}__isnull": False})
    return Subquery(rows.order_by(field).values(field)[:1])


class Unindexed(Func):
    """A text column the planner must not look up through an index: `+column` on SQLite (its
    documented way to take a term out of index choice), `(column || '')` on PostgreSQL."""

    template = "%(expressions)s"

    def __init__(self, column: str):
        super().__init__(F(column))

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="(%(expressions)s || '')", **extra)


class Probe(Exists):
    """`EXISTS (...)` checked for each outer row, as written. PostgreSQL would turn it into a
    semi-join, which builds the subquery's whole match set first (all 'amount > 5' entries
    for one page, or for a reader's few rows): `OFFSET 0` is its documented fence against
    that (a subquery with an OFFSET is not pulled up)."""

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="EXISTS(%(subquery)s OFFSET 0)", **extra)


def _of_record(model: type[Model], app_id: str):
    """The index rows of the outer record (`OuterRef("pk")`) in `app_id`: a lookup on the
    `record_id` index, whatever the planner knows.

    Why: without statistics (a database nobody ran ANALYZE on) SQLite takes an index with
    more equality terms for the more selective one, so `app_id = ? AND index = ? AND value >
    ?` chose `entry_number` and stepped through every entry in range for each record probed
    (a reader's search of `total > 5`: 32 s at 100,000 records), and PostgreSQL likewise
    (its default selectivities make two equalities and a range look narrower than one
    equality). With `app_id` unindexed (`Unindexed`) the `record_id` index is the only
    choice on both (records/tests/test_plans.py)."""
    return model._default_manager.filter(Exact(Unindexed("app_id"), app_id), record=OuterRef("pk"))


class _Translator:
    def __init__(self, app_id: str, tables: IndexTables, vendor: str, probe: bool = False):
        self.app_id = app_id
        self.tables = tables
        self.vendor = vendor
        self.probe = probe
        self.probed = False  # did a condition become an EXISTS probe?

    def rows(self, model: type[Model], *, probe: bool = True):
        """The index rows of `model` in this app: of the outer record when probing (looked up
        by `record_id`: `_of_record`), all of them otherwise."""
        if self.probe and probe:
            return _of_record(model, self.app_id)
        return model._default_manager.filter(app_id=self.app_id)

    def among(self, rows, *, probe: bool = True) -> Q:
        """The records among `rows` (index rows): `pk IN (their record ids)`, or with `probe`
        `EXISTS (those of this record)`."""
        if self.probe and probe:
            self.probed = True
            return Q(Probe(rows.values("pk")))
        return Q(pk__in=rows.values("record_id"))

    def q(self, node: Node) -> Q:
        if isinstance(node, MatchAll):
            return Q()
        if isinstance(node, And):
            return _combine(self.and_parts(node.children), Q.AND)
        if isinstance(node, Or):
            return _combine([self.q(child) for child in node.children], Q.OR)
        if isinstance(node, Not):
            return ~self.q(node.child)
        if isinstance(node, Compare):
            return self.field(node.index, node.column, {_LOOKUPS[node.op]: node.value})
        if isinstance(node, Between):
            return self.field(node.index, node.column, {"gte": node.low, "lt": node.high})
        if isinstance(node, AnyOf):
            if len(node.values) == 1:
                return self.field(node.index, node.column, {"exact": node.values[0]})
            return self.field(node.index, node.column, {"in": list(node.values)})
        if isinstance(node, TextMatch):
            return self.text(node)
        raise TypeError(f"not a query node: {node!r}")  # our bug, not the client's

    def and_parts(self, children: Sequence[Node]) -> list[Q]:
        """The Qs of an `and`, with the bounds on one index and column merged into one
        condition: `price >= 10 and price < 20` (and `10 <= price < 20`) is one index range
        scan of the entries in [10, 20), not the intersection of two half-open scans whose
        sizes grow with the app. For an item holding a list this means one value in the range.
        """
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        parts: list[Q] = []
        flat: list[Node] = []
        stack = list(reversed(children))
        while stack:  # a chain inside an `and` is an `and` too: one level
            child = stack.pop()
            if isinstance(child, And):
                stack.extend(reversed(child.children))
            else:
                flat.append(child)
        for child in flat:
            if isinstance(child, Compare | Between) and child.index != "id":
                if isinstance(child, Compare):
                    lookups = {_LOOKUPS[child.op]: child.value}
                else:
                    lookups = {"gte": child.low, "lt": child.high}
                bounds = merged.setdefault((child.index, child.column), {})
                if not bounds.keys() & lookups.keys():
                    bounds.update(lookups)
                    continue
            parts.append(self.q(child))
        ranges = [self.field(index, column, bounds) for (index, column), bounds in merged.items()]
        return ranges + parts

    def field(self, index: str, column: str, lookups: dict[str, Any]) -> Q:
        if index == "id":
            # The record's own column: a string compare. A number given for `id` matches no
            # record, as it would match no stored id.
            if column != "text":
                return Q(pk__in=[])
            return Q(**{f"{self.tables.record_id_field}__{op}": v for op, v in lookups.items()})
        name = _COLUMN_FIELDS[column]
        entries = self.rows(self.tables.entry_model).filter(
            index=index, **{f"{name}__{op}": value for op, value in lookups.items()}
        )
        return self.among(entries)

    def text(self, node: TextMatch) -> Q:
        model = self.tables.text_model
        # Never probed on SQLite: it would run the MATCH again for every record an EXISTS probes.
        probe = self.vendor == "postgresql"
        rows = self.rows(model, probe=probe).filter(index=node.index)
        if self.vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery, SearchVectorField

            # plainto_tsquery: every word, AND-ed; 'simple' lower-cases and does not stem,
            # the same rule as words_of().
            query = SearchQuery(" ".join(node.words), config="simple", search_type="plain")
            # `document` is the generated tsvector column of migration 0002, outside the
            # model's state (so that the ORM never inserts into it); unqualified, it names the
            # only table of this subquery.
            document = RawSQL('"document"', [], output_field=SearchVectorField())  # noqa: S611 (our column)
            rows = rows.alias(document=document).filter(document=query)
            return self.among(rows)
        if self.vendor == "sqlite":
            fts = connection.ops.quote_name(f"{model._meta.db_table}_fts")
            # Each word is letters and digits only (words_of); quoting makes it an FTS5 string
            # token, never an operator. The MATCH text is a bound parameter.
            match = " ".join(f'"{word}"' for word in node.words)
            in_fts = RawSQL(f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s", [match])  # noqa: S608, S611 (our table)
            return self.among(rows.filter(pk__in=in_fts), probe=False)
        raise NotImplementedError(f"text indexes need PostgreSQL or SQLite, not {self.vendor}")


def _combine(parts: Sequence[Q], connector: str) -> Q:
    return reduce(operator.and_ if connector == Q.AND else operator.or_, parts)
