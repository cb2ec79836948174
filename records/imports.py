"""Imports (contract §9): a CSV, JSON or XLSX file (or a list) -> rows checked -> records.

`read_file` turns the bytes into rows of items (each `Row`: its number, 1-based without the
header, and its items as the API would take them); `ImportRun` checks every row as a create
(or an update) by the caller through the API would be checked, then writes them all in one
transaction through records.store, or nothing. Limits of the file (settings
`IMPORT_MAX_BYTES`, `IMPORT_MAX_ROWS`, `IMPORT_MAX_ROW_BYTES`) and anything that cannot be
read as its format are `BadImportFile` (400, or the failed job's reason).

A row is checked by the rules the store and the gate own: `validation.check_items` (types and
rules, references the caller may read, required inputs of the block), `store.check_owner_items`,
`selectors.check_record_id`, the gate's `record_for(..., "edit")` for an update and the owner
items an edit share may not change; `_` names are the server's (only `_author` as it will be
stored passes, so an export comes back unchanged). Imports: records and the site model only.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import math
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from site_model import acl
from site_model.spec import AppSpec, BlockSpec, Element

from . import access as gate
from . import history, selectors, store, validation
from .errors import (
    BadImportFile,
    Denied,
    InvalidInput,
    InvalidItems,
    RecordError,
    RecordExists,
    StampedItem,
)
from .models import Record

FORMATS = ("csv", "json", "xlsx")
ON_CONFLICT = ("fail", "skip", "update")
MAX_PROBLEMS = 1000  # problems kept in a job; the rest are counted
SERVER_ITEMS = ("_author",)  # `_` names an import may carry back, unchanged
ZIP_MAGIC = b"PK\x03\x04"
# An XLSX is a ZIP of XML: what it may unpack to, and how much more than it weighs.
XLSX_MAX_UNPACKED = 512 * 2**20
XLSX_MAX_RATIO = 200
# A CSV cell an export escaped (contract §9): `'` before =, +, -, @ (and tab, CR).
FORMULA_START = re.compile(r"'*[=+\-@\t\r]")
ESCAPED_FORMULA = re.compile(r"'+[=+\-@\t\r]")


@dataclass(frozen=True)
class Row:
    number: int  # 1-based, the header not counted
    items: dict  # as the API takes them: `id` among them


@dataclass
class Rows:
    """A file read: its column names (None for JSON) and its rows."""

    headers: list[str] | None
    rows: list[Row]


# --- reading files ----------------------------------------------------------------------------


def format_of(name: str, content_type: str = "") -> str:
    """The format a file's name (else its content type) says: csv, json or xlsx."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in FORMATS:
        return suffix
    for fmt, marker in (("csv", "csv"), ("json", "json"), ("xlsx", "spreadsheetml")):
        if marker in content_type:
            return fmt
    raise BadImportFile(
        f"the file '{name[:100]}' names no format: send a .csv, .json or .xlsx file"
    )


def check_looks_like(data: bytes, fmt: str, name: str) -> None:
    """`BadImportFile` when the bytes are plainly not what the name says (a ZIP named .csv)."""
    head = data[:8192]
    is_zip = head.startswith(ZIP_MAGIC)
    if fmt == "xlsx" and not is_zip:
        raise BadImportFile(f"the file '{name[:100]}' is not an XLSX workbook (not a ZIP archive)")
    if fmt != "xlsx" and (is_zip or b"\x00" in head):
        raise BadImportFile(
            f"the file '{name[:100]}' is not {fmt.upper()} text: it holds binary data"
            + (" (a ZIP archive: an XLSX workbook?)" if is_zip else "")
        )
    if fmt == "json" and not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"[", b"{")):
        raise BadImportFile(f"the file '{name[:100]}' is not JSON: it must hold a list of objects")


def read_file(data: bytes, fmt: str, app: AppSpec) -> Rows:
    """The rows of a file in format `fmt`, or `BadImportFile` naming why it cannot be read."""
    if len(data) > settings.IMPORT_MAX_BYTES:
        raise BadImportFile(
            f"the file holds {len(data)} bytes: an import takes at most "
            f"{settings.IMPORT_MAX_BYTES // 2**20} MB; split it"
        )
    reader = {"csv": read_csv, "json": read_json, "xlsx": read_xlsx}[fmt]
    return reader(data, app)


