"""Element types as definitions (site_model.elements): each type's form field, read-mode display,
JSON form, index values and query column. No database, no site folder."""

from datetime import UTC, datetime

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from site_model import elements
from site_model.elements import TYPES, UNTYPED, element_type
from site_model.spec import BlockSpec, Element


@pytest.fixture(autouse=True)
def utc(settings):
    settings.TIME_ZONE = "UTC"


def element(type_, **options) -> Element:
    return Element(id="x", type=type_, label="X", **options)


def test_registry_in_the_order_the_loader_lists_it():
    assert list(TYPES) == [
        "BASIC",
        "ACTION",
        "TEXT",
        "NUMBER",
        "DATETIME",
        "TEXTAREA",
        "BOOLEAN",
        "CHOICE",
        "EMAIL",
        "URL",
        "DATE",
        "FILE",
        "REFERENCE",
        "CHART",
    ]
    assert elements.input_type_names() == [
        "BOOLEAN",
        "CHOICE",
        "DATE",
        "DATETIME",
        "EMAIL",
        "FILE",
        "NUMBER",
        "REFERENCE",
        "TEXT",
        "TEXTAREA",
        "URL",
    ]
    assert element_type("number") is TYPES["NUMBER"]
    assert element_type(None) is UNTYPED and element_type("NOPE") is UNTYPED


def test_element_resolves_its_definition_once():
    one = element("NUMBER")
    assert one.definition is TYPES["NUMBER"]
    assert one == element("NUMBER")  # the definition is not part of an element's equality
    assert (one.is_input, one.is_action, one.needs_function) == (True, False, False)
    assert (element("ACTION").is_action, element("ACTION").needs_function) == (True, True)
    assert (element("BASIC").is_input, element("BASIC").needs_function) == (False, True)
    assert element("TEXT", mode="COMPUTED_ON_SAVE").needs_function


# (type, what the form posts, what the field cleans it to, or the error message)
CLEANING = [
    ("TEXT", "  My Order ", "  My Order "),
    ("TEXT", "", ""),
    ("TEXT", "a\x00b", ValidationError("Null characters are not allowed.")),
    ("NUMBER", "4", 4),
    ("NUMBER", " -12 ", -12),
    ("NUMBER", "2.5", 2.5),
    ("NUMBER", "1e3", 1000.0),
    ("NUMBER", "1234567890123456789", 1.2345678901234568e18),  # beyond 18 digits: a float
    ("NUMBER", "", None),
    ("NUMBER", "abc", ValidationError("Enter a number, not 'abc'.")),
    ("NUMBER", "1e999", ValidationError("Enter a finite number, not '1e999'.")),
    ("NUMBER", "nan", ValidationError("Enter a finite number, not 'nan'.")),
    ("NUMBER", 7, 7),  # a JSON number is taken as it is
    ("NUMBER", True, ValidationError("Enter a number, not 'True'.")),
    ("DATETIME", "2026-01-02T10:30", "2026-01-02T10:30:00+00:00"),
    ("DATETIME", "2026-01-02T10:30:15+02:00", "2026-01-02T10:30:15+02:00"),
    ("DATETIME", "", None),
    (
        "DATETIME",
        "tomorrow",
        ValidationError("Enter a date and time as YYYY-MM-DDTHH:MM, not 'tomorrow'."),
    ),
    (
        "DATETIME",
        "2026-13-40T10:00",
        ValidationError("Enter a date and time as YYYY-MM-DDTHH:MM, not '2026-13-40T10:00'."),
    ),
]


@pytest.mark.parametrize(("type_", "posted", "cleaned"), CLEANING)
def test_form_field_cleans(type_, posted, cleaned):
    field = element(type_).definition.form_field(element(type_))
    assert field.label == "X" and not field.required
    if isinstance(cleaned, ValidationError):
        with pytest.raises(ValidationError) as caught:
            field.clean(posted)
        assert caught.value.messages == cleaned.messages
    else:
        assert field.clean(posted) == cleaned
        assert type(field.clean(posted)) is type(cleaned)


