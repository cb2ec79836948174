"""The one access gate (contract §5): may this visitor see this app, record, block or page?

Every visibility question is answered here: the visitor's rights in an app (`access_to`),
records (`record_for`, `record_allows`), files (`file_for`), blocks (`block_verdict`) and pages
(`page_verdict`); field permissions, once they exist, belong beside `file_for`. The HTML surface
(web/), the JSON API (api/) and the block runtime (blocks/) ask only here, never the core's
`can_see` (records/tests/test_access.py keeps it so). Each surface turns the one denial,
`records.errors.Denied`, into its answer in one helper (api.errors.deny,
web.responses.failed). The decisions are the
permission core's (site_model.acl); this module asks its questions in the contract's order
and fetches what they need. Imports: the site model, accounts, records; never the API or pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.identity import who_for
from site_model.acl import Access, RecordFacts, Verdict, Who, access_for, can_see
from site_model.spec import AppSpec, BlockSpec, Page

from . import history, selectors, uploads
from .errors import Denied
from .models import Record, RecordVersion


def access_to(app: AppSpec, user) -> Access:
    """The visitor's rights and roles in `app`: the one place they are assembled."""
    return access_for(app.acl, who_for(user))


def visitor(user_or_who) -> Who:
    """The visitor as the core sees them, from a user (or None) or a `Who` already built."""
    return user_or_who if isinstance(user_or_who, Who) else who_for(user_or_who)


def block_verdict(block: BlockSpec, user_or_who) -> Verdict:
    """May the visitor see `block` (its `view_permission`)? A block is shown, run or described
    only on ALLOW; a record's HTML page shows its block, so it needs this too."""
    return can_see(block.view_permission, visitor(user_or_who))


def page_verdict(page: Page, user_or_who) -> Verdict:
    """May the visitor open `page` (its `view_permission`), or see it in the navigation?"""
    return can_see(page.view_permission, visitor(user_or_who))


def denial(verdict: Verdict, what: str, hidden: str = "not found") -> Denied:
    """The refusal of `verdict`, worded for what was asked:
    >>> denial(Verdict.FORBID, "view records of app 'sales'").message
    "you may not view records of app 'sales'"

    LOGIN says "authentication required to ...", HIDE says `hidden` (nothing revealed)."""
    if verdict is Verdict.LOGIN:
        return Denied(verdict, f"authentication required to {what}")
    if verdict is Verdict.FORBID:
        return Denied(verdict, f"you may not {what}")
    return Denied(verdict, hidden)


def no_record(app: AppSpec, record_id: str) -> str:
    return f"no record '{record_id}' in app '{app.id}'"


# An action as a refusal names it: words, never the core's identifiers (`delete_all`).
ACTION_WORDS = {"delete_all": "delete all"}


def refused(app: AppSpec, action: str, verdict: Verdict, record_id: str = "") -> Denied:
    """The refusal of `action`, in words:
    >>> refused(AppSpec("rating", "Ratings"), "delete_all", Verdict.FORBID).message
    "you may not delete all records of app 'rating'"
    """
    words = ACTION_WORDS.get(action, action)
    return denial(verdict, f"{words} records of app '{app.id}'", no_record(app, record_id))


def require(app: AppSpec, access: Access, action: str) -> None:
    """Raise `Denied` unless the visitor may do `action` in the app as a whole (list, create,
    delete all, manage)."""
    verdict = access.can(action)
    if verdict is not Verdict.ALLOW:
        raise refused(app, action, verdict)


@dataclass(frozen=True)
class Granted:
    """A record the visitor may act on, with the facts the permission core decided on."""

    record: Record
    facts: RecordFacts


def record_for(
    app: AppSpec, access: Access, record_id: str, action: str, *, lock: bool = False
) -> Granted:
    """The record `record_id` of `app` if the visitor may do `action` to it; else `Denied`.

    The contract's order: the app-level right, then a share on this record, then existence,
    then the record itself. Without the app-level right only a share on an existing record
    lets the visitor on; anyone else gets the app-level refusal (401/403) whether the record
    exists or not, so its existence is not revealed. With the right, a missing record is a
    404, and one they may not read a 404 too (HIDE).

    Shares only ever add permissions, so they are read (one query) only when the visitor may
    not do `action` without them; otherwise `facts.shared` stays empty. `lock`: the record is
    read with `SELECT ... FOR UPDATE` (inside the caller's transaction), for a write that
    follows (store.record_save(..., locked=True)).
    """
    record = selectors.record_get(app.id, record_id, lock=lock)
    facts = None
    if record is not None:
        facts = selectors.facts_for(record, access, shares=False)
        if access.can(action, facts) is not Verdict.ALLOW:
            facts = selectors.facts_for(record, access)
    in_app = access.can(action)
    if in_app is not Verdict.ALLOW and (facts is None or not access.can(action, facts)):
        raise refused(app, action, in_app)
    if record is None:
        raise refused(app, action, Verdict.HIDE, record_id)
    verdict = access.can(action, facts)
    if verdict is not Verdict.ALLOW:
        raise refused(app, action, verdict, record_id)
    return Granted(record, facts)


def record_allows(app: AppSpec, user, record: Record, action: str) -> bool:
    """May the visitor do `action` to `record`, a record already read (shares included)? For
    showing only the buttons that will work; a request that acts asks `record_for`."""
    access = access_to(app, user)
    return access.can(action, selectors.facts_for(record, access)) is Verdict.ALLOW


def file_for(app: AppSpec, access: Access, granted: Granted, item: str):
    """The upload (`models.Upload`) of FILE item `item` of a record the visitor may view
    (`granted`, from `record_for(..., "view")`), or None: the item is no FILE element of the
    app, holds no file, or holds one that was not uploaded to this record and item (a value
    copied from elsewhere). Callers answer None as a missing file, whatever the reason.

    Field permissions, once they exist, decide here too: whether `access` may read `item` of
    this record (today every item of a record the visitor may view is readable)."""
    if not any(
        (element := block.element(item)) is not None and element.definition.is_upload
        for block in app.blocks.values()
    ):
        return None
    return uploads.upload_of(granted.record, item)


def deleted_records_allowed(app: AppSpec, access: Access) -> None:
    """`Denied` unless the visitor may list and restore the app's deleted records: its
    editors and managers (contract §9)."""
    verdict = access.can("delete_all")
    if verdict is not Verdict.ALLOW:
        raise denial(verdict, f"see the deleted records of app '{app.id}'")


def record_or_deleted(
    app: AppSpec, access: Access, record_id: str, action: str, *, lock: bool = False
) -> Granted | RecordVersion:
    """The record, if the visitor may do `action` to it (`record_for`); else, for an editor
    or manager, the delete row of a deleted record of that id (its history, its restore).
    Anyone else gets the answer `record_for` gives for a missing record: a deleted record is
    no more visible than one that never was."""
    try:
        return record_for(app, access, record_id, action, lock=lock)
    except Denied as exc:
        if exc.verdict is not Verdict.HIDE or access.can("delete_all") is not Verdict.ALLOW:
            raise
        deletion = history.deletion_of(app.id, record_id)
        if deletion is None:
            raise
        return deletion


# Field permissions (contract §10): filled in by the field-rules work.
def readable_items(app: AppSpec, access: Access, items: dict) -> dict:
    """`items` without those the visitor of `access` may not read."""
    return items


def field_rights(app: AppSpec, access: Access) -> dict[str, tuple[bool, bool]]:
    """(may read, may write) per item for the visitor of `access`: every item of the app."""
    return {}