def too_many_rows(found: str) -> BadImportFile:
    return BadImportFile(
        f"the file holds {found} rows: an import takes at most {settings.IMPORT_MAX_ROWS}; "
        "split it into several files"
    )


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BadImportFile(
            f"the file is not valid UTF-8 (bad byte 0x{data[exc.start]:02x} on line {line}): "
            "save it as UTF-8"
        ) from None


def read_csv(data: bytes, app: AppSpec) -> Rows:
    text = decode(data)
    limit = settings.IMPORT_MAX_ROW_BYTES
    csv.field_size_limit(limit)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        headers = next(reader, None)
        if headers is None:
            raise BadImportFile("the file is empty: a CSV starts with a header row")
        headers = check_headers([name.strip() for name in headers])
        elements = column_elements(app, headers)
        rows = []
        for number, cells in enumerate(reader, start=1):
            if number > settings.IMPORT_MAX_ROWS:
                raise too_many_rows("more")
            if not any(cells):
                continue  # a blank line
            rows.append(Row(number, text_row(number, headers, elements, cells)))
    except csv.Error as exc:
        where = f"row {reader.line_num - 1}" if reader.line_num > 1 else "the header"
        if "field larger than field limit" in str(exc):
            raise BadImportFile(
                f"{where}: a cell holds more than {limit // 1024} KB, the most a row may hold"
            ) from None
        raise BadImportFile(f"{where}: not valid CSV ({exc})") from None
    return Rows(headers, rows)


def check_headers(headers: list[str]) -> list[str]:
    seen = set()
    for position, name in enumerate(headers, start=1):
        if not name:
            raise BadImportFile(f"column {position} of the header row has no name")
        if name in seen:
            raise BadImportFile(f"column '{name[:100]}' appears twice in the header row")
        seen.add(name)
    return headers


def text_row(number: int, headers: list[str], elements: list, cells: list) -> dict:
    if len(cells) > len(headers):
        extra = [cell for cell in cells[len(headers) :] if cell != ""]
        if extra:
            raise BadImportFile(
                f"row {number}: {len(cells)} cells for {len(headers)} columns of the header"
            )
    items = {}
    for name, element, cell in zip(headers, elements, cells, strict=False):
        value = cell_value(element, cell)
        if value is not None:
            items[name] = value
    return items


def read_json(data: bytes, app: AppSpec) -> Rows:
    try:
        value = json.loads(decode(data), parse_constant=no_constant)
    except RecursionError:
        raise BadImportFile("the file is not valid JSON: nested too deeply") from None
    except ValueError as exc:
        raise BadImportFile(f"the file is not valid JSON: {exc}") from None
    return rows_of_list(value)


def no_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def rows_of_list(value) -> Rows:
    """Rows of a JSON list of objects (a file's, or the body's `rows`)."""
    if isinstance(value, dict) and isinstance(value.get("rows"), list):
        value = value["rows"]
    if not isinstance(value, list):
        raise BadImportFile("the JSON must be a list of objects, one a row")
    if len(value) > settings.IMPORT_MAX_ROWS:
        raise too_many_rows(str(len(value)))
    rows = []
    for number, items in enumerate(value, start=1):
        if not isinstance(items, dict):
            raise BadImportFile(f"row {number}: a row must be a JSON object of items")
        rows.append(Row(number, items))
    return Rows(None, rows)


