"""The JSON Schema of an app's records, from its elements' definitions (contract §4, issue 15).

What a client may write, as the server checks it (records/validation.py): each element's
definition gives the schema of one value (`json_schema(element)`), a type that takes lists takes a list
of such values, and an element that is not required takes an empty value. An item no input
element names may hold any JSON value. Answers are described without a type: an element
retyped in the site folder leaves the values stored before as they were.
"""

from __future__ import annotations

from collections.abc import Iterable

from site_model.spec import AppSpec, BlockSpec, Element

MAX_OWNER_VALUES = 100
EMPTY = [{"type": "null"}, {"const": ""}]


def element_schema(element: Element) -> dict:
    """The schema of one value of an input element: its definition's `json_schema`."""
    schema = dict(element.definition.json_schema(element))
    if element.label:
        schema.setdefault("title", element.label)
    return schema


def value_schemas(element: Element) -> list[dict]:
    """What the server's check (`Input.check`, records/validation.py) takes for one item of
    `element`: a value, a list of values where the type takes lists, and an empty value (null,
    "", []) unless the element is required; a required element's values are never "" (in a
    list neither), a list of one that is not may hold empty values."""
    schema = element_schema(element)
    required = getattr(element, "required", False)
    if element.definition.is_upload:
        # Only an upload through the block form sets a FILE item (records.validation): a
        # client may empty it (an empty list too), or send back the value it read (kept as it
        # is, not described).
        return [{"not": {}}] if required else [*EMPTY, {"type": "array", "maxItems": 0}]
    if required:  # "" is empty: a string that is a value has a character
        schema["minLength"] = max(schema.get("minLength", 0), 1)
    options = [schema]
    if getattr(element.definition, "takes_lists", True):
        many = {"type": "array", "items": schema if required else {"anyOf": [schema, *EMPTY]}}
        if required:
            many["minItems"] = 1
        options.append(many)
    if not required:
        options += EMPTY
    return options


def required_on_create(blocks: Iterable[BlockSpec]) -> list[dict]:
    """A create through a block (its `block` item) gives the block's required inputs
    (records.validation.check_items), as JSON Schema conditions."""
    found = []
    for block in blocks:
        names = sorted(
            element.id
            for element in block.inputs
            if getattr(element, "required", False) and not element.is_computed
        )
        if names:
            found.append(
                {
                    "if": {"properties": {"block": {"const": block.id}}, "required": ["block"]},
                    "then": {"required": names},
                }
            )
    return found


def item_schemas(
    app: AppSpec, blocks: Iterable[BlockSpec] | None = None, *, owners: bool = True
) -> dict[str, dict]:
    """Item name -> its schema, for every input element of `blocks` (default: the app's; records
    are the app's, whichever block saved them; two inputs of one name: either). With `owners`,
    an owner item (`row_owners`) holds a string or a list of at most 100 strings, whatever its
    element (contract §5); without, owner items are not told apart from the others (a caller
    who may not see the ACL is not told which items give ownership)."""
    found: dict[str, list[dict]] = {}
    for block in app.blocks.values() if blocks is None else blocks:
        for element in block.inputs:
            for schema in value_schemas(element):
                if schema not in found.setdefault(element.id, []):
                    found[element.id].append(schema)
    for name in app.acl.row_owners if owners and app.acl else ():
        found[name] = [
            {"type": "string"},
            {"type": "array", "items": {"type": "string"}, "maxItems": MAX_OWNER_VALUES},
            {"type": "null"},
        ]
    found.pop("id", None)
    return {name: {"anyOf": options} for name, options in sorted(found.items())}
