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
- `json_schema(element)`: the JSON Schema of one value of the element (the OpenAPI document)
- `check(element, value)`: the problem of a stored value (its type, then the element's rules:
  `required`, `min`, `max`, `max_length`, `pattern`, `choices`), or None (records.validation)

Adding a type is one subclass decorated with `@register`; the loader accepts every registered
name. This module is part of the site model (the bottom layer): it imports Django's forms and
utilities, nothing of ours.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from functools import partial
from typing import TYPE_CHECKING, ClassVar, Literal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.functional import lazy
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from .texts import Message, translated

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


# The validation keys of the YAML, and the types each applies to (`required` to every input).
RULES = ("required", "min", "max", "max_length", "pattern", "choices")


class ElementType:
    """The base definition, also the behaviour of a value whose type is not declared (`UNTYPED`):
    shown as text, indexed by its own JSON type, compared by the literal's own type."""

    name: ClassVar[str] = ""
    is_input: ClassVar[bool] = False  # a form field, saved as an item of the record
    is_action: ClassVar[bool] = False  # a button that runs its function
    needs_function: ClassVar[bool] = False  # its function must exist in the block's .py
    sort_columns: ClassVar[tuple[Column, ...]] = ("number", "text")
    rules: ClassVar[tuple[str, ...]] = ()  # validation keys the YAML may give (besides `required`)
    json_type: ClassVar[dict] = {}  # the JSON Schema of a value, before the element's rules
    names_record: ClassVar[bool] = False  # the first such input heads a record's page (TEXT)
    is_upload: ClassVar[bool] = False  # its value is a file uploaded through the block form
    is_chart: ClassVar[bool] = False  # drawn from totals (blocks/charts.py), not its value
    # Keys of `yaml_fields` read as texts by language (site_model.texts), and those that are
    # mappings of names to such texts: the loader reads them as it reads a label.
    text_options: ClassVar[tuple[str, ...]] = ()
    text_map_options: ClassVar[tuple[str, ...]] = ()

    def __repr__(self) -> str:
        return f"<element type {self.name or '(untyped)'}>"

    def form_field(self, element: Element) -> forms.Field:
        raise TypeError(f"a {self.name} element is not a form field")

    def display(self, value: object) -> str:
        """The value in read mode, as text (the caller escapes it)."""
        return "" if value is None else str(value)

    def shown_html(self, element: Element, value: object, place) -> str:
        """The value in read mode, as HTML. `place` (blocks.render.ReadPlace) says where it is
        shown: `file_url(element)`, `readable_record_url(app_id, record_id)`, `app_id`."""
        return conditional_escape(self.display(value))

    widget_template: ClassVar[str] = "elements/input.html"  # overridable in SITE_DIR/templates/

    def widget_context(self, element: Element, field: forms.Field, value: object, place) -> dict:
        """What `widget_template` shows besides the name, id, label, error, `required` and the
        widget's attributes (blocks.render.widget); `place.file_url(element)` as in read mode."""
        widget = field.widget
        return {"input_type": getattr(widget, "input_type", "text"), "value": _shown(widget, value)}

    def stored_problem(self, element: Element, value: object, place) -> str | None:
        """What is wrong with a value that its own form is not enough to tell, asked of the
        records being written (records.validation): `place.record_exists(app_id, record_id)`,
        `place.app_id`, `place.current` (the stored items, None on create), `place.uploaded`
        (the storage paths uploaded by this request)."""
        return None

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

    def yaml_fields(self) -> dict[str, tuple]:
        """The keys an element of this type may give in its block's YAML besides `type` and
        `label`: key -> (value type, default), as pydantic's `create_model` takes them. The
        value types (site_model.schema: `Required`, `bound(self)`, ...) check each value in the
        loader's words and give its JSON Schema; the loader refuses the other keys."""
        return {}

    yaml_required: ClassVar[tuple[str, ...]] = ()  # keys of `yaml_fields` the YAML must give

    def app_problems(self, app, element: Element) -> list[str]:
        """What is wrong with `element` against the rest of its app (check_site), at its line."""
        return []

    def json_schema(self, element: Element) -> dict:
        """The JSON Schema of one value of `element` (a present value: `required` and `null`
        for an input that is not required are the caller's, as an object schema says them).

        >>> Element("seats", "NUMBER", "Seats", min=1).definition.json_schema(...)
        {'type': 'number', 'minimum': 1}
        """
        return dict(self.json_type)

    def check(self, element: Element, value: object) -> str | None:
        """What is wrong with `value` as a stored item of `element`, or None. Only inputs are
        checked; see `Input.check`."""
        return None


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

    def yaml_fields(self) -> dict[str, tuple]:
        """`second_factor` becomes its minutes. A wrong one is a problem of the block, which
        is then broken: its actions run for nobody (deny by default)."""
        from .schema import ActionSecondFactor  # schema imports this module

        return {"second_factor": (ActionSecondFactor, None)}


