"""Items checked against the elements of the app's blocks (contract §2): one check for every
path that writes (block form, JSON API, `record.save()` in block code), called by records.store.

An item is checked against the input element of its name in the record's block (its `block`
item), else the first one of that name in the app's blocks; an item naming no input element is
free. The check is the element type's (`ElementType.check`: its type, then `required`, `min`,
`max`, `max_length`, `pattern`, `choices`), plus what needs the database or the record:
- a REFERENCE names a record that exists, in the element's `app` (default: the record's own);
- a FILE item is set only by an upload through the block form (`uploads`: the storage paths
  just written); any other write must leave it as stored, or empty it;
- on create through a block (or with a `block` item), the block's required inputs are present.
Owner items (`row_owners`) hold a string or a list of strings, whatever their element's type.
A refusal is `InvalidItems` naming every bad item and its rule; nothing is written.

Imports: the site model and records only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from site_model.spec import AppSpec, BlockSpec, Element

from .errors import InvalidItems
from .models import Record


def element_for(app: AppSpec, block: BlockSpec | None, name: str) -> Element | None:
    """The input element that item `name` is checked against, or None (a free item)."""
    if block is not None:
        found = block.element(name)
        if found is not None and found.is_input:
            return found
    for other in app.blocks.values():
        found = other.element(name)
        if found is not None and found.is_input:
            return found
    return None


def record_block(app: AppSpec, items: dict) -> BlockSpec | None:
    block_id = items.get("block")
    return app.blocks.get(block_id) if isinstance(block_id, str) else None


def is_owner_value(value) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    )


def check_items(
    *,
    app: AppSpec,
    items: dict,
    block: BlockSpec | None = None,
    current: dict | None = None,
    creating: bool = False,
    uploads: Iterable[str] = (),
) -> None:
    """Raise `InvalidItems` unless every item of `items` (what is being written) fits its element.

    `block`: the block the record is saved through or with; `current`: the stored items (None
    on create); `uploads`: storage paths of the files uploaded by this request.

    >>> check_items(app=events, items={"seats": "many"})
    InvalidItems: item 'seats': type: NUMBER takes a number, found a string 'many'
    """
    block = block or record_block(app, {**(current or {}), **items})
    owner_items = set(app.acl.row_owners) if app.acl is not None else set()
    uploaded = set(uploads)
    problems: dict[str, str] = {}
    for name, value in items.items():
        element = element_for(app, block, name)
        if element is None:
            continue
        if name in owner_items:
            if value is not None and not is_owner_value(value):
                problems[name] = "an owner item holds a string or a list of strings"
            continue
        problem = element.check(value)
        # A list holds several values (Input.check took each): each one is looked up too.
        for each in value if isinstance(value, list) else [value]:
            if problem is None and each not in (None, ""):
                problem = element.definition.stored_problem(
                    element, each, StoredPlace(app.id, current, uploaded)
                )
        if problem is not None:
            problems[name] = problem
    if creating and block is not None:
        for element in block.inputs:
            if element.required and not element.is_computed and element.id not in items:
                problems.setdefault(element.id, "required: a value is required")
    if problems:
        raise InvalidItems(
            "; ".join(f"item '{name}': {problem}" for name, problem in problems.items()),
            problems=problems,
        )


@dataclass(frozen=True)
class StoredPlace:
    """What an element type's `stored_problem` may ask of the records being written."""

    app_id: str
    current: dict | None
    uploaded: set[str]

    def record_exists(self, app_id: str, record_id: str) -> bool:
        return Record.objects.filter(app_id=app_id, record_id=record_id).exists()