def check_zip(data: bytes) -> None:
    """Refuse a ZIP that unpacks to far more than it weighs (a bomb) before opening it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise BadImportFile("the file is not an XLSX workbook (a broken ZIP archive)") from None
    unpacked = 0
    for member in archive.infolist():
        unpacked += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if unpacked > XLSX_MAX_UNPACKED or (member.file_size > 2**20 and ratio > XLSX_MAX_RATIO):
            raise BadImportFile(
                "the XLSX workbook unpacks to too much data "
                f"({member.filename[:60]}: {member.file_size} bytes from "
                f"{member.compress_size}); it is refused as a ZIP bomb"
            )


def read_xlsx(data: bytes, app: AppSpec) -> Rows:
    from openpyxl import load_workbook

    check_zip(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise BadImportFile(
            f"the file is not a readable XLSX workbook ({type(exc).__name__})"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        header = next(values, None)
        if header is None:
            raise BadImportFile("the first sheet is empty: it starts with a header row")
        width = len(header)
        while width and header[width - 1] in (None, ""):
            width -= 1
        headers = check_headers(
            [str(name).strip() if name is not None else "" for name in header[:width]]
        )
        elements = column_elements(app, headers)
        rows = []
        for number, cells in enumerate(values, start=1):
            if number > settings.IMPORT_MAX_ROWS:
                raise too_many_rows("more")
            if all(cell in (None, "") for cell in cells):
                continue
            if any(cell not in (None, "") for cell in cells[width:]):
                raise BadImportFile(f"row {number}: a cell outside the header's {width} columns")
            items = {}
            for name, element, cell in zip(headers, elements, cells, strict=False):
                value = xlsx_value(element, cell)
                if value is not None:
                    items[name] = value
            rows.append(Row(number, items))
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
        raise BadImportFile(f"the workbook cannot be read ({exc})") from None
    finally:
        workbook.close()
    return Rows(headers, rows)


# --- cells -> values ---------------------------------------------------------------------------


def column_elements(app: AppSpec, headers: list[str]) -> list[Element | None]:
    return [validation.element_for(app, None, name) for name in headers]


def value_kind(element: Element | None) -> str:
    """How a cell's text becomes a value: number, boolean or string (the element's JSON type)."""
    if element is None:
        return "string"
    kind = element.definition.json_type.get("type", "string")
    return kind if kind in ("number", "boolean") else "string"


def cell_value(element: Element | None, text: str):
    """A CSV cell as the value it stands for (None: empty, no item). Lists are JSON text, an
    export's `'` before a formula character is taken off, numbers and booleans by the element's
    type; a cell that is not of the type stays text, for the check to name."""
    if ESCAPED_FORMULA.match(text):
        text = text[1:]
    if text == "":
        return None
    if text.startswith("[") or text.startswith("{"):
        try:
            return json.loads(text, parse_constant=no_constant)
        except (ValueError, RecursionError):
            return text
    kind = value_kind(element)
    if kind == "number":
        return number_of(text)
    if kind == "boolean":
        return {"true": True, "false": False}.get(text.strip().lower(), text)
    return text


def number_of(text: str):
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


def xlsx_value(element: Element | None, cell):
    """An XLSX cell as a value: numbers and booleans as they are (or as text for a text
    element), dates as ISO text, strings as a CSV cell's."""
    if cell is None:
        return None
    if isinstance(cell, str):
        return cell_value(element, cell)
    if isinstance(cell, datetime.datetime):
        if element is not None and element.definition.json_type.get("format") == "date":
            return cell.date().isoformat()
        return cell.isoformat()
    if isinstance(cell, datetime.date | datetime.time):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer() and value_kind(element) == "number":
        return int(cell)
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        if value_kind(element) == "string" and element is not None:
            return str(int(cell)) if float(cell).is_integer() else str(cell)
    return cell


# --- checking and writing ----------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    block: str | None = None
    dry_run: bool = False
    on_conflict: str = "fail"


def options_of(raw: dict, app: AppSpec, who) -> Options:
    """The import's options from a body or a form, or `InvalidInput` naming the bad one."""
    unknown = sorted(set(raw) - {"block", "dry_run", "on_conflict"})
    if unknown:
        raise InvalidInput(f"unknown import option '{unknown[0]}': block, dry_run, on_conflict")
    block = raw.get("block") or None
    if block is not None and (
        not isinstance(block, str)
        or block not in app.blocks
        or not gate.block_verdict(app.blocks[block], who)
    ):
        shown = block[:60] if isinstance(block, str) else json.dumps(block)[:60]
        raise InvalidInput(f"block: no block '{shown}' in app '{app.id}'")
    dry_run = raw.get("dry_run", False)
    if isinstance(dry_run, str) and dry_run.lower() in ("true", "false", "1", "0", ""):
        dry_run = dry_run.lower() in ("true", "1")
    if not isinstance(dry_run, bool):
        raise InvalidInput("dry_run must be true or false")
    on_conflict = raw.get("on_conflict") or "fail"
    if on_conflict not in ON_CONFLICT:
        shown = on_conflict[:60] if isinstance(on_conflict, str) else json.dumps(on_conflict)[:60]
        raise InvalidInput(f"on_conflict must be one of fail, skip, update; found '{shown}'")
    return Options(block=block, dry_run=dry_run, on_conflict=on_conflict)


@dataclass
class Planned:
    row: int
    items: dict
    record_id: str | None
    update: Record | None = None


@dataclass
class Outcome:
    total: int = 0
    done: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    problems: list[dict] = field(default_factory=list)
    more_problems: int = 0

    def problem(self, row: int, item: str, error: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append({"row": row, "item": item, "error": error})
        else:
            self.more_problems += 1

    def all_problems(self) -> list[dict]:
        if not self.more_problems:
            return self.problems
        return [
            *self.problems,
            {"row": 0, "item": "", "error": f"and {self.more_problems} more problems"},
        ]


PROGRESS_EVERY = 1000


class ImportRun:
    """One import by one caller (`user`: None for trusted code, the management command)."""

    def __init__(self, *, app: AppSpec, access: acl.Access, user, options: Options):
        self.app, self.access, self.user, self.options = app, access, user, options
        self.block: BlockSpec | None = app.blocks.get(options.block) if options.block else None
        self.rights = gate.field_rights(app, access)
        self.username = user.get_username() if user is not None else None
        # The items the store will stamp from the creator (`on_create`), as the write will.
        self.stamping = store.on_create_for(app, user=user, reader=user) if user else ({}, True)
        self.known = {"id", "block", *SERVER_ITEMS} | {
            element.id for block in app.blocks.values() for element in block.inputs
        }

    def run(self, rows: Rows, progress: Callable[[Outcome], None] | None = None) -> Outcome:
        outcome = Outcome(total=len(rows.rows))
        self.check_columns(rows, outcome)
        plan = self.check(rows.rows, outcome, progress)
        if outcome.problems or self.options.dry_run:
            return outcome
        if progress is not None:
            progress(outcome)
        self.write(plan, outcome)
        return outcome

    # - checks

    def check_columns(self, rows: Rows, outcome: Outcome) -> None:
        """Columns (a file's header, or a JSON row's names) that name no input element."""
        if rows.headers is not None:
            named = [(0, name) for name in rows.headers]
        else:
            first: dict[str, int] = {}
            for row in rows.rows:
                for name in row.items:
                    first.setdefault(name, row.number)
            named = [(number, name) for name, number in first.items()]
        for number, name in named:
            if name in self.known:
                continue
            if name.startswith("_"):
                outcome.problem(number, name, "item names starting with '_' are the server's")
            else:
                outcome.problem(
                    number, name, f"unknown column: app '{self.app.id}' has no input '{name}'"
                )

    def check(self, rows: list[Row], outcome: Outcome, progress) -> list[Planned]:
        existing = self.existing(rows)
        plan, seen = [], {}
        for row in rows:
            planned = self.check_row(row, existing, seen, outcome)
            if planned is not None:
                plan.append(planned)
            outcome.done += 1
            if progress is not None and outcome.done % PROGRESS_EVERY == 0:
                progress(outcome)
        return plan

    def existing(self, rows: list[Row]) -> set[str]:
        """The ids of the file that name a record of the app already, whoever may read them:
        the rules of `check_update` decide on each (as the server: contract §12)."""
        ids = [row.items["id"] for row in rows if isinstance(row.items.get("id"), str)]
        return store.taken_ids(self.app.id, ids)

    def check_row(
        self, row: Row, existing: set[str], seen: dict, outcome: Outcome
    ) -> Planned | None:
        items = {name: value for name, value in row.items.items() if name in self.known}
        if len(json.dumps(items)) > settings.IMPORT_MAX_ROW_BYTES:
            kb = settings.IMPORT_MAX_ROW_BYTES // 1024
            outcome.problem(row.number, "", f"the row holds more than {kb} KB")
            return None
        record_id = items.pop("id", None)
        if record_id is not None:
            try:
                selectors.check_record_id(record_id)
            except InvalidInput as exc:
                outcome.problem(row.number, "id", exc.message)
                return None
            if record_id in seen:
                outcome.problem(
                    row.number, "id", f"id '{record_id}' is also on row {seen[record_id]}"
                )
                return None
            seen[record_id] = row.number
        if not self.writable(row, items, outcome):
            return None
        if record_id is not None and record_id in existing:
            if self.options.on_conflict == "skip":
                outcome.skipped += 1
                return None
            if self.options.on_conflict == "fail":
                outcome.problem(
                    row.number, "id", f"record '{record_id}' exists already in app '{self.app.id}'"
                )
                return None
            return self.check_update(row, items, record_id, outcome)
        return self.check_create(row, items, record_id, outcome)

    def writable(self, row: Row, items: dict, outcome: Outcome) -> bool:
        """Field permissions (contract §10): items the caller may not write."""
        refused = [name for name in items if not self.rights.get(name, (True, True))[1]]
        for name in refused:
            outcome.problem(row.number, name, "you may not write this item")
        block = items.get("block")
        if "block" in items and not (isinstance(block, str) and block in self.app.blocks):
            outcome.problem(
                row.number, "block", f"no block '{str(block)[:60]}' in app '{self.app.id}'"
            )
            return False
        return not refused

    def author_problem(self, items: dict, stored) -> str | None:
        """`_author` passes only as it will be stored (trusted imports keep what they bring)."""
        if "_author" not in items or self.user is None:
            return None
        if items.pop("_author") != stored:
            return "the author is the server's: a row may not name another author"
        return None

    def check_create(
        self, row: Row, items: dict, record_id: str | None, outcome: Outcome
    ) -> Planned | None:
        problem = self.author_problem(items, self.username)
        if problem is not None:
            outcome.problem(row.number, "_author", problem)
            return None
        try:
            store.stamp_on_create(self.app, dict(items), self.stamping)
        except StampedItem as exc:
            outcome.problem(row.number, exc.item, str(exc))
            return None
        try:
            store.check_owner_items(self.app, items)
            validation.check_items(
                app=self.app, items=items, block=self.block, creating=True, reader=self.user
            )
        except InvalidItems as exc:
            self.item_problems(row, exc, outcome)
            return None
        return Planned(row.number, items, record_id)

    def check_update(
        self, row: Row, items: dict, record_id: str, outcome: Outcome
    ) -> Planned | None:
        try:
            granted = gate.record_for(self.app, self.access, record_id, "edit")
        except Denied as exc:
            outcome.problem(row.number, "id", exc.message)
            return None
        current = granted.record
        problem = self.author_problem(items, current.items.get("_author"))
        if problem is not None:
            outcome.problem(row.number, "_author", problem)
            return None
        if all(name in current.items and current.items[name] == v for name, v in items.items()):
            outcome.skipped += 1  # nothing would change: no write, no new version
            return None
        fixed = self.access.fixed_owner_items(granted.facts)
        refused = acl.changed_owner_item(current.items, items, fixed)
        if refused is not None:
            outcome.problem(row.number, refused, "an edit share may not change an owner item")
            return None
        try:
            store.check_block_kept(current, items, self.block)
            store.check_owner_items(self.app, {**current.items, **items})
            validation.check_items(
                app=self.app, items=items, block=self.block, current=current.items, reader=self.user
            )
        except InvalidItems as exc:
            self.item_problems(row, exc, outcome)
            return None
        return Planned(row.number, items, record_id, update=current)

    def item_problems(self, row: Row, exc: InvalidItems, outcome: Outcome) -> None:
        if not exc.problems:
            outcome.problem(row.number, "", exc.message)
        for name, problem in exc.problems.items():
            outcome.problem(row.number, name, problem)

    # - writing

    def write(self, plan: list[Planned], outcome: Outcome) -> None:
        """Every planned row in one transaction: a refusal now (a record created or changed
        meanwhile) rolls all of it back and becomes the row's problem."""
        creates = [each for each in plan if each.update is None]
        updates = [each for each in plan if each.update is not None]
        try:
            with history.written_via("import", by=self.user), transaction.atomic():
                self.write_creates(creates)
                for each in updates:
                    self.write_update(each)
        except RecordError as exc:
            position = getattr(exc, "position", None)
            row = creates[position].row if position is not None else getattr(exc, "row", 0)
            outcome.problem(row, "", exc.message)
            return
        outcome.created, outcome.updated = len(creates), len(updates)

    def write_creates(self, creates: list[Planned]) -> None:
        if self.block is None:
            store.records_create_many(
                app=self.app,
                rows=[(each.items, each.record_id) for each in creates],
                user=self.user,
                reader=self.user,
            )
            return
        for each in creates:
            try:
                store.record_create(
                    app=self.app,
                    items=each.items,
                    record_id=each.record_id,
                    user=self.user,
                    block=self.block,
                    reader=self.user,
                )
            except (InvalidInput, RecordExists) as exc:
                exc.row = each.row
                raise

    def write_update(self, each: Planned) -> None:
        try:
            granted = gate.record_for(self.app, self.access, each.record_id, "edit", lock=True)
            store.record_save(
                app=self.app,
                record=granted.record,
                items=each.items,
                block=self.block,
                fixed=self.access.fixed_owner_items(granted.facts),
                locked=True,
                reader=self.user,
            )
        except RecordError as exc:
            exc.row = each.row
            raise
