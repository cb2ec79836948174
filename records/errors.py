"""Domain errors of the records layer: what a service refuses, in words, with no HTTP in them.

Services (selectors, store, search, ownership.sharing) and the access gate (records/access.py)
raise these; each surface maps them to its answers in one place: the JSON API in
api/errors.py (`exception_handler`), the HTML routes in web/responses.py (`failed`).
The message is the visitor's: the API sends it as `{"error": message}`. Block code sees them
too (`context.app.create_record("a b")`), so the invalid-input ones are `ValueError`s.

Imports: the site model and records/query.py only.
"""

from __future__ import annotations

from site_model.acl import Verdict

from .query import QueryError


class RecordError(Exception):
    """A service refused; `message` says why, for the visitor."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Denied(RecordError):
    """The permission core refused: `verdict` is LOGIN (401, or the login page), FORBID (403)
    or HIDE (404, existence not revealed). Raised by the gate, records/access.py."""

    def __init__(self, verdict: Verdict, message: str):
        super().__init__(message)
        self.verdict = verdict


class RecordNotFound(RecordError, LookupError):
    """No such record (deleted meanwhile, for a write): 404."""


class UserNotFound(RecordNotFound):
    """No user of that name (an explanation or a preview asked about them): 404."""


class AppNotFound(RecordError, LookupError):
    """No such app: 404."""


class RecordExists(RecordError):
    """The record id is taken (or no free one is left): 409."""


class StaleRecord(RecordError):
    """`If-Match` names a version other than the stored one: 412, nothing changed."""


class OwnerItemLocked(RecordError):
    """An edit share may not change an owner item (`Access.fixed_owner_items`): 403."""


class FieldLocked(RecordError):
    """An item the caller may not write (field permissions, contract §10): 403 naming it;
    `item` for a form to show it beside the field."""

    def __init__(self, message: str, item: str):
        super().__init__(message)
        self.item = item


class StampedItem(OwnerItemLocked):
    """A client sent an item that the app's `on_create` writes from the creator, with another
    value, and is no editor of the app: 403 naming the item."""


class InvalidInput(RecordError, ValueError):
    """Something the visitor sent is wrong, whatever asked: 400."""


class InvalidRecordId(InvalidInput):
    """Not a record id (records.selectors.RECORD_ID_RULE)."""


class InvalidPaging(InvalidInput):
    """`after` with a `sort_index`, or naming no record the visitor may read."""


class InvalidItems(InvalidInput):
    """Items a record may not hold: an owner item over its size limit, or items that do not fit
    their elements (records/validation.py). `problems`: item name -> its problem, naming the
    rule, for a form to show beside each field."""

    def __init__(self, message: str, problems: dict[str, str] | None = None):
        super().__init__(message)
        self.problems = problems or {}


class BadShare(InvalidInput):
    """A share body of the wrong shape, or one naming nobody."""


class BadQuery(InvalidInput, QueryError):
    """A query or sort index outside the language (records/search.py); a `QueryError` too,
    which block code calling `context.app.search()` may catch."""


class BadImportFile(InvalidInput):
    """An import's file cannot be read as its format (broken encoding, not what its name says,
    too large, too many rows, a ZIP bomb): 400, or a failed job naming the reason."""
