"""Totals (contract §8): the metric and group specs of an aggregate, parsed and checked.

Shared by the aggregate itself (records/aggregate.py), the API that reads them from a body and
the loader that checks a CHART element's `group_by` and `value` (with file and line). Pure:
strings in, specs or a `SpecError` naming the mistake out.

    metric: count | sum:<item> | avg:<item> | min:<item> | max:<item> | count_distinct:<item>
    group:  <item> | year:<item> | month:<item> | day:<item>   (a bucket: DATE, DATETIME, _created)
"""

from __future__ import annotations

from dataclasses import dataclass

from .spec import AppSpec, Element

METRIC_KINDS = ("count", "sum", "avg", "min", "max", "count_distinct")
NUMERIC_KINDS = ("sum", "avg", "min", "max")
BUCKETS = ("year", "month", "day")
CREATED = "_created"  # the record's creation instant, a bucket's item only
METRIC_FORMS = "count, sum:<item>, avg:<item>, min:<item>, max:<item>, count_distinct:<item>"
GROUP_FORMS = "<item>, year:<item>, month:<item>, day:<item>"


class SpecError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Metric:
    name: str  # the key of the answer
    kind: str  # one of METRIC_KINDS
    item: str | None  # None for count

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


@dataclass(frozen=True)
class Group:
    name: str  # the spec as written, the key of the answer
    item: str
    bucket: str | None = None  # year, month or day


def parse_metric(name: str, spec: object) -> Metric:
    """>>> parse_metric("total", "sum:amount")
    Metric(name='total', kind='sum', item='amount')"""
    if not isinstance(spec, str):
        raise SpecError(f"metric '{name}' must be a string such as 'sum:amount' ({METRIC_FORMS})")
    kind, colon, item = spec.partition(":")
    if kind == "count" and not colon:
        return Metric(name, "count", None)
    if kind not in METRIC_KINDS or kind == "count" or not item:
        raise SpecError(f"metric '{name}': unknown metric '{spec}'; metrics: {METRIC_FORMS}")
    return Metric(name, kind, item)


def parse_group(spec: object) -> Group:
    """>>> parse_group("month:_created")
    Group(name='month:_created', item='_created', bucket='month')"""
    if not isinstance(spec, str) or not spec:
        raise SpecError(f"a group must be a string such as 'salesman' ({GROUP_FORMS})")
    bucket, colon, item = spec.partition(":")
    if not colon:
        return Group(spec, spec)
    if bucket not in BUCKETS or not item:
        raise SpecError(f"group '{spec}': unknown date bucket '{bucket}'; buckets: {GROUP_FORMS}")
    return Group(spec, item, bucket)


def declared_items(app: AppSpec) -> dict[str, Element]:
    """Item name -> the first input element declaring it, over the app's blocks."""
    found: dict[str, Element] = {}
    for block in app.blocks.values():
        for element in block.inputs:
            found.setdefault(element.id, element)
    return found


def item_element(app: AppSpec, item: str, what: str) -> Element:
    """The element of `item`, which must be declared and carry a field index (the aggregate
    reads the index rows); a SpecError naming `what` otherwise."""
    element = declared_items(app).get(item)
    if element is None:
        raise SpecError(f"{what}: no element of app '{app.id}' declares an item '{item}'")
    if element.index_type != "field":
        raise SpecError(
            f"{what}: item '{item}' has no field index; declare it with index_type: field"
        )
    return element


def check_metric(app: AppSpec, metric: Metric) -> Element | None:
    if metric.item is None:
        return None
    # sum, avg, min and max read the numbers among the values and skip the rest (`skipped`).
    return item_element(app, metric.item, f"metric '{metric.name}'")


def check_group(app: AppSpec, group: Group) -> Element | None:
    """The group's element (None for `_created`)."""
    if group.item == CREATED:
        if group.bucket is None:
            raise SpecError(
                f"group '{group.name}': _created groups by a bucket only: "
                "year:_created, month:_created or day:_created"
            )
        return None
    element = item_element(app, group.item, f"group '{group.name}'")
    if group.bucket is not None and not is_dated(element):
        raise SpecError(
            f"group '{group.name}': a {group.bucket} bucket needs a DATE or DATETIME item, "
            f"'{group.item}' is {element.type}"
        )
    return element


def is_dated(element: Element) -> bool:
    """Does the element's index hold dates (a bucket's item)? Asked of its type."""
    return "date" in element.definition.sort_columns


def is_numeric(element: Element) -> bool:
    """Does the element's index hold numbers only (grouped by number)? Asked of its type."""
    return element.definition.sort_columns == ("number",)