@pytest.mark.parametrize("type_", ["BASIC", "ACTION"])
def test_basic_and_action_are_no_form_fields(type_):
    with pytest.raises(TypeError, match=f"a {type_} element is not a form field"):
        element(type_).definition.form_field(element(type_))


@pytest.mark.parametrize(
    ("type_", "value", "shown"),
    [
        ("TEXT", "Ann <3", "Ann <3"),
        ("TEXT", None, ""),
        ("NUMBER", 2.5, "2.5"),
        ("NUMBER", 4, "4"),
        ("BASIC", ["a"], "['a']"),
        ("DATETIME", "2026-01-02T10:30:00+00:00", "2026-01-02 10:30"),
        ("DATETIME", "2026-01-02T12:30:00+02:00", "2026-01-02 10:30"),  # in the current zone
        ("DATETIME", "2026-01-02T10:30", "2026-01-02 10:30"),
        ("DATETIME", "soon", "soon"),
        ("DATETIME", "2026-13-40T10:00", "2026-13-40T10:00"),  # well formed, no such day
        ("DATETIME", None, ""),
    ],
)
def test_display(type_, value, shown):
    assert element(type_).display(value) == shown


def test_display_uses_the_current_time_zone(settings):
    settings.TIME_ZONE = "Europe/Paris"
    assert element("DATETIME").display("2026-01-02T10:30:00+00:00") == "2026-01-02 11:30"
    assert timezone.get_current_timezone_name() == "Europe/Paris"


@pytest.mark.parametrize(
    ("options", "as_json"),
    [
        ({"type_": "BASIC"}, {"type": "BASIC", "label": "X"}),
        ({"type_": "ACTION"}, {"type": "ACTION", "label": "X"}),
        ({"type_": "TEXT"}, {"type": "TEXT", "label": "X", "mode": "EDITABLE"}),
        (
            {"type_": "NUMBER", "mode": "COMPUTED_ON_SAVE", "index_type": "field"},
            {"type": "NUMBER", "label": "X", "mode": "COMPUTED_ON_SAVE", "index_type": "field"},
        ),
        (
            {"type_": "DATETIME", "index_type": "field"},
            {"type": "DATETIME", "label": "X", "mode": "EDITABLE", "index_type": "field"},
        ),
        (
            {"type_": "CHOICE", "required": True, "choices": ("a", "b")},
            {
                "type": "CHOICE",
                "label": "X",
                "mode": "EDITABLE",
                "required": True,
                "choices": ["a", "b"],
            },
        ),
        (
            {"type_": "NUMBER", "min": 1, "max": 9},
            {"type": "NUMBER", "label": "X", "mode": "EDITABLE", "min": 1, "max": 9},
        ),
    ],
)
def test_json_form(options, as_json):
    one = element(**options)
    assert one.definition.as_json(one) == as_json


MIDNIGHT = datetime(2026, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("type_", "value", "columns"),
    [
        ("TEXT", "abc", {"value_text": "abc"}),
        ("TEXT", "12", {"value_text": "12"}),
        ("TEXT", 12, {"value_number": 12.0}),
        ("TEXT", True, None),
        ("TEXT", "a\x00b", None),
        ("TEXT", "x" * 1001, None),
        ("NUMBER", 2.5, {"value_number": 2.5}),
        ("NUMBER", " 2.5 ", {"value_text": " 2.5 ", "value_number": 2.5}),  # a form post
        ("NUMBER", "x" * 1001, None),
        ("NUMBER", "1e999", {"value_text": "1e999"}),
        ("NUMBER", 10**400, None),
        ("DATETIME", "2026-01-02", {"value_text": "2026-01-02", "value_date": MIDNIGHT}),
        (
            "DATETIME",
            "2026-01-02T10:30",
            {"value_text": "2026-01-02T10:30", "value_date": MIDNIGHT.replace(hour=10, minute=30)},
        ),
        ("DATETIME", "soon", {"value_text": "soon"}),
        ("BASIC", "2026-01-02", {"value_text": "2026-01-02"}),
        ("BASIC", {"a": 1}, None),
        (None, 3, {"value_number": 3.0}),
    ],
)
def test_index_values(type_, value, columns):
    assert element_type(type_).index_values(value) == columns


