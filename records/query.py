"""Search queries (contract §4): a safe subset of Python expressions, parsed and never evaluated.

`parse_query(text, indexes)` turns a query string into a small checked tree of frozen dataclasses
(`And`, `Or`, `Not`, `Compare`, `Between`, `AnyOf`, `TextMatch`, `MatchAll`) that names index ids
and typed values only. Anything outside the language raises `QueryError`, whose message names the
construct; the API answers it with 400. `records/query_sql.py` turns the tree into a Django `Q`.

This module imports nothing from the ORM (only the element types' definitions, which say how an
index of each type compares), so it can be tested exhaustively without a database and reused by
anything that needs to check a query.

The language:
    price >= 10 and price < 20          comparisons: == != < <= > >=, a name and a value
    10 <= price < 20                    a chain is the `and` of its links, as in Python
    a == 1 or not (b == 2)              and, or, not, parentheses; usual Python precedence
    'lord jim' in title                 a text index: every word present, case-insensitive
    tag in any(['a', 'b'])              a field index: equal to one of the values
    tag not in any(['a']), 'x' not in title     the negations
Values are string and number literals (a leading minus sign is allowed). Names are index ids;
`id` is always one.

Typing rule (decided by the index's element type, `IndexSpec.element_type`, whose definition in
site_model.elements gives the column a literal compares with):
- NUMBER: the value must be a number; it compares numerically.
- DATETIME: the value must be an ISO 8601 string: a date (`'2024-05-01'`) or a date and time
  (`'2024-05-01T13:30'`, `'...Z'`, `'...+02:00'`). Values compare as instants; a time without an
  offset is taken in `default_tz` (UTC unless given). A date alone stands for that whole day:
  `due == '2024-05-01'` is true at any time of that day, `due < '2024-05-01'` before it starts,
  `due <= '2024-05-01'` before it ends, `due > '2024-05-01'` from the next day on.
- TEXT, and the `id` index: the value must be a string; strings compare by the database's order.
- Any other element type (BASIC values, whose type is not declared): the literal's own type picks
  the comparison: a number compares with the numeric values of the index, a string with the
  string values.
Records whose item is absent (or of another type) fail every comparison, so `x != 1` is written
`not (x == 1)` and both match a record without `x`; `x < 5` does not.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Literal

from site_model.elements import Column, ElementType, element_type

# Limits: a query is typed by a person or built by a program; these are far beyond either and
# keep parsing cheap (ast.parse is linear in the text, our checks linear in the tree).
MAX_QUERY_LENGTH = 10_000
MAX_DEPTH = 32  # nesting of and/or/not/comparisons, parentheses count through the tree
MAX_NODES = 2_000
MAX_STRING_LENGTH = 1_000
MAX_ANY_VALUES = 1_000
MAX_WORDS = 32
MAX_EXACT_INT = 2**53  # JSON numbers are doubles: beyond this, integers are no longer exact

Op = Literal["==", "<", "<=", ">", ">="]
Value = str | int | float | datetime

FIELD = "field"
TEXT = "text"


class QueryError(ValueError):
    """A query that is not in the language. `str(error)` is the message for the 400 answer."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class IndexSpec:
    """One index of an app: `kind` is `field` or `text`; `value_type` the element's type
    (`TEXT`, `NUMBER`, `DATETIME`, `BASIC`, ...) or None when unknown."""

    id: str
    kind: Literal["field", "text"] = FIELD
    value_type: str | None = None

    @property
    def element_type(self) -> ElementType:
        """The definition of `value_type` (site_model.elements); untyped when unknown."""
        return element_type(self.value_type)


ID_INDEX = IndexSpec("id", FIELD, "TEXT")


# The checked tree ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchAll:
    """The empty query: every record."""


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class Compare:
    """`index <op> value`, on the typed column `column` of the index's entries."""

    index: str
    column: Column
    op: Op
    value: Value


@dataclass(frozen=True)
class Between:
    """`low <= index < high` on one entry: a date literal standing for a whole day."""

    index: str
    column: Column
    low: Value
    high: Value


