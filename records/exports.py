"""Exports (contract §9): the records a caller may read, as CSV, JSON or XLSX, in pieces.

`export_chunks` yields the file's bytes page by page: each page of records comes from
`selectors.records_page` with keyset paging (`after=`), so the memory an export takes does not
grow with the app, and the rows are those `POST /search` with that query would return
(row-level security, the query), each record's items passed through the gate's
`readable_items` (field permissions). The first page is read before the first byte, so a bad
query is still a plain 400. CSV: a header of `id` then every item name in first-seen order
(the database reads the keys of those records in one pass, `selectors.item_names`), lists
and objects as JSON text, a cell that a spreadsheet would take for a formula prefixed with
`'` (records/imports.py takes it off). JSON: a row is `json.dumps({"id": ..., **items})`;
when the stored text is already what that writes (`as_dumped`), it is sent as it is, without
being parsed and written again (bench/data.py: that parse and write was most of the time).
XLSX: the CSV's header and cells, but values of their own types (numbers, booleans) and text
never a formula nor escaped; records/xlsx.py writes the workbook.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator

from site_model.acl import Access
from site_model.spec import AppSpec

from . import access as gate
from . import selectors, xlsx
from .errors import InvalidInput
from .imports import FORMULA_START

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PAGE = 5000  # records per page read (1000: a third of the JSON rate on SQLite, bench/data.py)
FORMULA_FIRST = frozenset("'=+-@\t\r")  # the characters FORMULA_START may begin with


def check_format(fmt: str | None) -> str:
    fmt = fmt or "csv"
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of csv, json, xlsx; found '{fmt[:40]}'")
    return fmt


def raw_pages(app: AppSpec, access: Access, query: str | None) -> Iterator[list[tuple[str, str]]]:
    """The caller's readable records, a page of (record id, readable items as the database's
    JSON text) at a time. The first page is read when this is called (a bad query raises
    here), the others as they are asked."""
    first = selectors.records_page(app, access=access, query=query, limit=PAGE, rows=True)
    return _raw_pages(app, access, query, first)


def _raw_pages(app, access, query, page) -> Iterator[list[tuple[str, str]]]:
    while True:
        yield page.records
        if not page.has_more:
            return
        page = selectors.records_page(
            app, access=access, query=query, limit=PAGE, after=page.records[-1][0], rows=True
        )


def decoded(app: AppSpec, access: Access, all_pages) -> Iterator[list[tuple[str, dict]]]:
    """Pages of (record id, readable items); a page's items parsed in one call."""
    for page in all_pages:
        every = json.loads("[" + ",".join([items for _, items in page]) + "]")
        yield [
            (record_id, gate.readable_items(app, access, items))
            for (record_id, _), items in zip(page, every, strict=True)
        ]


def export_chunks(app: AppSpec, access: Access, query: str | None, fmt: str) -> Iterator[bytes]:
    """The export's bytes. Reads the first page now (see `raw_pages`)."""
    first = raw_pages(app, access, query)
    if fmt == "json":
        return json_chunks(app, access, first)
    names = item_names(app, access, query)
    if fmt == "csv":
        return csv_chunks(decoded(app, access, first), names)
    return xlsx_chunks(decoded(app, access, first), names)


def item_names(app: AppSpec, access: Access, query: str | None) -> list[str]:
    """Every readable item name of the records, in the order first seen (the database reads
    the keys of every record the pages hold, in one pass)."""
    records = selectors.records_readable(app, access, query)
    hidden = access.hidden_items
    return [n for n in selectors.item_names(records) if n != "id" and n not in hidden]


# A number's text json.dumps may write otherwise (jsonb's 0.00001 is Python's 1e-05).
NUMBER_RISK = re.compile(r"[0-9][.eE]")


def as_dumped(text: str) -> bool:
    """Whether `json.dumps(json.loads(text))` is `text` itself for each JSON object in `text`
    (a page's items, one a line), so that rows are sent as stored: ASCII without DEL
    (json.dumps escapes the others), no escapes (jsonb and json.dumps may write the same
    character differently), no fraction or exponent, json.dumps's separators (SQLite's JSON
    functions write none; `": ` holds `":`, so equal counts hold for each object), and no `id`
    item (the export's own `id` replaces it)."""
    return (
        text.isascii()
        and "\\" not in text
        and "\x7f" not in text
        and '"id":' not in text
        and text.count('":') == text.count('": ')
        and not NUMBER_RISK.search(text)
    )


def json_page(app: AppSpec, access: Access, page: list[tuple[str, str]], direct: bool) -> str:
    """The rows of a page as `json.dumps({"id": record_id, **items})` would write them, one a
    line: the stored text itself, with `id` put first, when that is what json.dumps writes."""
    if direct and page:
        ids = "".join([record_id for record_id, _ in page])
        texts = "\n".join([items for _, items in page])
        if ids.isascii() and ids.isprintable() and '"' not in ids and "\\" not in ids:
            if as_dumped(texts) and all(items[:1] == "{" for _, items in page):
                return ",\n".join(
                    [
                        f'{{"id": "{record_id}", {items[1:]}'
                        if items != "{}"
                        else f'{{"id": "{record_id}"}}'
                        for record_id, items in page
                    ]
                )
    return ",\n".join(
        json.dumps({"id": record_id, **items})
        for record_id, items in next(decoded(app, access, [page]))
    )


def json_chunks(app: AppSpec, access: Access, all_pages) -> Iterator[bytes]:
    # The database left the hidden items out already; with any, each row also goes through
    # `readable_items`, as stored text is sent only when no item is hidden.
    direct = not access.hidden_items
    yield b"["
    separator = ""
    for page in all_pages:
        if page:
            yield f"{separator}\n{json_page(app, access, page, direct)}".encode()
            separator = ","
    yield b"\n]\n"


def cell_text(value) -> str:
    """A value as CSV text: lists and objects as JSON, a formula's first character escaped."""
    if value.__class__ is str:  # most cells: no conversion
        text = value
    elif value is None:
        return ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    if text[:1] in FORMULA_FIRST and FORMULA_START.match(text):
        return "'" + text
    return text


def csv_chunks(all_pages, names: list[str]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["id", *names])
    for page in all_pages:
        writer.writerows(
            [cell_text(record_id), *map(cell_text, map(items.get, names))]
            for record_id, items in page
        )
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def xlsx_chunks(all_pages, names: list[str]) -> Iterator[bytes]:
    """The workbook (records/xlsx.py): a header of `id` then `names`, a row per record."""
    rows = (
        [[record_id, *map(items.get, names)] for record_id, items in page] for page in all_pages
    )
    return xlsx.workbook_chunks(["id", *names], rows)