@pytest.mark.parametrize(
    ("type_", "literal", "column"),
    [
        ("TEXT", "a", "text"),
        ("TEXT", 1, ValueError("compare it with a string")),
        ("NUMBER", 1.5, "number"),
        ("NUMBER", "1", ValueError("compare it with a number")),
        ("DATETIME", "2026-01-02", "date"),
        (
            "DATETIME",
            1,
            ValueError(
                "compare it with an ISO 8601 date such as '2024-05-01' or '2024-05-01T13:30:00Z'"
            ),
        ),
        ("BASIC", 1, "number"),
        ("BASIC", "a", "text"),
        (None, "a", "text"),
    ],
)
def test_query_column(type_, literal, column):
    definition = element_type(type_)
    if isinstance(column, ValueError):
        with pytest.raises(ValueError) as caught:
            definition.query_column(literal)
        assert str(caught.value) == str(column)
    else:
        assert definition.query_column(literal) == column


@pytest.mark.parametrize(
    ("type_", "columns"),
    [
        ("TEXT", ("text",)),
        ("NUMBER", ("number",)),
        ("DATETIME", ("date",)),
        (None, ("number", "text")),
    ],
)
def test_sort_columns(type_, columns):
    assert element_type(type_).sort_columns == columns


def block(*elements_) -> BlockSpec:
    return BlockSpec(
        app_id="sales", id="order", yaml_path="apps/sales/blocks/order.yaml", elements=elements_
    )


def test_block_form_has_a_field_per_editable_input_built_once():
    order = block(
        Element("message", "BASIC", "Message"),
        Element("like", "ACTION", "Like"),
        Element("title", "TEXT", "Title"),
        Element("price", "NUMBER", "Price"),
        Element("due", "DATETIME", "Due"),
        Element("total", "NUMBER", "Total", mode="COMPUTED_ON_SAVE"),
    )
    assert order.form_class is order.form_class
    assert list(order.form_class.base_fields) == ["title", "price", "due"]
    form = order.form_class({"title": "T", "price": "2", "due": "2026-01-02T10:30"})
    assert form.is_valid()
    assert form.cleaned_data == {"title": "T", "price": 2, "due": "2026-01-02T10:30:00+00:00"}
    form = order.form_class({"price": "many"})
    assert not form.is_valid()
    assert form.errors == {"price": ["Enter a number, not 'many'."]}


def test_widgets_give_the_input_type_attributes_and_shown_value():
    order = block(Element("price", "NUMBER", "Price"), Element("due", "DATETIME", "Due"))
    price, due = (order.form_class.base_fields[name].widget for name in ("price", "due"))
    assert (price.input_type, price.attrs, price.format_value(2.5)) == (
        "number",
        {"step": "any"},
        "2.5",
    )
    assert (due.input_type, due.attrs) == ("datetime-local", {})
    assert due.format_value("2026-01-02T10:30:00+00:00") == "2026-01-02T10:30"  # minutes
    assert due.format_value("tomorrow") == "tomorrow" and due.format_value(None) is None


def test_element_ids_that_are_form_attributes_are_still_fields():
    odd = block(*(Element(name, "TEXT", name) for name in ("data", "fields", "clean", "errors")))
    form = odd.form_class({"data": "1", "fields": "2", "clean": "3", "errors": "4"})
    assert form.is_valid()
    assert form.cleaned_data == {"data": "1", "fields": "2", "clean": "3", "errors": "4"}