@dataclass(frozen=True)
class AnyOf:
    """`index in any([...])`: one entry equal to one of `values` (all of one column)."""

    index: str
    column: Column
    values: tuple[Value, ...]


@dataclass(frozen=True)
class TextMatch:
    """`'words' in index` on a text index: every word present (lower-cased words)."""

    index: str
    words: tuple[str, ...]


Node = MatchAll | And | Or | Not | Compare | Between | AnyOf | TextMatch


# Parsing ---------------------------------------------------------------------------------------

_FLIPPED: dict[str, Op] = {"==": "==", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_OPS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
}
_WORD = re.compile(r"[^\W_]+")  # letters and digits: how FTS5 unicode61 and PG split

_NOT_ALLOWED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "subscripts are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.NamedExpr: "assignment expressions (:=) are not allowed",
    ast.Starred: "starred expressions are not allowed",
    ast.BinOp: "arithmetic is not allowed",
    ast.IfExp: "conditional expressions are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Set: "sets are not allowed",
    ast.Tuple: "tuples are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Slice: "subscripts are not allowed",
}


def parse_query(
    text: object,
    indexes: Mapping[str, IndexSpec] | Iterable[IndexSpec],
    *,
    default_tz: tzinfo = UTC,
) -> Node:
    """Check `text` against the language and the app's `indexes`; return the checked tree.

    >>> parse_query("price >= 10", [IndexSpec("price", "field", "NUMBER")])
    Compare(index='price', column='number', op='>=', value=10)

    None, "" and blank text give `MatchAll()`. Raises `QueryError` for anything else that is not
    a query of the language; nothing in `text` is ever evaluated.
    """
    if text is None:
        return MatchAll()
    if not isinstance(text, str):
        raise QueryError(f"a query must be a string, not {_type_name(text)}")
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(
            f"the query is too long: {len(text)} characters, at most {MAX_QUERY_LENGTH}"
        )
    if not text.strip():
        return MatchAll()
    specs = _index_map(indexes)
    # A query of several lines is fine in eval mode once each line break is a space: a
    # person may paste one.
    source = text.replace("\r", " ").replace("\n", " ").strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise QueryError(_syntax_message(exc)) from None
    except ValueError as exc:  # null bytes (Python 3.11)
        raise QueryError(f"the query does not parse: {exc}") from None
    except (RecursionError, MemoryError):
        # CPython's parser signals its own stack limit this way; the text is at most
        # MAX_QUERY_LENGTH characters, so this is nesting, not a lack of memory.
        raise QueryError(f"the query is nested too deeply: at most {MAX_DEPTH} levels") from None
    _check_shape(tree.body)
    return _Checker(source, specs, default_tz).condition(tree.body)


def words_of(text: str) -> tuple[str, ...]:
    """The words a text index holds and a text query asks for: runs of letters and digits,
    lower-cased (`casefold`), in order, without repeats. Storage must use the same rule.

    >>> words_of("Lord Jim, lord_JIM!")
    ('lord', 'jim')
    """
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.casefold()):
        seen.setdefault(word, None)
    return tuple(seen)


def check_sort_index(
    sort_index: object, indexes: Mapping[str, IndexSpec] | Iterable[IndexSpec]
) -> IndexSpec | None:
    """The field index to sort on, or None for no `sort_index`; QueryError otherwise."""
    if sort_index is None or sort_index == "":
        return None
    specs = _index_map(indexes)
    if not isinstance(sort_index, str):
        raise QueryError(f"sort_index must be a string, not {_type_name(sort_index)}")
    spec = specs.get(sort_index)
    fields = ", ".join(sorted(s.id for s in specs.values() if s.kind == FIELD))
    if spec is None:
        raise QueryError(
            f"unknown sort_index {_quote(sort_index)}; field indexes of this app: {fields}"
        )
    if spec.kind != FIELD:
        raise QueryError(
            f"sort_index {_quote(sort_index)} is a text index; sort on a field index: {fields}"
        )
    return spec