def second_factor_minutes(value, what: str) -> tuple[int, tuple[str, str] | None]:
    """The minutes of `second_factor: {within: <minutes>}` and what is wrong with it, if
    anything (message, check id)."""
    from . import check_ids as ids
    from .spec import SECOND_FACTOR_MAX_MINUTES

    if not isinstance(value, dict):
        return 1, (
            f"{what} must be a mapping {{within: <minutes>}}, found {value!r}",
            ids.WRONG_KIND,
        )
    unknown = sorted(str(key) for key in value if key != "within")
    if unknown:
        return 1, (f"unknown key '{unknown[0]}' in {what}; allowed: within", ids.UNKNOWN_KEY)
    if "within" not in value:
        return 1, (f"{what} needs within: <minutes>", ids.MISSING_KEY)
    minutes = value["within"]
    if (
        isinstance(minutes, bool)
        or not isinstance(minutes, int)
        or not (1 <= minutes <= SECOND_FACTOR_MAX_MINUTES)
    ):
        return 1, (
            f"{what}.within must be a whole number of minutes from 1 to "
            f"{SECOND_FACTOR_MAX_MINUTES}, found {minutes!r}",
            ids.BAD_RULE,
        )
    return minutes, None


def localized() -> bool:
    """Whether values on a page are shown in the visitor's locale's formats: in any language but
    English, which keeps the ISO forms (2026-07-01 18:00) the site has always shown. Stored
    values and the API's never change (contract §13)."""
    return (translation.get_language() or "en").split("-")[0] != "en"


def ticked_sentence(element: Element) -> str:
    return _("%(label)s must be ticked.") % {"label": str(element.label or element.id)}


def rule_sentence(element: Element, problem: str) -> str:
    """A problem of `Input.check` ("max: at most 500, found 600") as a form says it beside the
    field: "Seats must be at most 500.", in the visitor's language (the HTML surface only). The
    API keeps the problem's own words, in English."""
    label = str(element.label or element.id)
    rule, _sep, detail = problem.partition(": ")
    dated = element.type in ("DATE", "DATETIME")
    values = {"label": label, "min": element.min, "max": element.max}
    if rule == "required":
        return _("%(label)s is required.") % values
    if rule == "min":
        if dated:
            return _("%(label)s must be %(min)s or later.") % values
        return _("%(label)s must be at least %(min)s.") % values
    if rule == "max":
        if dated:
            return _("%(label)s must be %(max)s or earlier.") % values
        return _("%(label)s must be at most %(max)s.") % values
    if rule == "max_length":
        return _("%(label)s must be at most %(count)s characters long.") % {
            "label": label,
            "count": element.max_length,
        }
    if rule == "pattern":
        return _("%(label)s must match %(pattern)s.") % {"label": label, "pattern": element.pattern}
    if rule == "choices":
        return _("%(label)s must be one of %(choices)s.") % {
            "label": label,
            "choices": ", ".join(element.choices),
        }
    if rule == "REFERENCE" and isinstance(problem, Message):
        return _("%(label)s names no record '%(value)s' in app '%(app)s'.") % {
            "label": label,
            **problem.values,
        }
    if rule == "FILE":
        return _("%(label)s is set only by uploading a file with this form.") % values
    if not detail:  # a whole sentence of its own, such as the upload cap's
        said = translated(problem)
        return said[0].upper() + said[1:] + "."
    return _("%(label)s: %(problem)s.") % {"label": label, "problem": detail}


# For messages a form class keeps (it is built once per file version of its block).
lazy_rule_sentence = lazy(rule_sentence, str)
lazy_ticked = lazy(ticked_sentence, str)


