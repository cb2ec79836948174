"""Exports (contract §9): the records a caller may read, as CSV, JSON or XLSX, in pieces.

`export_chunks` yields the file's bytes page by page: each page of records comes from
`selectors.records_page` with keyset paging (`after=`), so the memory an export takes does not
grow with the app, and the rows are those `POST /search` with that query would return
(row-level security, the query), each record's items passed through the gate's
`readable_items` (field permissions). The first page is read before the first byte, so a bad
query is still a plain 400. CSV: a header of `id` then every item name in first-seen order
(a first pass over the pages finds them), lists and objects as JSON text, a cell that a
spreadsheet would take for a formula prefixed with `'` (records/imports.py takes it off).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator

from site_model.acl import Access
from site_model.spec import AppSpec

from . import access as gate
from . import selectors
from .errors import InvalidInput
from .imports import FORMULA_START

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PAGE = 1000  # records per page read
FORMULA_FIRST = frozenset("'=+-@\t\r")  # the characters FORMULA_START may begin with


def check_format(fmt: str | None) -> str:
    fmt = fmt or "csv"
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of csv, json, xlsx; found '{fmt[:40]}'")
    return fmt


def pages(app: AppSpec, access: Access, query: str | None) -> Iterator[list[tuple[str, dict]]]:
    """The caller's readable records, a page (record id, readable items) at a time. The first
    page is read when this is called (a bad query raises here), the others as they are asked."""
    first = selectors.records_page(app, access=access, query=query, limit=PAGE, rows=True)
    return _pages(app, access, query, first)


def _pages(app, access, query, page) -> Iterator[list[tuple[str, dict]]]:
    while True:
        yield [
            (record_id, gate.readable_items(app, access, json.loads(items)))
            for record_id, items in page.records
        ]
        if not page.has_more:
            return
        page = selectors.records_page(
            app, access=access, query=query, limit=PAGE, after=page.records[-1][0], rows=True
        )


def export_chunks(app: AppSpec, access: Access, query: str | None, fmt: str) -> Iterator[bytes]:
    """The export's bytes. Reads the first page now (see `pages`)."""
    first = pages(app, access, query)
    if fmt == "json":
        return json_chunks(first)
    names = item_names(pages(app, access, query))
    if fmt == "csv":
        return csv_chunks(first, names)
    return xlsx_chunks(first, names)


def item_names(all_pages) -> list[str]:
    """Every item name of the records, in the order first seen."""
    seen: dict[str, None] = {}
    for page in all_pages:
        for _, items in page:
            for name in items:
                seen.setdefault(name, None)
    seen.pop("id", None)
    return list(seen)


def json_chunks(all_pages) -> Iterator[bytes]:
    yield b"["
    separator = ""
    for page in all_pages:
        if page:
            text = ",\n".join(json.dumps({"id": rid, **items}) for rid, items in page)
            yield f"{separator}\n{text}".encode()
            separator = ","
    yield b"\n]\n"


def cell_text(value) -> str:
    """A value as CSV text: lists and objects as JSON, a formula's first character escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
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
        for record_id, items in page:
            writer.writerow([cell_text(record_id)] + [cell_text(items.get(n)) for n in names])
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def xlsx_cell(sheet, value):
    """A value as an XLSX cell: numbers and booleans as such, text never a formula."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # "=HYPERLINK(...)" stays text
        return cell
    return value


def xlsx_chunks(all_pages, names: list[str], chunk: int = 2**16) -> Iterator[bytes]:
    """A write-only workbook (rows streamed to a temporary file), then that file in pieces."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("records")
    sheet.append([xlsx_cell(sheet, name) for name in ("id", *names)])
    for page in all_pages:
        for record_id, items in page:
            sheet.append(
                [xlsx_cell(sheet, record_id)] + [xlsx_cell(sheet, items.get(n)) for n in names]
            )
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(path)
        with open(path, "rb") as file:
            while piece := file.read(chunk):
                yield piece
    finally:
        os.unlink(path)