def _index_map(indexes: Mapping[str, IndexSpec] | Iterable[IndexSpec]) -> dict[str, IndexSpec]:
    specs = dict(indexes) if isinstance(indexes, Mapping) else {s.id: s for s in indexes}
    specs.setdefault("id", ID_INDEX)
    return specs


def _check_shape(root: ast.AST) -> None:
    """Depth and size limits, checked iteratively before any recursive walk of the tree."""
    stack: list[tuple[ast.AST, int]] = [(root, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise QueryError(f"the query is too large: more than {MAX_NODES} parts")
        if depth > MAX_DEPTH:
            raise QueryError(f"the query is nested too deeply: at most {MAX_DEPTH} levels")
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr_context | ast.boolop | ast.cmpop | ast.unaryop):
                continue
            stack.append((child, depth + 1))


class _Checker:
    """Walks the ast (already limited in depth and size) and builds the checked tree."""

    def __init__(self, source: str, specs: dict[str, IndexSpec], default_tz: tzinfo):
        self.source = source
        self.specs = specs
        self.default_tz = default_tz

    # Conditions: what and/or/not combine.

    def condition(self, node: ast.expr) -> Node:
        if isinstance(node, ast.BoolOp):
            children = tuple(self.condition(value) for value in node.values)
            return And(children) if isinstance(node.op, ast.And) else Or(children)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return Not(self.condition(node.operand))
        if isinstance(node, ast.Compare):
            return self.compare(node)
        self.refuse(node)
        if isinstance(node, ast.Name):
            raise QueryError(
                f"a name alone is not a condition: {node.id}; compare it, e.g. {node.id} == 'value'"
            )
        if isinstance(node, ast.Constant | ast.UnaryOp):
            raise QueryError(
                f"a value alone is not a condition: {self.snippet(node)}; "
                "compare an index with it, e.g. price > 10"
            )
        if isinstance(node, ast.Call):
            raise QueryError(
                f"any([...]) is only allowed on the right of `in`: name in any([...]), "
                f"found {self.snippet(node)}"
            )
        if isinstance(node, ast.List):
            raise QueryError(f"lists are only allowed inside any([...]): {self.snippet(node)}")
        raise QueryError(f"{type(node).__name__} is not allowed: {self.snippet(node)}")

    def compare(self, node: ast.Compare) -> Node:
        operands = [node.left, *node.comparators]
        links: list[Node] = []
        for left, op, right in zip(operands, node.ops, operands[1:], strict=False):
            links.append(self.link(left, op, right))
        return links[0] if len(links) == 1 else And(tuple(links))

    def link(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> Node:
        if isinstance(op, ast.In | ast.NotIn):
            found = self.membership(left, right)
            return Not(found) if isinstance(op, ast.NotIn) else found
        if isinstance(op, ast.Is | ast.IsNot):
            name = "is not" if isinstance(op, ast.IsNot) else "is"
            raise QueryError(f"`{name}` is not allowed: use == or !=")
        symbol = _OPS[type(op)]
        for side in (left, right):
            self.refuse(side)
            if isinstance(side, ast.List):
                raise QueryError(f"lists are only allowed inside any([...]): {self.snippet(side)}")
            if isinstance(side, ast.Call):
                raise QueryError(
                    f"any([...]) is only allowed on the right of `in`: name in any([...]), "
                    f"found {self.snippet(side)}"
                )
        if isinstance(left, ast.Name) and isinstance(right, ast.Name):
            raise QueryError(
                f"comparing two indexes is not supported: {left.id} {symbol} {right.id}; "
                "compare an index with a value"
            )
        if isinstance(left, ast.Name):
            name, literal = left, right
        elif isinstance(right, ast.Name):
            name, literal = right, left
            symbol = "!=" if symbol == "!=" else _FLIPPED[symbol]
        else:
            raise QueryError(
                f"a comparison needs an index name on one side: {self.snippet(left)} "
                f"{_OPS[type(op)]} {self.snippet(right)}"
            )
        spec = self.field_index(name, f"{name.id} {symbol} ...")
        value = self.literal(literal)
        if symbol == "!=":
            return Not(self.typed_compare(spec, "==", value))
        return self.typed_compare(spec, symbol, value)

    def membership(self, left: ast.expr, right: ast.expr) -> Node:
        self.refuse(left)
        if isinstance(right, ast.Call):
            return self.any_of(left, right)
        self.refuse(right)
        if not isinstance(right, ast.Name):
            raise QueryError(
                f"`in` needs a text index or any([...]) on its right: {self.snippet(right)}"
            )
        spec = self.known(right)
        if spec.kind != TEXT:
            raise QueryError(
                f"{spec.id} is a field index: `'words' in {spec.id}` needs a text index; "
                f"use {spec.id} == 'value' or {spec.id} in any(['a', 'b'])"
            )
        if not (isinstance(left, ast.Constant) and isinstance(left.value, str)):
            raise QueryError(
                f"the left of `in {spec.id}` must be a string of words: {self.snippet(left)}"
            )
        self.check_string(left.value)
        words = words_of(left.value)
        if not words:
            raise QueryError(f"no words to search for in {self.snippet(left)}")
        if len(words) > MAX_WORDS:
            raise QueryError(f"too many words to search for: {len(words)}, at most {MAX_WORDS}")
        return TextMatch(spec.id, words)

    def any_of(self, left: ast.expr, call: ast.Call) -> Node:
        if not (isinstance(call.func, ast.Name) and call.func.id == "any"):
            raise QueryError(f"calls other than any([...]) are not allowed: {self.snippet(call)}")
        if call.keywords or len(call.args) != 1 or not isinstance(call.args[0], ast.List):
            for arg in call.args:
                self.refuse(arg)
            raise QueryError(
                f"any() takes one list of values, e.g. any(['a', 'b']): {self.snippet(call)}"
            )
        if not isinstance(left, ast.Name):
            raise QueryError(
                f"the left of `in any([...])` must be an index name: {self.snippet(left)}"
            )
        spec = self.field_index(left, f"{left.id} in any([...])")
        items = call.args[0].elts
        if not items:
            raise QueryError("any([...]) needs at least one value")
        if len(items) > MAX_ANY_VALUES:
            raise QueryError(f"any([...]) takes at most {MAX_ANY_VALUES} values, not {len(items)}")
        # Group the values by the column they compare on; date-only values stand for a day.
        grouped: dict[Column, list[Value]] = {}
        days: list[Node] = []
        for item in items:
            self.refuse(item)
            typed = self.typed_compare(spec, "==", self.literal(item))
            if isinstance(typed, Compare):
                bucket = grouped.setdefault(typed.column, [])
                if typed.value not in bucket:
                    bucket.append(typed.value)
            else:
                days.append(typed)
        found: list[Node] = [AnyOf(spec.id, col, tuple(vals)) for col, vals in grouped.items()]
        found.extend(days)
        return found[0] if len(found) == 1 else Or(tuple(found))

    # Names and values.

    def known(self, name: ast.Name) -> IndexSpec:
        spec = self.specs.get(name.id)
        if spec is None:
            known = ", ".join(sorted(self.specs))
            raise QueryError(f"unknown index {_quote(name.id)}; indexes of this app: {known}")
        return spec

    def field_index(self, name: ast.Name, form: str) -> IndexSpec:
        spec = self.known(name)
        if spec.kind == TEXT:
            raise QueryError(
                f"{spec.id} is a text index: search it with 'words' in {spec.id}, not {form}"
            )
        return spec

    def literal(self, node: ast.expr) -> str | int | float:
        """A string or number literal, with an optional sign on a number."""
        self.refuse(node)
        sign = 1
        inner = node
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            sign = -1 if isinstance(node.op, ast.USub) else 1
            inner = node.operand
            if not (
                isinstance(inner, ast.Constant)
                and isinstance(inner.value, int | float)
                and not isinstance(inner.value, bool)
            ):
                raise QueryError(f"a sign is only allowed before a number: {self.snippet(node)}")
        elif isinstance(node, ast.UnaryOp):
            raise QueryError(f"the operator is not allowed here: {self.snippet(node)}")
        if isinstance(inner, ast.Name):
            raise QueryError(f"expected a value, found the name {inner.id}")
        if not isinstance(inner, ast.Constant):
            raise QueryError(f"expected a string or a number, found {self.snippet(node)}")
        value = inner.value
        if isinstance(value, str):
            self.check_string(value)
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise QueryError(
                f"only strings and numbers are allowed as values, not {self.snippet(node)}"
            )
        if isinstance(value, int) and abs(value) > MAX_EXACT_INT:
            raise QueryError(
                f"the number is too large: {self.snippet(node, 40)}; at most 2**53 = {MAX_EXACT_INT}"
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise QueryError(f"the number is out of range: {self.snippet(node, 40)}")
        return sign * value

    def check_string(self, value: str) -> None:
        if len(value) > MAX_STRING_LENGTH:
            raise QueryError(
                f"a string in the query is too long: {len(value)} characters, "
                f"at most {MAX_STRING_LENGTH}"
            )

    def typed_compare(self, spec: IndexSpec, op: Op, value: str | int | float) -> Node:
        """Apply the typing rule of the module docstring: the index's element type picks the
        column (`ElementType.query_column`)."""
        kind = spec.element_type
        try:
            column = kind.query_column(value)
        except ValueError as exc:
            raise QueryError(
                f"{spec.id} is a {kind.name} index: {exc}, not {_quote(value)}"
            ) from None
        if column == "date":
            return self.date_compare(spec, op, value)
        return Compare(spec.id, column, op, value)

    def date_compare(self, spec: IndexSpec, op: Op, value: str) -> Node:
        moment, whole_day = _parse_iso(value, self.default_tz)
        if moment is None:
            raise QueryError(
                f"{spec.id} is a DATETIME index: {_quote(value)} is not an ISO 8601 date "
                "such as '2024-05-01' or '2024-05-01T13:30:00Z'"
            )
        if not whole_day:
            return Compare(spec.id, "date", op, moment)
        next_day = moment + timedelta(days=1)
        if op == "==":
            return Between(spec.id, "date", moment, next_day)
        if op == "<":
            return Compare(spec.id, "date", "<", moment)
        if op == "<=":
            return Compare(spec.id, "date", "<", next_day)
        if op == ">":
            return Compare(spec.id, "date", ">=", next_day)
        return Compare(spec.id, "date", ">=", moment)

    # Errors.

    def refuse(self, node: ast.expr) -> None:
        """Raise for a node kind that is never part of the language, naming it."""
        message = _NOT_ALLOWED.get(type(node))
        if message is not None:
            raise QueryError(f"{message}: {self.snippet(node)}")
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id == "any"
        ):
            raise QueryError(f"calls other than any([...]) are not allowed: {self.snippet(node)}")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
            raise QueryError(f"the operator ~ is not allowed: {self.snippet(node)}")

    def snippet(self, node: ast.AST, limit: int = 60) -> str:
        """The node's own text in the query (never re-generated from the tree), shortened."""
        text = ast.get_source_segment(self.source, node) or type(node).__name__
        return text if len(text) <= limit else text[: limit - 1] + "…"


def _parse_iso(value: str, default_tz: tzinfo) -> tuple[datetime | None, bool]:
    """(instant, whole_day) for an ISO 8601 date or date-time string; (None, False) if not one."""
    text = value.strip()
    if len(text) > 40:
        return None, False
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime(day.year, day.month, day.day, tzinfo=default_tz), True
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None, False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=default_tz)
    return moment, False


def _syntax_message(exc: SyntaxError) -> str:
    if "integer string conversion" in (exc.msg or ""):
        return f"a number in the query is too large: at most {MAX_EXACT_INT}"
    where = f" at column {exc.offset}" if exc.offset else ""
    return f"the query does not parse{where}: {exc.msg}"


def _quote(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _type_name(value: object) -> str:
    return type(value).__name__