class Input(ElementType):
    """An input field: a form field, saved as an item of the record.

    A value is checked in two steps, each a message naming the rule: `parse` (its type: what
    JSON value the type stores) and the element's rules (`check_rules`). An empty value (None,
    or "" for text) is allowed unless the element is `required`. The form field cleans what a
    browser posts into the stored value, then runs the same `check` (a validator), so a form
    and the API refuse the same values with the same words.
    """

    is_input = True
    field_class: ClassVar[type[forms.Field]] = forms.CharField
    takes_lists: ClassVar[bool] = True  # an item may hold a list of such values

    def form_field(self, element: Element) -> forms.Field:
        return self.with_rules(element, self.field_class(label=element.label, required=False))

    def with_rules(self, element: Element, field: forms.Field) -> forms.Field:
        def validator(value):
            problem = self.check(element, value)
            # The field's own cleaning says what a wrong type is, in the words of a form.
            if problem is not None and not problem.startswith("type:"):
                raise ValidationError(rule_sentence(element, problem), code="rule")

        field.validators.append(validator)
        # The same rules as the browser's own checks, where HTML has them.
        attrs = {
            "maxlength": element.max_length,
            "pattern": element.pattern,
            **({"min": element.min, "max": element.max} if self.html_bounds else {}),
        }
        field.widget.attrs.update({k: str(v) for k, v in attrs.items() if v is not None})
        if element.required:
            field.required = True
            # Lazy: the form class is built once and kept, and says it in each visitor's language.
            field.error_messages["required"] = lazy_rule_sentence(element, "required: ")
        return field

    bound_schema: ClassVar[dict] = {}  # the JSON Schema of `min` and `max`, for those with them
    html_bounds: ClassVar[bool] = False  # `min` and `max` are the HTML input's too

    def yaml_fields(self) -> dict[str, tuple]:
        from . import schema as keys  # schema imports this module

        rules = {
            "required": (keys.Required, None),
            "min": (keys.bound(self), None),
            "max": (keys.bound(self, upper=True), None),
            "max_length": (keys.MaxLength, None),
            "pattern": (keys.Pattern, None),
            "choices": (keys.Choices, None),
        }
        for key in self.yaml_required:
            rules[key] = keys.needed(rules[key][0], self.name, key)
        return {
            "mode": (keys.Mode, None),
            "index_type": (keys.IndexType, None),
            "required": rules["required"],
            **{rule: rules[rule] for rule in self.rules},
        }

    def is_empty(self, value: object) -> bool:
        return value is None or value == ""

    def parse(self, element: Element, value: object):
        """The value as the type understands it (for the rules), or ValueError saying what the
        type takes. The base takes any string."""
        if not isinstance(value, str):
            raise ValueError(f"{self.name} takes a string, found {json_kind(value)}")
        return value

    def check(self, element: Element, value: object) -> str | None:
        if self.is_empty(value) or value == []:
            return "required: a value is required" if element.required else None
        if isinstance(value, list) and self.takes_lists:
            # Several values (tags): each one is checked, and indexed (records.indexing).
            for each in value:
                problem = (
                    "type: a list holds values, not lists"
                    if isinstance(each, list)
                    else self.check(element, each)
                )
                if problem is not None:
                    return problem
            return None
        try:
            parsed = self.parse(element, value)
        except ValueError as exc:
            return f"type: {exc}"
        return self.check_rules(element, parsed)

    def check_rules(self, element: Element, parsed) -> str | None:
        if element.min is not None and parsed < self.bound(element.min):
            return f"min: at least {element.min}, found {shown(parsed)}"
        if element.max is not None and parsed > self.bound(element.max):
            return f"max: at most {element.max}, found {shown(parsed)}"
        if element.max_length is not None and len(parsed) > element.max_length:
            return f"max_length: at most {element.max_length} characters, found {len(parsed)}"
        if element.pattern is not None and not re.fullmatch(element.pattern, parsed):
            return f"pattern: must match {element.pattern}"
        if element.choices and parsed not in element.choices:
            return f"choices: one of {', '.join(element.choices)}, found {shown(parsed)}"
        return None

    def bound(self, limit):
        """A `min`/`max` as the parsed values compare with it."""
        return limit

    def yaml_bound(self, value):
        """A `min`/`max` of the YAML as the element keeps it, or ValueError ending the loader's
        sentence "element 'x' min …" (for the types with `min` and `max` in their `rules`)."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number, found {value!r}")
        return value

    def json_schema(self, element: Element) -> dict:
        schema = dict(self.json_type)
        if element.max_length is not None:
            schema["maxLength"] = element.max_length
        if element.pattern is not None:
            schema["pattern"] = f"^(?:{element.pattern})$"  # the rule matches the whole value
        return schema

    def as_json(self, element: Element) -> dict:
        found = super().as_json(element)
        found["mode"] = element.mode
        if element.index_type:
            found["index_type"] = element.index_type
        # The validation keys the YAML gives, as it gives them (defaults left out).
        for key in ("required", "min", "max", "max_length", "pattern", "choices", "app"):
            value = getattr(element, key)
            if value not in (None, False, ()):
                found[key] = list(value) if isinstance(value, tuple) else value
        return found


@register
class Text(Input):
    name = "TEXT"
    names_record = True
    sort_columns = ("text",)
    rules = ("max_length", "pattern")
    json_type = {"type": "string"}
    widget_class: ClassVar[type[forms.Widget]] = forms.TextInput

    def form_field(self, element: Element) -> forms.Field:
        # Typed text is kept as typed: no strip, and an empty field is "" (not None).
        field = forms.CharField(
            label=element.label, required=False, strip=False, widget=self.widget_class
        )
        return self.with_rules(element, field)

    def query_column(self, value: str | int | float) -> Column:
        if not isinstance(value, str):
            raise ValueError("compare it with a string")
        return "text"


class NumberField(forms.Field):
    """A number as typed: an integer of up to 18 digits stays an int, anything else is a finite
    float; an empty field is None. JSON numbers (not booleans) are taken as they are."""

    widget = forms.NumberInput
    default_error_messages = {
        "invalid": gettext_lazy("Enter a number, not '%(value)s'."),
        "infinite": gettext_lazy("Enter a finite number, not '%(value)s'."),
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
    html_bounds = True
    rules = ("min", "max")
    bound_schema = {"type": "number"}
    json_type = {"type": "number"}

    def display(self, value: object) -> str:
        if localized() and isinstance(value, int | float) and not isinstance(value, bool):
            return formats.number_format(value)
        return super().display(value)

    def parse(self, element: Element, value: object):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"NUMBER takes a number, found {json_kind(value)}")
        return value

    def json_schema(self, element: Element) -> dict:
        schema = dict(self.json_type)
        if element.min is not None:
            schema["minimum"] = element.min
        if element.max is not None:
            schema["maximum"] = element.max
        return schema

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
        "invalid": gettext_lazy("Enter a date and time as YYYY-MM-DDTHH:MM, not '%(value)s'."),
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
    rules = ("min", "max")
    bound_schema = {"type": "string", "format": "date-time"}
    json_type = {"type": "string", "format": "date-time"}

    def parse(self, element: Element, value: object):
        # RFC 3339 alone, as the API's description says (`format: date-time`): a value without
        # its offset names no instant, and one stored as sent would be answered as sent.
        moment = parse_rfc3339(value) if isinstance(value, str) else None
        if moment is None:
            raise ValueError(
                "DATETIME takes an RFC 3339 date and time with its UTC offset such as "
                f"'2026-07-01T18:00:00+02:00', found {json_kind(value)}"
            )
        return moment

    def bound(self, limit):
        return parse_instant(str(limit))

    def yaml_bound(self, value):
        return time_bound(self.name, value, parse_instant, "2026-07-01T18:00")

    def json_schema(self, element: Element) -> dict:
        return with_format_bounds(dict(self.json_type), element)

    def display(self, value: object) -> str:
        try:
            moment = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:  # well formed but no such date, e.g. '2026-13-40T10:00'
            moment = None
        if moment is None:
            return super().display(value)
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        if localized():
            return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
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


def _shown(widget: forms.Widget, value: object) -> str:
    shown = widget.format_value(value)
    return "" if shown is None else shown


def time_bound(type_name: str, value, parse, example: str) -> str:
    if isinstance(value, date):  # YAML reads 2026-07-01 as a date
        value = value.isoformat()
    text = value if isinstance(value, str) else ""
    if parse(text) is None:
        raise ValueError(f"must be a {type_name.lower()} such as {example}, found {value!r}")
    return text


RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)",
    re.IGNORECASE,
)


def parse_rfc3339(text: str) -> datetime | None:
    """An RFC 3339 date-time (JSON Schema's `date-time`) as an aware datetime, else None.

    >>> parse_rfc3339("2026-07-01T18:00:00+02:00")
    datetime.datetime(2026, 7, 1, 18, 0, tzinfo=...)
    >>> parse_rfc3339("2026-07-01T18:00") is None  # no offset
    True
    """
    if len(text) > 40 or not RFC3339.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text.upper())
    except ValueError:  # well formed, no such day: 2026-02-30
        return None


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
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:  # the same instant in UTC: PostgreSQL refuses offsets beyond 15:59 (Python takes 23:59)
        return moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 moved out of range by its offset
        return None


def finite(value: int | float) -> float | None:
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def json_kind(value: object) -> str:
    """A JSON value's kind, with the value when short: "a string 'many'", "a list"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"a number {value}"
    if isinstance(value, str):
        return f"a string {value!r}" if len(value) <= 40 else "a long string"
    return "a list" if isinstance(value, list) else "an object"


def shown(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return repr(value) if isinstance(value, str) else str(value)


def with_format_bounds(schema: dict, element: Element) -> dict:
    """`min`/`max` of a date as `formatMinimum`/`formatMaximum` (the JSON Schema vocabulary
    for bounds on formatted strings)."""
    if element.min is not None:
        schema["formatMinimum"] = str(element.min)
    if element.max is not None:
        schema["formatMaximum"] = str(element.max)
    return schema


@register
class Textarea(Text):
    """Text over several lines."""

    name = "TEXTAREA"
    widget_class = forms.Textarea
    names_record = False
    widget_template = "elements/textarea.html"

    def widget_context(self, element: Element, field: forms.Field, value: object, place) -> dict:
        attrs = {k: v for k, v in field.widget.attrs.items() if k not in ("rows", "cols")}
        return {"value": "" if value is None else value, "attrs": attrs}


class SentCheckbox(forms.CheckboxInput):
    """The box of a BOOLEAN: a hidden "0" before it always sends the field, so a post without
    it did not send the field (an unticked box alone would send nothing)."""

    def value_omitted_from_data(self, data, files, name):
        return name not in data

    def value_from_datadict(self, data, files, name):
        # The last value sent: the box's "1" when ticked, else the hidden "0" (which Django's
        # CheckboxInput reads as true, being a non-empty string).
        value = data.get(name)
        if isinstance(value, str):
            return value.lower() not in ("", "0", "false", "off")
        return bool(value)


@register
class Boolean(Input):
    """A checkbox: true or false. `required: true` means it must be ticked."""

    name = "BOOLEAN"
    json_type = {"type": "boolean"}
    widget_template = "elements/checkbox.html"

    def widget_context(self, element: Element, field: forms.Field, value: object, place) -> dict:
        return {"checked": value is True or str(value).lower() in ("1", "true", "on")}

    takes_lists = False
    sort_columns = ("text",)

    def form_field(self, element: Element) -> forms.Field:
        field = forms.BooleanField(label=element.label, required=False, widget=SentCheckbox)
        if element.required:
            field.required = True
            field.error_messages["required"] = lazy_ticked(element)
        return field

    def is_empty(self, value: object) -> bool:
        return value is None

    def parse(self, element: Element, value: object):
        if not isinstance(value, bool):
            raise ValueError(f"BOOLEAN takes true or false, found {json_kind(value)}")
        return value

    def check_rules(self, element: Element, parsed) -> str | None:
        if element.required and parsed is not True:
            return "required: must be true"
        return None

    def display(self, value: object) -> str:
        return {True: _("Yes"), False: _("No")}.get(value, super().display(value))  # type: ignore[arg-type]

    def index_values(self, value: object) -> dict | None:
        if isinstance(value, bool):
            return {"value_text": "true" if value else "false"}
        return super().index_values(value)


@register
class Choice(Input):
    """One of the element's `choices` (strings), shown on pages by its `choice_labels` (each a
    text, or one per language) where it has one; stored and sent over the API as it is."""

    name = "CHOICE"
    rules = ("choices",)
    yaml_required = ("choices",)
    widget_template = "elements/select.html"
    text_map_options: ClassVar[tuple[str, ...]] = ("choice_labels",)

    def yaml_fields(self) -> dict[str, tuple]:
        from .schema import checked_as, text_schema  # schema imports this module

        labels = checked_as({"type": "object", "additionalProperties": text_schema()})
        return {**super().yaml_fields(), "choice_labels": (labels, None)}

    def app_problems(self, app, element: Element) -> list[str]:
        return [
            f"choice_labels names '{choice}', which is not one of its choices "
            f"({', '.join(element.choices)})"
            for choice in element.options.get("choice_labels", {})
            if choice not in element.choices
        ]

    def choice_label(self, element: Element, value) -> str:
        label = element.options.get("choice_labels", {}).get(value)
        return str(label) if label else str(value)

    def shown_html(self, element: Element, value: object, place) -> str:
        if value is None or value == "":
            return super().shown_html(element, value, place)
        return conditional_escape(self.choice_label(element, value))

    def widget_context(self, element: Element, field: forms.Field, value: object, place) -> dict:
        chosen = value or ""
        options = [(choice, text, choice == chosen) for choice, text in field.choices]
        return {"options": options, "attrs": {}}

    json_type = {"type": "string"}
    sort_columns = ("text",)

    def form_field(self, element: Element) -> forms.Field:
        field = forms.ChoiceField(
            label=element.label,
            required=False,
            # A label by language is a Texts: shown in each visitor's language as rendered.
            choices=[
                ("", "---------"),
                *(
                    (c, element.options.get("choice_labels", {}).get(c) or c)
                    for c in element.choices
                ),
            ],
        )
        return self.with_rules(element, field)

    def json_schema(self, element: Element) -> dict:
        return {"type": "string", "enum": list(element.choices)}

    def query_column(self, value: str | int | float) -> Column:
        if not isinstance(value, str):
            raise ValueError("compare it with a string")
        return "text"


@register
class Email(Input):
    name = "EMAIL"
    rules = ("max_length",)
    json_type = {"type": "string", "format": "email"}
    field_class = forms.EmailField
    sort_columns = ("text",)

    def parse(self, element: Element, value: object):
        text = super().parse(element, value)
        try:
            validate_email(text)
        except ValidationError:
            raise ValueError(f"EMAIL takes an e-mail address, found {json_kind(value)}") from None
        return text


@register
class Url(Input):
    name = "URL"
    rules = ("max_length",)
    json_type = {"type": "string", "format": "uri"}
    field_class = forms.URLField
    sort_columns = ("text",)
    validate = URLValidator(schemes=["http", "https"])

    def form_field(self, element: Element) -> forms.Field:
        field = forms.URLField(label=element.label, required=False, assume_scheme="https")
        return self.with_rules(element, field)

    def parse(self, element: Element, value: object):
        text = super().parse(element, value)
        try:
            self.validate(text)
        except ValidationError:
            raise ValueError(
                f"URL takes an http or https address, found {json_kind(value)}"
            ) from None
        return text


class DateField(forms.Field):
    """A day as the browser's date input sends it (YYYY-MM-DD), kept as that string."""

    widget = forms.DateInput(attrs={"type": "date"})
    default_error_messages = {
        "invalid": gettext_lazy("Enter a date as YYYY-MM-DD, not '%(value)s'.")
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.input_type = "date"

    def to_python(self, value):
        text = "" if value is None else str(value).strip()
        if not text:
            return None
        if parse_day(text) is None:
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": text}
            )
        return text


def parse_day(text: str) -> date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@register
class Date(Input):
    """A day, stored as `YYYY-MM-DD`; indexed and compared as that day's midnight (UTC)."""

    name = "DATE"
    field_class = DateField
    sort_columns = ("date",)
    html_bounds = True

    def display(self, value: object) -> str:
        day = parse_day(value) if isinstance(value, str) else None
        if localized() and day is not None:
            return formats.date_format(day, "SHORT_DATE_FORMAT")
        return super().display(value)

    rules = ("min", "max")
    bound_schema = {"type": "string", "format": "date"}
    json_type = {"type": "string", "format": "date"}

    def parse(self, element: Element, value: object):
        day = parse_day(value) if isinstance(value, str) else None
        if day is None:
            raise ValueError(f"DATE takes a day as YYYY-MM-DD, found {json_kind(value)}")
        return day

    def bound(self, limit):
        return parse_day(str(limit))

    def yaml_bound(self, value):
        return time_bound(self.name, value, parse_day, "2026-07-01")

    def json_schema(self, element: Element) -> dict:
        return with_format_bounds(dict(self.json_type), element)

    def string_index_values(self, text: str) -> dict:
        moment = parse_instant(text)
        return {"value_date": moment} if moment is not None else {}

    def query_column(self, value: str | int | float) -> Column:
        if not isinstance(value, str):
            raise ValueError("compare it with a date such as '2024-05-01'")
        return "date"


# What a FILE item holds: where the storage keeps the upload, and what to tell a reader.
FILE_KEYS = ("name", "path", "size", "content_type")


@register
class File(Input):
    """An upload kept by Django's storage. The item is `{"name", "path", "size",
    "content_type"}`; only an upload through the block form sets it (records.validation), and
    it is served by the record route `files/<element>/`, to those who may read the record."""

    name = "FILE"
    field_class = forms.FileField
    takes_lists = False
    is_upload = True
    widget_template = "elements/file.html"

    def widget_context(self, element: Element, field: forms.Field, value: object, place) -> dict:
        url = place.file_url(element) if isinstance(value, dict) else None
        return {
            "attrs": {},
            "current_url": url,
            "current_name": value.get("name", "") if url else "",
            # A file already there need not be chosen again.
            "required": element.required and not url,
        }

    json_type = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "size": {"type": "integer"},
            "content_type": {"type": "string"},
            "path": {"type": "string"},
        },
        "readOnly": True,
    }

    def form_field(self, element: Element) -> forms.Field:
        field = super().form_field(element)
        field.validators.append(upload_within_limit)
        return field

    def parse(self, element: Element, value: object):
        if not (isinstance(value, dict) and set(value) == set(FILE_KEYS)):
            raise ValueError(
                f"FILE takes an upload through the block form, found {json_kind(value)}"
            )
        return value

    def display(self, value: object) -> str:
        return value.get("name", "") if isinstance(value, dict) else super().display(value)

    def shown_html(self, element: Element, value: object, place) -> str:
        url = place.file_url(element)
        if not isinstance(value, dict) or url is None:
            return super().shown_html(element, value, place)
        return format_html('<a class="file" href="{}">{}</a>', url, self.display(value))

    def stored_problem(self, element: Element, value: object, place) -> str | None:
        """Whether a file value is this item's own (kept or freshly uploaded) is asked of every
        item by records.validation; here: a FILE item holds file-shaped values only."""
        return None if place.is_file(value) else FILE_PROBLEM

    def json_schema(self, element: Element) -> dict:
        return {**self.json_type, "properties": dict(self.json_type["properties"])}

    def index_values(self, value: object) -> dict | None:
        return super().index_values(value.get("name")) if isinstance(value, dict) else None


