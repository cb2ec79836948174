"""Items checked against the elements of the app's blocks (contract §2): one check for every
path that writes (block form, JSON API, `record.save()` in block code), called by records.store.

An item is checked against the input element of its name in the record's block (its `block`
item), else the first one of that name in the app's blocks; an item naming no input element is
free. The check is the element type's (`ElementType.check`: its type, then `required`, `min`,
`max`, `max_length`, `pattern`, `choices`), plus what needs the database or the record:
- a REFERENCE names a record that exists, in the element's `app` (default: the record's own),
  and that the writer (`reader`) may read: one they may not read, or in an app where they have
  no right, gets the very message of a record that does not exist (its existence is not
  revealed). Trusted writers (block code, commands) pass no reader and reach every record;
- a file-shaped value (records.uploads.is_file_value), under any item name,
  is only a FILE item's fresh upload through the block form (`uploads`: the storage paths
  just written) or the value the item holds already: any other write must leave it as
  stored, or empty it, so a path seen elsewhere cannot be pointed at from another record;
- on create through a block (or with a `block` item), the block's required inputs are present.
Owner items (`row_owners`) hold a string or a list of strings, whatever their element's type.
A refusal is `InvalidItems` naming every bad item and its rule; nothing is written.

Imports: the site model and records only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_noop

from site_model.elements import FILE_PROBLEM
from site_model.loader import current_site
from site_model.spec import AppSpec, BlockSpec, Element
from site_model.texts import Message

from . import access
from .errors import Denied, InvalidItems
from .models import Record
from .uploads import file_values, is_file_value


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


OWNER_VALUE = Message(gettext_noop("an owner item holds a string or a list of strings"))


def check_items(
    *,
    app: AppSpec,
    items: dict,
    block: BlockSpec | None = None,
    current: dict | None = None,
    creating: bool = False,
    uploads: Iterable[str] = (),
    reader=None,
) -> None:
    """Raise `InvalidItems` unless every item of `items` (what is being written) fits its element.

    `block`: the block the record is saved through or with; `current`: the stored items (None
    on create); `uploads`: storage paths of the files uploaded by this request; `reader`: the
    user (anonymous too) writing for a client, whose sight bounds REFERENCE values (None:
    trusted code).

    >>> check_items(app=events, items={"seats": "many"})
    InvalidItems: item 'seats': type: NUMBER takes a number, found a string 'many'
    """
    block = block or record_block(app, {**(current or {}), **items})
    owner_items = set(app.acl.row_owners) if app.acl is not None else set()
    uploaded = set(uploads)
    problems: dict[str, str] = {}
    for name, value in items.items():
        element = element_for(app, block, name)
        fresh = uploaded if element is not None and element.definition.is_upload else set()
        if not file_value_kept(value, (current or {}).get(name), fresh):
            problems[name] = FILE_PROBLEM
            continue
        if element is None:
            continue
        if name in owner_items:
            if value is not None and not is_owner_value(value):
                problems[name] = OWNER_VALUE
            continue
        problem = element.check(value)
        # A list holds several values (Input.check took each): each one is looked up too.
        for each in value if isinstance(value, list) else [value]:
            if problem is None and each not in (None, ""):
                problem = element.definition.stored_problem(
                    element, each, StoredPlace(app.id, current, uploaded, reader)
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


def file_value_kept(value, current, uploaded: set[str]) -> bool:
    """Is each file-shaped value of `value` the item's `current` one (or one of its list) or
    a fresh upload of this request?"""
    held = current if isinstance(current, list) else [current]
    return all(each in held or each["path"] in uploaded for each in file_values(value))


@dataclass(frozen=True)
class StoredPlace:
    """What an element type's `stored_problem` may ask of the records being written, as far
    as the writer (`reader`; None for trusted code) may know."""

    app_id: str
    current: dict | None
    uploaded: set[str]
    reader: object = None

    def record_exists(self, app_id: str, record_id: str) -> bool:
        """Does record `record_id` of app `app_id` exist, as far as the writer may know? One
        they may not read answers as one that does not exist."""
        if self.reader is None:
            return Record.objects.filter(app_id=app_id, record_id=record_id).exists()
        target = current_site().apps.get(app_id)
        if target is None:
            return False
        try:
            access.record_for(target, access.access_to(target, self.reader), record_id, "view")
        except Denied:
            return False
        return True

    def is_file(self, value) -> bool:
        """Is `value` file-shaped (records.uploads.is_file_value)?"""
        return is_file_value(value)
