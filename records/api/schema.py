"""The JSON Schema of an app's records, from its elements' definitions (contract §4, issue 15).

What a client should write: the API stores any JSON value today (a search skips a value of
another type, contract §4), and an element retyped in the site folder leaves older values as
they were, so the description types the request bodies with these schemas and describes the
items of an answer without a type.

An element type that knows its schema answers `json_schema(element)` (issue 14 adds it to the
definitions in blocks/site/elements.py); until then the small table `FALLBACK` types the
existing inputs. An item no input element names may hold any JSON value.
"""

from __future__ import annotations

from blocks.site.spec import AppSpec, Element

MAX_OWNER_VALUES = 100

# element type -> the schema of its value, for definitions without `json_schema`
FALLBACK = {
    "TEXT": {"type": "string"},
    "NUMBER": {"type": "number"},
    "DATETIME": {"type": "string", "format": "date-time"},
}


def element_schema(element: Element) -> dict:
    """The schema of one input element's value (null is always allowed: an empty field)."""
    own = getattr(element.definition, "json_schema", None)
    schema = (
        dict(own(element)) if callable(own) else dict(FALLBACK.get(element.definition.name, {}))
    )
    if element.label:
        schema.setdefault("title", element.label)
    return schema


def item_schemas(app: AppSpec) -> dict[str, dict]:
    """Item name -> its schema, for every input element of the app (records are the app's,
    whichever block saved them): the element's value, a list of such values (an item may hold
    several; a search matches any), or null. An owner item's list holds at most 100 values
    (contract §5). Two inputs of one name with different schemas: either."""
    found: dict[str, list[dict]] = {}
    for block in app.blocks.values():
        for element in block.inputs:
            schema = element_schema(element)
            if schema not in found.setdefault(element.id, []):
                found[element.id].append(schema)
    owners = set(app.acl.row_owners) if app.acl else set()
    for name in owners - set(found):
        found[name] = [{"type": "string"}]
    schemas = {}
    for name, options in sorted(found.items()):
        if name == "id":
            continue
        many = {"type": "array", "items": options[0] if len(options) == 1 else {"anyOf": options}}
        if name in owners:
            many["maxItems"] = MAX_OWNER_VALUES
        schemas[name] = {"anyOf": [*options, many, {"type": "null"}]}
    return schemas
