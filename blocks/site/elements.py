"""Element types as definitions (contract §2): one class per type, registered by its YAML name.

A definition is built once (one instance per type, shared by every block of every file version
and every request, like Wagtail's block definitions) and holds no request state. What differs
from one element to the next (id, label, mode, index) stays on `spec.Element`, which resolves
its `type` to a definition once, when it is built, and is handed to the methods that need it.
Each concern has its own method:

- `form_field(element)`: the Django form field of an input (the block's form, `BlockSpec.form_class`)
- `display(value)`: the value in read mode
- `as_json(element)`: the element in `GET /api/v1/<app>/blocks/<block>`
- `index_values(value)`: the `IndexEntry` columns of one value of a field index (records.indexing)
- `query_column(value)`: the column a search compares a literal with (records.query), and
  `sort_columns`, those a sort on the index reads (records.query_sql)

Adding a type is one subclass decorated with `@register`; the loader accepts every registered
name. This module is part of the site model (the bottom layer): it imports Django's forms and
utilities, nothing of ours.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, ClassVar, Literal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

if TYPE_CHECKING:
    from .spec import Element

Column = Literal["text", "number", "date"]

# IndexEntry.value_text's max_length: a longer string is not entered in a field index.
MAX_INDEX_TEXT = 1000
INTEGER = re.compile(r"[+-]?\d{1,18}\Z")
NUMERIC = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*\Z")

TYPES: dict[str, ElementType] = {}  # YAML name -> definition, in the order the loader lists them


def register(cls: type[ElementType]) -> type[ElementType]:
    """Class decorator: make `cls` the definition of the element type `cls.name`."""
    TYPES[cls.name] = cls()
    return cls


def element_type(name: str | None) -> ElementType:
    """The definition named `name` (any case); an unknown or missing name is `UNTYPED`.

    >>> element_type("number").name
    'NUMBER'
    """
    return TYPES.get((name or "").upper(), UNTYPED)


def input_type_names() -> list[str]:
    return sorted(name for name, definition in TYPES.items() if definition.is_input)


class ElementType:
    """The base definition, also the behaviour of a value whose type is not declared (`UNTYPED`):
    shown as text, indexed by its own JSON type, compared by the literal's own type."""

    name: ClassVar[str] = ""
    is_input: ClassVar[bool] = False  # a form field, saved as an item of the record
    is_action: ClassVar[bool] = False  # a button that runs its function
    needs_function: ClassVar[bool] = False  # its function must exist in the block's .py
    sort_columns: ClassVar[tuple[Column, ...]] = ("number", "text")

    def __repr__(self) -> str:
        return f"<element type {self.name or '(untyped)'}>"

    def form_field(self, element: Element) -> forms.Field:
        raise TypeError(f"a {self.name} element is not a form field")

    def display(self, value: object) -> str:
        """The value in read mode, as text (the caller escapes it)."""
        return "" if value is None else str(value)

    def as_json(self, element: Element) -> dict:
        return {"type": element.type, "label": element.label}

    def index_values(self, value: object) -> dict | None:
        """The typed columns of one value of a field index, or None when it is not entered: a
        number (not a boolean) -> value_number; a string -> value_text (up to MAX_INDEX_TEXT
        characters) and what `string_index_values` adds."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = finite(value)
            return {"value_number": number} if number is not None else None
        if not isinstance(value, str) or "\x00" in value:
            return None
        found = {"value_text": value} if len(value) <= MAX_INDEX_TEXT else {}
        found.update(self.string_index_values(value))
        return found or None

    def string_index_values(self, text: str) -> dict:
        """The columns a string adds besides value_text (a numeric string, a date)."""
        return {}

    def query_column(self, value: str | int | float) -> Column:
        """The column a search compares the literal `value` with; ValueError (saying what to
        compare with) when the type does not take such a value."""
        return "number" if isinstance(value, int | float) else "text"


UNTYPED = ElementType()


@register
class Basic(ElementType):
    """A value computed by its function, shown as it is."""

    name = "BASIC"
    needs_function = True


@register
class Action(ElementType):
    """A button that runs its function."""

    name = "ACTION"
    is_action = True
    needs_function = True


class Input(ElementType):
    """An input field: a form field, saved as an item of the record."""

    is_input = True
    field_class: ClassVar[type[forms.Field]] = forms.CharField

    def form_field(self, element: Element) -> forms.Field:
        return self.field_class(label=element.label, required=False)

    def as_json(self, element: Element) -> dict:
        found = super().as_json(element)
        found["mode"] = element.mode
        if element.index_type:
            found["index_type"] = element.index_type
        return found


@register
class Text(Input):
    name = "TEXT"
    sort_columns = ("text",)

    def form_field(self, element: Element) -> forms.Field:
        # Typed text is kept as typed: no strip, and an empty field is "" (not None).
        return forms.CharField(label=element.label, required=False, strip=False)

    def query_column(self, value: str | int | float) -> Column:
        if not isinstance(value, str):
            raise ValueError("compare it with a string")
        return "text"


class NumberField(forms.Field):
    """A number as typed: an integer of up to 18 digits stays an int, anything else is a finite
    float; an empty field is None. JSON numbers (not booleans) are taken as they are."""

    widget = forms.NumberInput
    default_error_messages = {
        "invalid": "Enter a number, not '%(value)s'.",
        "infinite": "Enter a finite number, not '%(value)s'.",
    }

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "step": "any"}

    def to_python(self, value):
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = value
        else:
            text = "" if value is None else str(value).strip()
            if not text:
                return None
            if INTEGER.match(text):
                return int(text)
            try:
                number = float(text)
            except ValueError:
                raise self.error("invalid", text) from None
        if not math.isfinite(number):
            raise self.error("infinite", str(value).strip())
        return number

    def error(self, code: str, text: str) -> ValidationError:
        return ValidationError(self.error_messages[code], code=code, params={"value": text})


@register
class Number(Input):
    name = "NUMBER"
    field_class = NumberField
    sort_columns = ("number",)

    def string_index_values(self, text: str) -> dict:
        number = finite(float(text)) if NUMERIC.match(text) else None  # a form post's string
        return {"value_number": number} if number is not None else {}

    def query_column(self, value: str | int | float) -> Column:
        if not isinstance(value, int | float):
            raise ValueError("compare it with a number")
        return "number"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value):
        if value is None or value == "":
            return None
        text = str(value)
        if len(text) >= 16 and "T" in text:
            return text[:16]  # datetime-local shows minutes; the stored value keeps its zone
        return text


class DateTimeField(forms.Field):
    """A date and time as the browser's datetime-local sends it (or any ISO 8601 date-time),
    cleaned to an ISO 8601 string; no offset means the current time zone. Empty is None."""

    widget = DateTimeLocalInput
    default_error_messages = {
        "invalid": "Enter a date and time as YYYY-MM-DDTHH:MM, not '%(value)s'.",
    }

    def to_python(self, value):
        text = "" if value is None else str(value).strip()
        if not text:
            return None
        try:
            moment = parse_datetime(text)
        except ValueError:
            moment = None
        if moment is None:
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": text}
            )
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment.isoformat()


@register
class DateTime(Input):
    name = "DATETIME"
    field_class = DateTimeField
    sort_columns = ("date",)

    def display(self, value: object) -> str:
        try:
            moment = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:  # well formed but no such date, e.g. '2026-13-40T10:00'
            moment = None
        if moment is None:
            return super().display(value)
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%Y-%m-%d %H:%M")

    def string_index_values(self, text: str) -> dict:
        moment = parse_instant(text)
        return {"value_date": moment} if moment is not None else {}

    def query_column(self, value: str | int | float) -> Column:
        if not isinstance(value, str):
            raise ValueError(
                "compare it with an ISO 8601 date such as '2024-05-01' or '2024-05-01T13:30:00Z'"
            )
        return "date"


def parse_instant(text: str) -> datetime | None:
    """An ISO 8601 date (its midnight) or date-time as an aware instant; no offset means UTC."""
    text = text.strip()
    if not text or len(text) > 40:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def finite(value: int | float) -> float | None:
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None
