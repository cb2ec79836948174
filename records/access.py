"""The one access gate (contract §5): may this visitor see this app, record, block or page?

Every visibility question is answered here: the visitor's rights in an app (`access_to`),
records (`record_for`, `record_allows`), files (`file_for`), blocks (`block_verdict`) and pages
(`page_verdict`), and items of records (`readable_items`, `field_rights`, `app_as_seen`,
`check_item_writes`: field permissions, contract §10). The HTML surface
(web/), the JSON API (api/) and the block runtime (blocks/) ask only here, never the core's
`can_see` (records/tests/test_access.py keeps it so). Each surface turns the one denial,
`records.errors.Denied`, into its answer in one helper (api.errors.deny,
web.responses.failed). The decisions are the
permission core's (site_model.acl); this module asks its questions in the contract's order
and fetches what they need. Imports: the site model, accounts, records; never the API or pages.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

from django.utils.translation import gettext_noop

from accounts.identity import who_for
from accounts.names import user_named
from site_model.acl import (
    Access,
    Decision,
    RecordFacts,
    Verdict,
    Who,
    access_for,
    can_see,
    refuse,
    unwritable_item,
)
from site_model.spec import AppSpec, BlockSpec, Page, Site
from site_model.texts import Message

from . import history, rls, selectors, uploads
from .errors import Denied, FieldLocked, RecordNotFound, UserNotFound
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
    if lock:
        # FOR UPDATE passes PostgreSQL's edit policy too (contract §12): the row is locked
        # as the server, and the core decides below, so that a reader who may not edit is
        # refused (403) rather than told the record is missing.
        with rls.trusted():
            record = selectors.record_get(app.id, record_id, lock=True)
    else:
        record = selectors.record_get(app.id, record_id)
    facts = None
    if record is not None:
        facts = selectors.facts_for(record, access, shares=False)
        if access.can(action, facts) is not Verdict.ALLOW:
            facts = selectors.facts_for(record, access)
    decision = decide_on_record(access, action, facts)
    if not decision:
        raise refused(app, action, decision.verdict, record_id)
    return Granted(record, facts)


def decide_on_record(access: Access, action: str, facts: RecordFacts | None) -> Decision:
    """`record_for`'s decision on a record (`facts`; None: there is none), with its rule.

    Without the app-level right only the record itself (a share) lets the visitor on; when
    neither does, the app-level refusal stands (401/403), whether the record exists or not."""
    in_app = access.decide(action)
    if facts is None:
        return in_app if not in_app else Decision(Verdict.HIDE, "no such record")
    on_record = access.decide(action, facts)
    if not in_app and not on_record:
        return in_app
    return on_record


# Contract §10's names of the rights an explanation answers, and the core's actions for them.
EXPLAINED = {
    "read": "view",
    "create": "create",
    "edit": "edit",
    "delete": "delete",
    "share": "share",
}


def explain(app: AppSpec, access: Access, record: Record | None = None) -> dict[str, Decision]:
    """The verdict the API gives the visitor of `access` on each right of contract §10 (on
    `record`, or on the app as a whole), with the rule that decided it: the same decisions
    `record_for` and `require` act on. Creating is an app-wide right, record or not."""
    facts = selectors.facts_for(record, access, explained=True) if record is not None else None
    return {
        name: (
            decide_on_record(access, action, facts)
            if facts is not None and action != "create"
            else access.decide(action)
        )
        for name, action in EXPLAINED.items()
    }


def record_allows(app: AppSpec, user, record: Record, action: str) -> bool:
    """May the visitor do `action` to `record`, a record already read (shares included)? For
    showing only the buttons that will work; a request that acts asks `record_for`."""
    access = access_to(app, user)
    return access.can(action, selectors.facts_for(record, access)) is Verdict.ALLOW


def file_for(app: AppSpec, access: Access, granted: Granted, item: str):
    """The upload (`models.Upload`) of FILE item `item` of a record the visitor may view
    (`granted`, from `record_for(..., "view")`), or None: the item is no FILE element of the
    app, holds no file, or holds one that was not uploaded to this record and item (a value
    copied from elsewhere). Callers answer None as a missing file, whatever the reason, an
    item the visitor may not read (field permissions) included."""
    if item in access.hidden_items or not any(
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


def sees_whole_history(access: Access) -> bool:
    """Does the visitor see the versions of a deleted record under an id made again (its
    editors and managers, who see deleted records), or only the living record's own?"""
    return access.can("delete_all") is Verdict.ALLOW


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


