"""The CHART element (contract §8): its numbers, and its HTML.

A declared chart (`group_by`, `value`, optional `query`) is counted by the database for the
visitor, exactly as `context.app.aggregate(..., secure=True)` counts; otherwise its function
returns `{"labels": [...], "series": {name: [numbers]}}`. Either way the same object is the
element's value over the API and what the page draws: a `<canvas>` that Chart.js (vendored by
scripts/chartjs.sh, served with the static files) fills, and a `<table class="chart-data">`
of the same numbers for screen readers, visitors without JavaScript, and tests.
"""

from __future__ import annotations

import json
import math

from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from records.errors import BadQuery
from site_model import code
from site_model.check_ids import CODE_ERROR
from site_model.spec import Element, Problem

# The group of the records without the item: in English in the element's value (the API's),
# in the visitor's language on the page.
NONE_LABEL = gettext_noop("(none)")
CHART_JS = "blocks/vendor/chart.umd.js"
CHARTS_JS = "blocks/charts.js"


def declared_data(ctx, element: Element) -> dict:
    """What a declared chart shows to this visitor: one series, named by its title or value."""
    options = element.options
    group, value = options["group_by"], options["value"]
    name = options.get("title") or element.label
    try:
        answer = ctx.app.aggregate(
            query=options.get("query"),
            group_by=[group],
            metrics={"value": value},
            secure=True,
            limit=1000,
        )
    except BadQuery:
        if not ctx.app.access.hidden_items:
            raise
        # It counts an item this visitor may not read (field permissions): nothing to show.
        return {"labels": [], "series": {name: []}}
    labels = [NONE_LABEL if row[group] is None else str(row[group]) for row in answer["groups"]]
    return {"labels": labels, "series": {name: [row["value"] or 0 for row in answer["groups"]]}}


def checked_data(block, element: Element, value) -> dict:
    """A chart function's value, which must be `{"labels": [..], "series": {name: [numbers]}}`
    with as many numbers in each series as there are labels; a BlockCodeError naming the
    function otherwise (the block's error box, a 500-free API answer)."""
    problem = shape_problem(value)
    if problem is not None:
        where = block.py_path or block.yaml_path
        raise code.BlockCodeError(
            Problem(
                where,
                1,
                f"chart '{element.id}(context)' must return {SHAPE}: {problem}",
                CODE_ERROR,
            )
        )
    return {"labels": [str(label) for label in value["labels"]], "series": value["series"]}


SHAPE = '{"labels": [...], "series": {name: [numbers]}}'


def shape_problem(value) -> str | None:
    if not isinstance(value, dict) or set(value) != {"labels", "series"}:
        return "found something else"
    labels, series = value["labels"], value["series"]
    if not isinstance(labels, list) or not isinstance(series, dict):
        return "labels must be a list and series an object"
    for name, numbers in series.items():
        if not isinstance(numbers, list) or len(numbers) != len(labels):
            return f"series '{name}' must hold one number per label"
        if not all(is_number(n) for n in numbers):
            return f"series '{name}' holds a value that is not a number"
    return None


def is_number(value) -> bool:
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    ) or value is None


def chart_html(element: Element, data: dict, blocks=()) -> str:
    """The figure: a caption, the canvas (its data as JSON in an attribute) and the table; an
    empty result says so instead. `blocks`: the chart's and its app's, whose elements' labels
    name the grouped item."""
    title = element.options.get("title") or element.label
    if not data["labels"]:
        return format_html(
            '<figure class="chart chart-empty" data-element="{}"><figcaption>{}</figcaption>'
            '<p class="chart-empty">{}</p></figure>',
            element.id,
            title,
            _("Nothing to show yet."),
        )
    data = {
        **data,
        "labels": [_(NONE_LABEL) if label == NONE_LABEL else label for label in data["labels"]],
    }
    names = list(data["series"])
    head = format_html_join("", '<th scope="col">{}</th>', ((name,) for name in names))
    rows = format_html_join(
        "",
        '<tr><th scope="row">{}</th>{}</tr>',
        (
            (
                label,
                format_html_join(
                    "", '<td class="num">{}</td>', ((shown(data["series"][n][i]),) for n in names)
                ),
            )
            for i, label in enumerate(data["labels"])
        ),
    )
    # The series' names (a title or label by language) in the visitor's language, as shown.
    series = {str(name): numbers for name, numbers in data["series"].items()}
    config = {"type": element.options.get("chart", "bar"), **data, "series": series}
    return format_html(
        '<figure class="chart" data-element="{}"><figcaption>{}</figcaption>'
        '<div class="chart-canvas"><canvas role="img" aria-label="{}" data-chart="{}"></canvas></div>'
        '<table class="chart-data"><thead><tr><th scope="col">{}</th>{}</tr></thead>'
        "<tbody>{}</tbody></table>"
        '<script src="{}" defer></script><script src="{}" defer></script></figure>',
        element.id,
        title,
        title,
        json_attr(config),
        group_heading(element.options.get("group_by", ""), blocks),
        head,
        rows,
        static(CHART_JS),
        static(CHARTS_JS),
    )


BUCKET_HEADINGS = {
    "year": gettext_noop("%(item)s (year)"),
    "month": gettext_noop("%(item)s (month)"),
    "day": gettext_noop("%(item)s (day)"),
}


def group_heading(group: str, blocks=()) -> str:
    """The table's first heading, in the visitor's language: the grouped item's label in the
    first of `blocks` that has it, else its name in words.

    >>> group_heading("month:sold_on"), group_heading("salesman")
    ('Sold on (month)', 'Salesman')"""
    bucket, _sep, item = group.rpartition(":")
    labels = (block.element(item) for block in blocks)
    label = next((element.label for element in labels if element is not None and element.label), "")
    words = str(label) or item.replace("_", " ").strip()
    words = words[:1].upper() + words[1:]
    return _(BUCKET_HEADINGS[bucket]) % {"item": words} if bucket in BUCKET_HEADINGS else words


def shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return (
            f"{value:,.2f}".rstrip("0").rstrip(".") if not value.is_integer() else f"{value:,.0f}"
        )
    return f"{value:,}"


def json_attr(value) -> str:
    return json.dumps(value, separators=(",", ":"))