FILE_PROBLEM = Message(gettext_noop("FILE: a file is set only by an upload through the block form"))


def upload_within_limit(upload) -> None:
    """An upload holds at most `settings.MAX_UPLOAD_BYTES` (the environment's MAX_UPLOAD_MB)."""
    limit = settings.MAX_UPLOAD_BYTES
    if upload is not None and getattr(upload, "size", 0) > limit:
        raise ValidationError(
            _("The file is larger than the limit of %(size)s MB.") % {"size": f"{limit / 2**20:g}"},
            code="max_upload",
        )


# A record id (contract §2); the same rule as records.selectors.RECORD_ID_RULE.
RECORD_ID = r"(?=.*[A-Za-z0-9])[A-Za-z0-9\-_.~:@]{1,200}"


@register
class Reference(Input):
    """The id of a record of this app, or of the element's `app`. Shown as a link to it when
    the visitor may read it, hidden otherwise; records.validation checks that it exists."""

    name = "REFERENCE"
    json_type = {"type": "string", "pattern": f"^{RECORD_ID}$"}
    sort_columns = ("text",)

    def parse(self, element: Element, value: object):
        if not (isinstance(value, str) and re.fullmatch(RECORD_ID, value)):
            raise ValueError(f"REFERENCE takes a record id, found {json_kind(value)}")
        return value

    def yaml_fields(self) -> dict[str, tuple]:
        from .schema import AppId  # schema imports this module

        return {**super().yaml_fields(), "app": (AppId, None)}

    def target_app(self, element: Element, place) -> str:
        return element.app or place.app_id

    def shown_html(self, element: Element, value: object, place) -> str:
        if not (isinstance(value, str) and value):
            return super().shown_html(element, value, place)
        url = place.readable_record_url(self.target_app(element, place), value)
        if url is None:
            return ""  # not readable (or gone): not even its id is shown
        return format_html('<a class="reference" href="{}">{}</a>', url, value)

    def stored_problem(self, element: Element, value: object, place) -> str | None:
        target = self.target_app(element, place)
        if not place.record_exists(target, value):
            return Message(
                gettext_noop("REFERENCE: no record '%(value)s' in app '%(app)s'"),
                value=value,
                app=target,
            )
        return None

    def json_schema(self, element: Element) -> dict:
        schema = dict(self.json_type)
        if element.app:
            schema["description"] = f"the id of a record of app '{element.app}'"
        return schema

    def query_column(self, value: str | int | float) -> Column:
        if not isinstance(value, str):
            raise ValueError("compare it with a record id")
        return "text"