# (element options, the JSON Schema of one value)
SCHEMAS = [
    ({"type_": "BASIC"}, {}),
    ({"type_": "TEXT"}, {"type": "string"}),
    (
        {"type_": "TEXT", "max_length": 20, "pattern": "[a-z]+"},
        {"type": "string", "maxLength": 20, "pattern": "^(?:[a-z]+)$"},
    ),
    ({"type_": "TEXTAREA", "max_length": 500}, {"type": "string", "maxLength": 500}),
    ({"type_": "NUMBER"}, {"type": "number"}),
    ({"type_": "NUMBER", "min": 1, "max": 200}, {"type": "number", "minimum": 1, "maximum": 200}),
    ({"type_": "DATETIME"}, {"type": "string", "format": "date-time"}),
    (
        {"type_": "DATE", "min": "2026-01-01"},
        {"type": "string", "format": "date", "formatMinimum": "2026-01-01"},
    ),
    ({"type_": "BOOLEAN"}, {"type": "boolean"}),
    (
        {"type_": "CHOICE", "choices": ("talk", "party")},
        {"type": "string", "enum": ["talk", "party"]},
    ),
    ({"type_": "EMAIL"}, {"type": "string", "format": "email"}),
    ({"type_": "URL"}, {"type": "string", "format": "uri"}),
    (
        {"type_": "FILE"},
        {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "size": {"type": "integer"},
                "content_type": {"type": "string"},
                "path": {"type": "string"},
            },
            "readOnly": True,
        },
    ),
    (
        {"type_": "REFERENCE", "app": "sales"},
        {
            "type": "string",
            "pattern": "^(?=.*[A-Za-z0-9])[A-Za-z0-9\\-_.~:@]{1,200}$",
            "description": "the id of a record of app 'sales'",
        },
    ),
]


@pytest.mark.parametrize(("options", "schema"), SCHEMAS)
def test_json_schema(options, schema):
    one = element(**options)
    assert one.json_schema() == schema
    assert one.json_schema() is not one.json_schema()  # a fresh dict: callers may add to it


# (element options, a stored value, the problem or None)
CHECKS = [
    ({"type_": "NUMBER"}, "many", "type: NUMBER takes a number, found a string 'many'"),
    ({"type_": "NUMBER"}, True, "type: NUMBER takes a number, found a boolean true"),
    ({"type_": "NUMBER"}, None, None),
    ({"type_": "NUMBER", "required": True}, None, "required: a value is required"),
    ({"type_": "NUMBER", "min": 1}, 0, "min: at least 1, found 0"),
    ({"type_": "NUMBER", "max": 10}, 10.5, "max: at most 10, found 10.5"),
    ({"type_": "NUMBER", "min": 1, "max": 10}, 10, None),
    (
        {"type_": "DATETIME"},
        "tomorrow",
        "type: DATETIME takes an RFC 3339 date and time with its UTC offset such as "
        "'2026-07-01T18:00:00+02:00', found a string 'tomorrow'",
    ),
    ({"type_": "DATETIME", "min": "2026-01-01T00:00"}, "2026-01-01T10:00:00+00:00", None),
    (
        {"type_": "DATETIME", "max": "2026-01-01T00:00Z"},
        "2026-01-02T00:00:00Z",
        "max: at most 2026-01-01T00:00Z, found 2026-01-02T00:00:00+00:00",
    ),
    (
        {"type_": "DATE"},
        "2026-02-30",
        "type: DATE takes a day as YYYY-MM-DD, found a string '2026-02-30'",
    ),
    (
        {"type_": "DATE", "min": "2026-01-01"},
        "2025-12-31",
        "min: at least 2026-01-01, found 2025-12-31",
    ),
    ({"type_": "TEXT", "max_length": 3}, "abcd", "max_length: at most 3 characters, found 4"),
    ({"type_": "TEXT", "pattern": "[a-z]+"}, "ab1", "pattern: must match [a-z]+"),
    ({"type_": "TEXT", "required": True}, "", "required: a value is required"),
    ({"type_": "TEXT"}, 5, "type: TEXT takes a string, found a number 5"),
    ({"type_": "TEXTAREA"}, "two\nlines", None),
    ({"type_": "BOOLEAN"}, "yes", "type: BOOLEAN takes true or false, found a string 'yes'"),
    ({"type_": "BOOLEAN", "required": True}, False, "required: must be true"),
    ({"type_": "CHOICE", "choices": ("a", "b")}, "c", "choices: one of a, b, found 'c'"),
    ({"type_": "CHOICE", "choices": ("a", "b")}, "b", None),
    (
        {"type_": "EMAIL"},
        "ann@example",
        "type: EMAIL takes an e-mail address, found a string 'ann@example'",
    ),
    ({"type_": "EMAIL"}, "ann@example.com", None),
    (
        {"type_": "URL"},
        "javascript:alert(1)",
        "type: URL takes an http or https address, found a string 'javascript:alert(1)'",
    ),
    ({"type_": "URL"}, "https://example.com/a", None),
    (
        {"type_": "FILE"},
        "/etc/passwd",
        "type: FILE takes an upload through the block form, found a string '/etc/passwd'",
    ),
    ({"type_": "REFERENCE"}, "a b", "type: REFERENCE takes a record id, found a string 'a b'"),
    ({"type_": "REFERENCE"}, "summer-party", None),
    ({"type_": "BASIC"}, "anything", None),
]