# Field permissions (contract §10). The rule is the core's (`Access.may_read_item`, ...); an
# app without `acl.fields` pays one empty-set test per read, nothing per record.


def readable_items(app: AppSpec, access: Access, items: dict) -> dict:
    """`items` without those the visitor of `access` may not read."""
    hidden = access.hidden_items
    if not hidden:
        return items
    return {name: value for name, value in items.items() if name not in hidden}


def field_rights(
    app: AppSpec, access: Access, on_record: tuple[bool, bool] | None = None
) -> dict[str, tuple[bool, bool]]:
    """(may read, may write) per item for the visitor of `access`: every item of the app
    (each input element's id), in name order. Read needs the app's read right (`view`), write
    its `edit` right, then the item's rule. `on_record`: (may view, may edit) one record
    instead (row owners and shares decide those), the item's rule applying the same."""
    items = sorted({e.id for block in app.blocks.values() for e in block.inputs})
    if on_record is None:
        on_record = (access.can("view") is Verdict.ALLOW, access.can("edit") is Verdict.ALLOW)
    reads, writes = on_record
    return {
        item: (
            reads and access.may_read_item(item),
            writes and access.may_write_item(item),
        )
        for item in items
    }


def app_as_seen(app: AppSpec, access: Access) -> AppSpec:
    """`app` as the visitor of `access` may know it: without the elements of the items they
    may not read. Queries, sorts, groups, metrics and the OpenAPI description read it, so an
    item they may not read answers exactly as an item no element declares (no probing by
    filter); `app` itself for a visitor who may read every item."""
    hidden = access.hidden_items
    return app if not hidden else _without_items(app, hidden)


@functools.lru_cache(maxsize=256)
def _without_items(app: AppSpec, hidden: frozenset[str]) -> AppSpec:
    # Keyed by the app's identity (AppSpec compares by identity): a new file version is a new
    # AppSpec, so an entry never outlives the definitions it was made from.
    blocks = {
        block_id: dataclasses.replace(
            block, elements=tuple(e for e in block.elements if e.id not in hidden)
        )
        for block_id, block in app.blocks.items()
    }
    return dataclasses.replace(app, blocks=blocks)


def check_item_writes(app: AppSpec, access: Access, items: dict, before: dict | None) -> None:
    """`FieldLocked` (403) naming the first item of `items` the visitor may not write
    (site_model.acl.unwritable_item); `before`: the stored items on an update, None on a
    create."""
    refused_item = unwritable_item(access, items, before)
    if refused_item is not None:
        raise FieldLocked(
            Message(
                gettext_noop("you may not write item '%(item)s' of app '%(app)s'"),
                item=refused_item,
                app=app.id,
            ),
            item=refused_item,
        )


# --- preview (contract §10) -------------------------------------------------------------------


def page_apps(site: Site, page: Page) -> list[AppSpec]:
    """The apps whose blocks are on `page`, in the page's order."""
    ids = dict.fromkeys(ref.app_id for ref in page.blocks if ref.app_id in site.apps)
    return [site.apps[app_id] for app_id in ids]


def may_preview(site: Site, page: Page, user_or_who) -> bool:
    """May the visitor preview `page` as somebody: a superuser, or a manager of every app whose
    blocks are on it (of one app at least)? For the "View as…" control; no query."""
    return bool(_previewer_decision(site, page, visitor(user_or_who)))


def _previewer_decision(site: Site, page: Page, who: Who) -> Decision:
    if who.is_superuser:
        return Decision(Verdict.ALLOW, "superuser")
    apps = page_apps(site, page)
    if not apps:
        return Decision(
            refuse(who),
            Message(gettext_noop("only a superuser may preview a page that holds no app's block")),
        )
    for app in apps:
        if not access_for(app.acl, who).has_right("manager"):
            return Decision(
                refuse(who),
                Message(
                    gettext_noop("previewing this page needs the manager right in app '%(app)s'"),
                    app=app.id,
                ),
            )
    return Decision(Verdict.ALLOW, "manager of every app of the page")