@register
class Chart(ElementType):
    """A chart of totals (contract §8): declared in the YAML (`group_by`, `value`, optional
    `query`) and counted by `aggregate(..., secure=True)` for the visitor, or filled by its
    function returning `{"labels": [...], "series": {name: [numbers]}}`. Rendered by
    blocks/charts.py; its `group_by` and `value` are checked against the app's items
    (`app_problems`, check_site)."""

    name = "CHART"
    is_chart = True
    kinds: ClassVar[tuple[str, ...]] = ("bar", "line", "pie")
    text_options: ClassVar[tuple[str, ...]] = ("title",)  # read as texts by language

    def yaml_fields(self) -> dict[str, tuple]:
        """`chart`, and the keys of a declared chart; the meaning of `group_by` and `value`
        in the app is `app_problems`'."""
        from pydantic import AfterValidator, Field, WrapValidator

        from .schema import AnyText, checked_as  # schema imports this module
        from .totals import parse_group, parse_metric  # totals imports spec

        text = {"type": "string", "minLength": 1}
        kind = checked_as({"enum": list(self.kinds)}, AfterValidator(self._kind))
        group_by = checked_as(text, AfterValidator(_chart_text("group_by", parse_group)))
        value = checked_as(
            text,
            AfterValidator(_chart_text("value", partial(parse_metric, "value"))),
            WrapValidator(_both_group_by_and_value),
        )
        return {
            "chart": (kind, None),
            "group_by": (group_by, None),
            "value": (value, Field(None, validate_default=True)),
            "query": (checked_as(text, AfterValidator(_chart_text("query"))), None),
            "title": (AnyText, None),
        }

    def _kind(self, value):
        if value not in self.kinds:
            raise _problem(
                "site.E004",
                f"chart must be one of {', '.join(self.kinds)}, found {value!r}",
            )
        return value

    def wants_function(self, element: Element) -> bool:
        """Declared charts count by themselves; one with neither `group_by` nor `value` is
        filled by its function."""
        return not {"group_by", "value"} & element.options.keys()

    def app_problems(self, app, element: Element) -> list[str]:
        """A declared chart's `group_by` and `value` name items of the app with a field index
        (what the aggregate reads), a bucket a date: the aggregate's 400s, found ahead."""
        from .totals import SpecError, check_group, check_metric, parse_group, parse_metric

        options = element.options
        if "value" not in options or "group_by" not in options:
            return []
        try:
            check_metric(app, parse_metric("value", options["value"]))
            check_group(app, parse_group(options["group_by"]))
        except SpecError as exc:
            return [exc.message]
        return []

    def as_json(self, element: Element) -> dict:
        return {
            "type": element.type,
            "label": element.label,
            "chart": element.options.get("chart", "bar"),
        }


def _problem(check: str, message: str, **context):
    """A problem of a key of the YAML, its message whole (typed.validate puts the element's
    name before it)."""
    from pydantic_core import PydanticCustomError

    # pydantic fills in only the keys of the context: the braces of a message stay.
    return PydanticCustomError(check, message, {"alone": True, **context})


def _chart_text(key: str, parse=None):
    def check(value):
        from .totals import SpecError  # totals imports spec

        if not (isinstance(value, str) and value):
            raise _problem("site.E012", f"{key} must be a non-empty string, found {value!r}")
        if parse is not None:
            try:
                parse(value)
            except SpecError as exc:
                raise _problem("site.E012", exc.message) from None
        return value

    return check


def _both_group_by_and_value(value, handler, info):
    """A declared chart gives `group_by` and `value`; one of them alone is a problem."""
    from .typed import said

    given = value is not None or said(info, "value")
    if given != (info.data.get("group_by") is not None or said(info, "group_by")):
        missing = "group_by" if given else "value"
        if not said(info, missing, "site.E007"):
            raise _problem(
                "site.E007",
                f"a declared chart needs both group_by and value; {missing} is missing",
                at=(missing,),
                or_at=("type",),
            )
    return None if value is None else handler(value)