@pytest.mark.parametrize(("options", "value", "problem"), CHECKS)
def test_check(options, value, problem):
    assert element(**options).check(value) == problem


@pytest.mark.parametrize(
    ("options", "posted", "cleaned"),
    [
        ({"type_": "NUMBER", "min": 1}, "0", ValidationError("X must be at least 1.")),
        ({"type_": "NUMBER", "required": True}, "", ValidationError("X is required.")),
        ({"type_": "TEXTAREA"}, "a\nb", "a\nb"),
        ({"type_": "BOOLEAN"}, "1", True),
        ({"type_": "BOOLEAN"}, "0", False),
        ({"type_": "BOOLEAN", "required": True}, "0", ValidationError("X must be ticked.")),
        ({"type_": "CHOICE", "choices": ("a", "b")}, "b", "b"),
        ({"type_": "CHOICE", "choices": ("a", "b")}, "", ""),
        (
            {"type_": "CHOICE", "choices": ("a", "b")},
            "z",
            ValidationError("Select a valid choice. z is not one of the available choices."),
        ),
        ({"type_": "EMAIL"}, "nope", ValidationError("Enter a valid email address.")),
        ({"type_": "URL"}, "https://example.com", "https://example.com"),
        ({"type_": "DATE"}, "2026-07-01", "2026-07-01"),
        ({"type_": "DATE"}, "", None),
        (
            {"type_": "DATE"},
            "01/07/2026",
            ValidationError("Enter a date as YYYY-MM-DD, not '01/07/2026'."),
        ),
        (
            {"type_": "DATE", "max": "2026-12-31"},
            "2027-01-01",
            ValidationError("X must be 2026-12-31 or earlier."),
        ),
        (
            {"type_": "TEXT", "pattern": "[A-Z]{3}"},
            "abc",
            ValidationError("X must match [A-Z]{3}."),
        ),
    ],
)
def test_form_field_applies_the_rules(options, posted, cleaned):
    one = element(**options)
    field = one.definition.form_field(one)
    if isinstance(cleaned, ValidationError):
        with pytest.raises(ValidationError) as caught:
            field.clean(posted)
        assert caught.value.messages == cleaned.messages
    else:
        assert field.clean(posted) == cleaned


def test_new_widgets():
    form = block(
        Element("notes", "TEXTAREA", "Notes"),
        Element("open", "BOOLEAN", "Open"),
        Element("kind", "CHOICE", "Kind", choices=("talk", "party")),
        Element("mail", "EMAIL", "Mail"),
        Element("site", "URL", "Site"),
        Element("day", "DATE", "Day"),
        Element("poster", "FILE", "Poster"),
        Element("venue", "REFERENCE", "Venue"),
    ).form_class
    kinds = {name: type(field.widget).__name__ for name, field in form.base_fields.items()}
    assert kinds == {
        "notes": "Textarea",
        "open": "SentCheckbox",  # a CheckboxInput, sent by the hidden "0" before it
        "kind": "Select",
        "mail": "EmailInput",
        "site": "URLInput",
        "day": "DateInput",
        "poster": "ClearableFileInput",
        "venue": "TextInput",
    }
    assert form.base_fields["day"].widget.input_type == "date"
    assert isinstance(form.base_fields["open"].widget, forms.CheckboxInput)
