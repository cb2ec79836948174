"""Totals over an app's records (contract §8), computed by the database.

One `GROUP BY` over the records the caller may read, with the same two filters as a list
(`selectors.records_page`): the visitor's row filter (`readable_q`) and the search query. Each
item is read from its field index rows (`IndexEntry`), one correlated lookup per record and
item through the (record) index, never by loading records into Python: the numbers are
`value_number` (a value that is not a number has none, and is counted in `skipped`), a plain
group the item's text or number, a date bucket the `value_date` of a DATE or DATETIME item (or
the record's `created`) truncated in UTC. A second query, without grouping, gives the totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import (
    Avg,
    Case,
    Count,
    DateTimeField,
    F,
    FloatField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Trunc

from site_model.acl import Access
from site_model.spec import AppSpec
from site_model.totals import (
    Group,
    Metric,
    SpecError,
    check_group,
    check_metric,
    parse_group,
    parse_metric,
)

from .errors import BadQuery
from .models import IndexEntry
from .ownership import owners
from .search import search_filters
from .selectors import app_records, readable_q

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
BUCKET_FORMATS = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d"}
NUMBER_TYPES = ("NUMBER",)
NOBODY = object()  # as `access`: a visitor who may read nothing (the totals of no row)


@dataclass(frozen=True)
class Plan:
    groups: tuple[Group, ...]
    metrics: tuple[Metric, ...]
    sort: str | None
    reverse: bool
    limit: int


def plan_for(
    app: AppSpec,
    *,
    group_by=(),
    metrics=None,
    sort=None,
    reverse=False,
    limit=DEFAULT_LIMIT,
) -> Plan:
    """The request checked against the app: a `BadQuery` (400) naming the first mistake."""
    try:
        if not isinstance(metrics, dict) or not metrics:
            raise SpecError(
                'metrics must be an object of name: spec, such as {"total": "sum:amount"}'
            )
        parsed_metrics = tuple(parse_metric(str(name), spec) for name, spec in metrics.items())
        if isinstance(group_by, str):
            group_by = [group_by]
        if not isinstance(group_by, list | tuple):
            raise SpecError('group_by must be a list of groups such as ["salesman"]')
        groups = tuple(parse_group(spec) for spec in group_by)
        for metric in parsed_metrics:
            check_metric(app, metric)
        for group in groups:
            check_group(app, group)
        names = [g.name for g in groups] + [m.name for m in parsed_metrics]
        twice = next((name for name in names if names.count(name) > 1), None)
        if twice is not None:
            raise SpecError(f"'{twice}' names two groups or metrics; each needs its own name")
        if sort is not None and sort not in names:
            raise SpecError(f"sort '{sort}' names no group or metric; one of: {', '.join(names)}")
        if not isinstance(reverse, bool):
            raise SpecError("reverse must be true or false")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise SpecError(f"limit must be a whole number from 1 to {MAX_LIMIT}, found {limit!r}")
    except SpecError as exc:
        raise BadQuery(exc.message) from None
    return Plan(groups, parsed_metrics, sort, reverse, limit)


def aggregate(
    app: AppSpec,
    *,
    access: Access | None = None,
    query: str | None = None,
    group_by=(),
    metrics=None,
    sort=None,
    reverse=False,
    limit=DEFAULT_LIMIT,
) -> dict:
    """`{"groups": [...], "totals": {...}, "skipped": n}` over the records matching `query`;
    `access` None: every record (trusted block code), else only those `access` may read."""
    plan = plan_for(
        app, group_by=group_by, metrics=metrics, sort=sort, reverse=reverse, limit=limit
    )
    records = counted_records(app, access, query)
    columns = Columns(app)
    records = records.annotate(**columns.annotations(plan))
    aggregates = {f"m{i}": columns.aggregate(metric) for i, metric in enumerate(plan.metrics)}
    totals = records.aggregate(**aggregates, skipped=columns.skipped(plan))
    groups = []
    if plan.groups:
        keys = [f"g{i}" for i in range(len(plan.groups))]
        rows = records.values(*keys).annotate(**aggregates).order_by(*ordering(plan, keys))
        for row in rows[: plan.limit]:
            group = {g.name: shown(g, row[key]) for g, key in zip(plan.groups, keys, strict=True)}
            group.update({m.name: number(row[f"m{i}"]) for i, m in enumerate(plan.metrics)})
            groups.append(group)
    return {
        "groups": groups,
        "totals": {m.name: number(totals[f"m{i}"]) for i, m in enumerate(plan.metrics)},
        "skipped": totals["skipped"] or 0,
    }


def counted_records(app: AppSpec, access: Access | None, query: str | None):
    """The records a list would show: the row filter first, then the query (as
    `selectors.records_page` combines them: a reader's own rows drive, each probed)."""
    records = app_records(app.id).order_by()
    if access is NOBODY:
        return records.none()
    restricted = access is not None and access.row_filter is not None
    if access is not None:
        if restricted:
            owners.ensure_current(app)
        records = records.filter(readable_q(access))
    matching, probing = search_filters(app, query)
    return records.filter(probing if restricted and probing is not None else matching)


class Columns:
    """The per-record values an aggregate reads, as annotations on `Record`."""

    def __init__(self, app: AppSpec):
        self.app = app

    def entry(self, item: str, column: str, output_field=None) -> Subquery:
        """The smallest `column` value of `item`'s index rows of this record (NULL without
        one; a list counts by its smallest value). One probe of `entry_record` per record."""
        # No app_id: the record is of this app already, and with it both engines may prefer
        # the (app_id, index, value) indexes, walking the index's every row per record.
        rows = IndexEntry.objects.filter(record=OuterRef("pk"), index=item)
        smallest = rows.order_by().values("record").annotate(value=Min(column)).values("value")
        return Subquery(smallest, output_field=output_field)

    def annotations(self, plan: Plan) -> dict:
        found = {}
        for i, group in enumerate(plan.groups):
            found[f"g{i}"] = self.group(group)
        for item in sorted({m.item for m in plan.metrics if m.item is not None}):
            found[self.alias(item, "n")] = self.entry(item, "value_number", FloatField())
            found[self.alias(item, "v")] = self.plain(item)
        return found

    @staticmethod
    def alias(item: str, kind: str) -> str:
        return f"{kind}_{item}".replace("-", "_")

    def plain(self, item: str) -> Subquery:
        """An item's value as a group: its number for a NUMBER item, else its text."""
        element = check_group(self.app, Group(item, item))
        if element is not None and element.type in NUMBER_TYPES:
            return self.entry(item, "value_number", FloatField())
        return self.entry(item, "value_text")

    def group(self, group: Group):
        if group.bucket is None:
            return self.plain(group.item)
        moment = (
            F("created")
            if group.item == "_created"
            else self.entry(group.item, "value_date", DateTimeField())
        )
        return Trunc(moment, group.bucket, output_field=DateTimeField(), tzinfo=UTC)

    def aggregate(self, metric: Metric):
        if metric.kind == "count":
            return Count("pk")
        if metric.kind == "count_distinct":
            return Count(self.alias(metric.item, "v"), distinct=True)
        function = {"sum": Sum, "avg": Avg, "min": Min, "max": Max}[metric.kind]
        return function(self.alias(metric.item, "n"))

    def skipped(self, plan: Plan):
        """The rows at least one numeric metric found no number in."""
        missing = Q()
        for item in {m.item for m in plan.metrics if m.is_numeric}:
            missing |= Q(**{f"{self.alias(item, 'n')}__isnull": True})
        if not missing:
            return Count("pk", filter=Q(pk__in=[]))
        return Sum(Case(When(missing, then=Value(1)), default=Value(0)))


def ordering(plan: Plan, keys: list[str]) -> list:
    """By `sort` (a group or a metric), then the groups ascending; missing values last."""
    by_name = {g.name: key for g, key in zip(plan.groups, keys, strict=True)}
    by_name.update({m.name: f"m{i}" for i, m in enumerate(plan.metrics)})
    first = [by_name[plan.sort]] if plan.sort is not None else []
    order = []
    for position, key in enumerate(first + [k for k in keys if k not in first]):
        descending = plan.reverse and (position == 0 or plan.sort is None)
        order.append(F(key).desc(nulls_last=True) if descending else F(key).asc(nulls_last=True))
    return order


def shown(group: Group, value):
    """A group's value as the answer shows it: a bucket as an ISO string (`2026-03`)."""
    if value is None:
        return None
    if group.bucket is not None and isinstance(value, datetime):
        return value.astimezone(UTC).strftime(BUCKET_FORMATS[group.bucket])
    return number(value)


def number(value):
    """A float that is a whole number as an int (`3.0` -> `3`), as JSON writers expect."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value
