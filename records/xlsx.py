"""XLSX workbooks written as rows come (exports): pages of rows -> a one-sheet workbook's bytes.

The sheet's XML is written here, a page of rows at a time, into a temporary file; once the rows
are done, the workbook's fixed parts and that sheet are zipped into another temporary file,
which is then sent in pieces. Memory holds one page, whatever the number of rows. A page is
written a column at a time: a column of one type (most are) in one pass, its texts checked and
escaped together, any other cell by cell; this writes 100,000 rows of 4 cells at about 230,000
rows/s (bench/data.py's whole export of 100,000 rows: 70,000 to 80,000 on SQLite).

Why not a library's writer: openpyxl (write-only) and XlsxWriter (constant_memory) make objects
and calls per cell; on 100,000 rows of 4 cells they wrote 13,000 and 47,000 rows/s (the writing
alone), where an export's goal, reading the records included, is 50,000 rows/s (bench/data.py).
The cells are those openpyxl's writer makes of the same values, so the file reads back alike
(records/tests/test_xlsx.py compares the two with openpyxl, which reads imports): text as an
inline string (never a formula; characters XML cannot hold left out; at most 32,767 characters),
numbers with 16 significant digits (NaN and infinities empty), booleans, nothing for None.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator

# Characters an XML document may not hold: openpyxl's ILLEGAL_CHARACTERS_RE (control
# characters but tab, line feed, carriage return), and lone surrogates and U+FFFE/U+FFFF,
# which openpyxl's writer would fail on.
ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MAX_TEXT = 32767  # characters in a cell (Excel's limit; openpyxl cuts there too)
SHEET = "xl/worksheets/sheet1.xml"
# zlib's fastest: at its default (6) the writing of 100,000 rows went from 196,000 to 141,000
# rows/s for a file 12% smaller.
COMPRESS_LEVEL = 1

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
PARTS = {
    "[Content_Types].xml": (
        f'{HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{TYPE}.sheet.main+xml"/>'
        f'<Override PartName="/{SHEET}" ContentType="{TYPE}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{TYPE}.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'{HEAD}<Relationships xmlns="{RELATIONS}">'
        f'<Relationship Id="rId1" Type="{DOCUMENT}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        f'{HEAD}<workbook xmlns="{MAIN}" xmlns:r="{DOCUMENT}">'
        '<sheets><sheet name="records" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'{HEAD}<Relationships xmlns="{RELATIONS}">'
        f'<Relationship Id="rId1" Type="{DOCUMENT}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{DOCUMENT}/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    "xl/styles.xml": (
        f'{HEAD}<styleSheet xmlns="{MAIN}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}
SHEET_START = f'{HEAD}<worksheet xmlns="{MAIN}"><sheetData>'
SHEET_END = "</sheetData></worksheet>"


def column_letters(count: int) -> list[str]:
    """A, B, ..., Z, AA, AB, ...: the names of the first `count` columns."""
    letters = []
    for number in range(1, count + 1):
        name = ""
        while number:
            number, rest = divmod(number - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def escaped(text: str) -> str:
    """Text as XML character data (a carriage return kept as one: a parser would read a
    plain one as a line feed)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def cell(ref: str, value) -> str:
    """One `<c>` element, whatever the value (characters XML cannot hold left out)."""
    kind = value.__class__
    if kind is str:
        text = value
    elif kind is int or kind is float:
        number = f"{value:.16g}" if kind is int or math.isfinite(value) else ""
        return f'<c r="{ref}" t="n"><v>{number}</v></c>'
    elif kind is bool:
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    elif kind is list or kind is dict:
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    text = ILLEGAL.sub("", text)
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
    if not text:
        return f'<c r="{ref}" t="inlineStr"></c>'
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{escaped(text)}</t></is></c>'


def text_cells(letter: str, numbers: range, values: tuple) -> list[str] | None:
    """A column of texts (and None) as cells; None when one text needs more than escaping
    (empty, a space at an end, too long, a character XML cannot hold)."""
    texts = [value for value in values if value is not None]
    if not all(texts) or list(map(str.strip, texts)) != texts:
        return None
    if max(map(len, texts), default=0) > MAX_TEXT:
        return None
    joined = "".join(texts)
    if ILLEGAL.search(joined):
        return None
    if "&" in joined or "<" in joined or ">" in joined or "\r" in joined:
        # NUL is in no text (ILLEGAL): it parts them while they are escaped in one go.
        parts = iter(escaped("\x00".join(texts)).split("\x00"))
        values = [next(parts) if value is not None else None for value in values]
    return [
        f'<c r="{letter}{n}" t="inlineStr"><is><t>{value}</t></is></c>' if value is not None else ""
        for n, value in zip(numbers, values, strict=True)
    ]


def finite(numbers: tuple, kinds: set) -> bool:
    """Whether no number of a column of numbers (and None) is NaN or infinite."""
    return float not in kinds or all(map(math.isfinite, filter(None, numbers)))


def column_cells(letter: str, numbers: range, values: tuple) -> list[str]:
    """A page's column of values as its cells ("" for None), a column of one type in one
    pass (most are), any other cell by cell."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds == {str} and (cells := text_cells(letter, numbers, values)) is not None:
        return cells
    if kinds and kinds <= {int, float} and finite(values, kinds):
        return [
            f'<c r="{letter}{n}" t="n"><v>{value:.16g}</v></c>' if value is not None else ""
            for n, value in zip(numbers, values, strict=True)
        ]
    if kinds == {bool}:
        return [
            f'<c r="{letter}{n}" t="b"><v>{value:d}</v></c>' if value is not None else ""
            for n, value in zip(numbers, values, strict=True)
        ]
    return [
        cell(f"{letter}{n}", value) if value is not None else ""
        for n, value in zip(numbers, values, strict=True)
    ]


def rows_xml(rows: list[list], first: int, letters: list[str]) -> str:
    """`<row>` elements for `rows` (lists as long as `letters`), numbered from `first`."""
    numbers = range(first, first + len(rows))
    columns = [
        column_cells(letter, numbers, values)
        for letter, values in zip(letters, zip(*rows, strict=True), strict=True)
    ]
    return "".join(
        [
            f'<row r="{n}">{"".join(cells)}</row>'
            for n, cells in zip(numbers, zip(*columns, strict=True), strict=True)
        ]
    )


def write_sheet(sheet, header: list, pages: Iterable[list[list]]) -> None:
    """The sheet's XML into the file `sheet`: `header` as row 1, then each page's rows."""
    letters = column_letters(len(header))
    sheet.write(SHEET_START.encode())
    number = 1
    for rows in itertools.chain([[header]], pages):
        if rows:
            sheet.write(rows_xml(rows, number, letters).encode())
            number += len(rows)
    sheet.write(SHEET_END.encode())


def workbook_chunks(
    header: list, pages: Iterable[list[list]], chunk: int = 2**16
) -> Iterator[bytes]:
    """The bytes of a workbook of one sheet, `records`: `header`, then every page's rows."""
    with tempfile.NamedTemporaryFile(suffix=".xml") as sheet, tempfile.TemporaryFile() as package:
        write_sheet(sheet, header, pages)
        sheet.flush()
        with zipfile.ZipFile(
            package, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
        ) as archive:
            for name, text in PARTS.items():
                archive.writestr(name, text)
            archive.write(sheet.name, SHEET)  # its size known: ZIP64 only past zipfile's limit
        package.seek(0)
        while piece := package.read(chunk):
            yield piece
