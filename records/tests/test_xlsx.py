"""records/xlsx.py writes the sheet's XML itself: what it writes must read back (with openpyxl,
as imports read) exactly as the workbook openpyxl's own writer made of the same values did."""

from __future__ import annotations

import io
import json
import zipfile

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from records import xlsx


def openpyxl_cell(sheet, value):
    """How exports wrote a value with openpyxl before records/xlsx.py."""
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"
        return cell
    return value


def by_openpyxl(rows: list[list]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("records")
    for row in rows:
        sheet.append([openpyxl_cell(sheet, value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def by_us(rows: list[list], page: int = 2) -> bytes:
    pages = [rows[n : n + page] for n in range(1, len(rows), page)]
    return b"".join(xlsx.workbook_chunks(rows[0], pages, chunk=1000))


def cells(content: bytes) -> tuple[list[str], list[list[tuple]]]:
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    found = [[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows()]
    return workbook.sheetnames, found


TRICKY = [
    ["id", "text", "number", "flag", "list", "odd\x01name"],
    ["a", '=HYPERLINK("http://x")', 2, True, ["x", 1], "+1"],
    ["b", " padded ", -2.5, False, {"k": "v"}, "@SUM(A1)"],
    ["c", "line\r\nbreak & <tag> 'q' \"qq\"\ttab", 0.1 + 0.2, None, [], "-"],
    ["d", "", 12345678901234567890, None, None, "bell\x07 and \x1f"],
    ["e", "é 😀 中文", 1e-05, None, None, "x" * 40_000],
    ["f", "   ", float("nan"), None, None, None],
    ["g", "\n", float("inf"), None, None, "#N/A"],
    ["h", None, -0.0, None, None, "TRUE"],
]


def test_tricky_values_read_back_as_openpyxl_wrote_them():
    ours, theirs = cells(by_us(TRICKY)), cells(by_openpyxl(TRICKY))
    assert ours == theirs
    assert ours[0] == ["records"]
    assert ours[1][1][1] == ('=HYPERLINK("http://x")', "s")  # text, never a formula
    assert ours[1][0][5] == ("oddname", "s")  # characters XML cannot hold left out
    assert len(ours[1][5][5][0]) == 32767


def test_text_with_spaces_at_its_ends_keeps_them():
    # openpyxl reads spaces back either way; Excel drops them without xml:space="preserve".
    sheet = zipfile.ZipFile(io.BytesIO(by_us(TRICKY))).read(xlsx.SHEET).decode()
    assert '<t xml:space="preserve"> padded </t>' in sheet
    assert '<t xml:space="preserve">   </t>' in sheet
    assert "<t>=HYPERLINK(" in sheet


def test_characters_openpyxl_could_not_write_are_left_out():
    rows = [["id", "text"], ["a", "lone \ud800 surrogate, \ufffe and \uffff"]]
    assert cells(by_us(rows))[1][1] == [("a", "s"), ("lone  surrogate,  and ", "s")]


def test_many_columns_are_named_past_z():
    assert xlsx.column_letters(28)[-3:] == ["Z", "AA", "AB"]
    assert xlsx.column_letters(703)[-1] == "AAA"
    header = [f"c{n}" for n in range(30)]
    _, found = cells(by_us([header, list(range(30))]))
    assert [value for value, _ in found[1]] == list(range(30))


texts = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\ufffe\uffff")
)
numbers = st.integers(min_value=-(2**63), max_value=2**63) | st.floats()
values = st.none() | st.booleans() | numbers | texts | st.lists(st.integers(), max_size=3)
# records/xlsx.py writes a column of one type (and None) in one pass, any other cell by cell.
one_kind = st.sampled_from(
    [texts, st.sampled_from(["plain", "a & b", "<x>\r\n"]), numbers, st.booleans()]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(values, min_size=3, max_size=3), min_size=1, max_size=6))
def test_any_json_values_read_back_as_openpyxl_wrote_them(rows):
    rows = [["id", "a", "b"], *rows]
    assert cells(by_us(rows)) == cells(by_openpyxl(rows))


@settings(max_examples=60, deadline=None)
@given(st.data(), st.integers(min_value=1, max_value=8))
def test_columns_of_one_kind_read_back_as_openpyxl_wrote_them(data, count):
    kinds = data.draw(st.lists(one_kind, min_size=1, max_size=4))
    columns = [
        data.draw(st.lists(st.none() | kind, min_size=count, max_size=count)) for kind in kinds
    ]
    rows = [[f"c{n}" for n in range(len(columns))], *map(list, zip(*columns, strict=True))]
    assert cells(by_us(rows, page=4)) == cells(by_openpyxl(rows))
