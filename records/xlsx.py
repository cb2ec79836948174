"""XLSX workbooks written as rows come (exports): pages of rows -> a one-sheet workbook's bytes.

The sheet's XML is written here, a page of rows at a time, into a temporary file; once the rows
are done, the workbook's fixed parts and that sheet are zipped into another temporary file,
which is then sent in pieces. Memory holds one page, whatever the number of rows.

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


def cell(ref: str, value, clean: bool) -> str:
    """One `<c>` element; `clean`: leave out the characters XML cannot hold."""
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
    if clean:
        text = ILLEGAL.sub("", text)
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
    if not text:
        return f'<c r="{ref}" t="inlineStr"></c>'
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{escaped(text)}</t></is></c>'


def rows_xml(rows: list[list], first: int, letters: list[str], clean: bool) -> str:
    """`<row>` elements for `rows`, numbered from `first`; a None value is no cell."""
    return "".join(
        [
            f'<row r="{number}">'
            + "".join(
                [
                    cell(f"{letter}{number}", value, clean)
                    for letter, value in zip(letters, row, strict=False)
                    if value is not None
                ]
            )
            + "</row>"
            for number, row in enumerate(rows, start=first)
        ]
    )


def write_sheet(sheet, header: list, pages: Iterable[list[list]]) -> None:
    """The sheet's XML into the file `sheet`: `header` as row 1, then each page's rows."""
    letters = column_letters(len(header))
    sheet.write(SHEET_START.encode())
    number = 1
    for rows in itertools.chain([[header]], pages):
        text = rows_xml(rows, number, letters, clean=False)
        if ILLEGAL.search(text):  # rare: the page is written again, each cell cleaned
            text = rows_xml(rows, number, letters, clean=True)
        sheet.write(text.encode())
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