def preview_decision(site: Site, page: Page, previewer, previewed) -> Decision:
    """May `previewer` see `page` as `previewed` sees it? Only someone who may preview the
    page (`may_preview`), and only a user who holds no more than they do there: a superuser
    only by a superuser; nobody who holds a right in an app of the page that the previewer
    does not, or may open the page or see a block of it that the previewer may not (a preview
    never shows the previewer what they could not see themselves)."""
    who, seen = visitor(previewer), visitor(previewed)
    allowed = _previewer_decision(site, page, who)
    if not allowed:
        return allowed
    name = seen.username
    if seen.is_superuser and not who.is_superuser:
        return Decision(
            Verdict.FORBID, Message(gettext_noop("%(user)s is a superuser; you are not"), user=name)
        )
    for app in page_apps(site, page):
        verdict = preview_app_decision(app, who, seen)
        if not verdict:
            return verdict
    if page_verdict(page, seen) and not page_verdict(page, who):
        return Decision(
            Verdict.FORBID,
            Message(gettext_noop("%(user)s may open this page; you may not"), user=name),
        )
    for ref in page.blocks:
        block = site.block(ref.app_id, ref.block_id)
        if block is not None and block_verdict(block, seen) and not block_verdict(block, who):
            return Decision(
                Verdict.FORBID,
                Message(
                    gettext_noop("%(user)s may see block %(block)s; you may not"),
                    user=name,
                    block=block.key,
                ),
            )
    return allowed


def preview_app_decision(app: AppSpec, previewer, previewed) -> Decision:
    """May `previewer` see `app`'s records as `previewed` sees them? A superuser always; else
    a manager of the app (who reads every row) when `previewed` holds no more right there and
    reads no item the previewer may not. Asked for each app of a previewed page, and by block
    code that reads another app while previewing (blocks.context)."""
    who, seen = visitor(previewer), visitor(previewed)
    if who.is_superuser:
        return Decision(Verdict.ALLOW, "superuser")
    name = seen.username
    yours, theirs = access_for(app.acl, who), access_for(app.acl, seen)
    if not yours.has_right("manager"):
        return Decision(
            Verdict.FORBID,
            Message(
                gettext_noop("you may not preview app '%(app)s': you do not manage it"), app=app.id
            ),
        )
    if theirs.level > yours.level:
        return Decision(
            Verdict.FORBID,
            Message(
                gettext_noop("%(user)s holds %(right)s in app '%(app)s'; you do not"),
                user=name,
                right=theirs.rights[-1],
                app=app.id,
            ),
        )
    unseen = sorted(yours.hidden_items - theirs.hidden_items)
    if unseen:
        return Decision(
            Verdict.FORBID,
            Message(
                gettext_noop("%(user)s may read item '%(item)s' of app '%(app)s'; you may not"),
                user=name,
                item=unseen[0],
                app=app.id,
            ),
        )
    return Decision(Verdict.ALLOW, "manager of the app")


def user_called(username: str):
    """The user an explanation or a preview names; `UserNotFound` (404) for nobody."""
    # A NUL names nobody (and PostgreSQL refuses it in a query).
    user = user_named(username) if username and "\x00" not in username else None
    if user is None:
        raise UserNotFound(f"no user '{username}'")
    return user


def explanation(app: AppSpec, username: str, record_id: str | None = None) -> dict:
    """Contract §10's answer: may the user `username` read, create, edit, delete, share (in
    the app, or the record `record_id`), and why; and their rights on each item. A missing
    user or record raises (404)."""
    user = user_called(username)
    record = None
    if record_id is not None:
        selectors.check_record_id(record_id)
        record = selectors.record_get(app.id, record_id)
        if record is None:
            raise RecordNotFound(no_record(app, record_id))
    access = access_to(app, user)
    decisions = explain(app, access, record)
    on_record = None if record is None else (bool(decisions["read"]), bool(decisions["edit"]))
    return {
        "user": user.get_username(),
        "record": record_id,
        "rights": {
            name: {"allowed": bool(decision), "because": decision.because}
            for name, decision in decisions.items()
        },
        "fields": {
            item: {"read": read, "write": write}
            for item, (read, write) in field_rights(app, access, on_record).items()
        },
    }
