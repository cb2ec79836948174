"""The `context` handed to block code: request, page, params, block, user, app, record, html().

Records as block code sees them are here too: `context.record` (a `RecordHandle`) and the
record methods of `context.app` (`RecordApi`). Block code is trusted (contract §5): these
methods reach every record of the app, unless the code asks for `readable()` or
`search(..., secure=True)`, which apply the visitor's rights. Writes go through
`records.store`, so stamps, formulas and hooks are the same as elsewhere.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass, field
from functools import cached_property

from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from accounts import stepup
from accounts.identity import identity_for, who_for
from records import access as gate
from records import aggregate as totals
from records import rls, selectors, store
from records.models import Record
from site_model import acl as acl_core
from site_model.acl import Verdict
from site_model.loader import current_site
from site_model.spec import AppSpec

from . import console
from .render import render_block

logger = logging.getLogger("blocks")


def api_path(app_id: str, record_id: str) -> str:
    """A record's path in the JSON API; here, below both surfaces, as block code hands it out
    (`context.record.api_url`) and the API answers with it (`Location`)."""
    return f"{reverse('api:app', kwargs={'app_id': app_id})}/record/{record_id}"


@dataclass(frozen=True)
class PageInfo:
    name: str
    path: str
    title: str


@dataclass(frozen=True)
class UserInfo:
    username: str
    email: str
    groups: list[str]
    roles: list[str]
    is_verified: bool
    # The values of settings.yaml's profile fields (`users.fields`), read with the user.
    profile: dict = field(default_factory=dict)


class AclContext:
    """`context.app.acl`: the visitor's rights and roles in this app, from the permission core."""

    def __init__(self, access: acl_core.Access):
        self._access = access

    def current_user(self) -> str | None:
        return self._access.who.username

    def current_user_groups(self) -> list[str]:
        return sorted(self._access.who.groups)

    def has_role(self, role: str) -> bool:
        return role in self._access.roles

    def has_access_right(self, right: str) -> bool:
        if right not in acl_core.RANK:
            raise ValueError(f"unknown right {right!r}; rights: {', '.join(acl_core.RIGHTS)}")
        return self._access.has_right(right)

    def roles(self) -> list[str]:
        return sorted(self._access.roles)


class AppContext:
    """`context.app`: one app of the site as block code sees it."""

    def __init__(self, site, app, request, logs: list | None, source: str = ""):
        self._site = site
        self._app = app
        self._request = request
        self._logs = logs  # (source, message) for the browser console; None: not shown there
        self._source = source
        # Ids given out by create_record() and not yet written: the next one gets a suffix.
        self._unsaved_ids: set[str] = set()
        self.id = app.id
        self.title = app.title

    @cached_property
    def access(self) -> acl_core.Access:
        return gate.access_to(self._app, getattr(self._request, "user", None))

    @cached_property
    def acl(self) -> AclContext:
        return AclContext(self.access)

    @property
    def url(self) -> str:
        return reverse("api:app", kwargs={"app_id": self.id})

    @property
    def blocks(self) -> list[str]:
        return sorted(self._app.blocks)

    @property
    def indexes(self) -> dict[str, str]:
        return dict(self._app.indexes)

    @property
    def debug(self) -> bool:
        return self._app.debug

    def log(self, message) -> None:
        text = str(message)
        logger.info("[%s] %s", self.id, text)
        if self._logs is not None:
            self._logs.append((self._source, text))

    def __getattr__(self, name):
        method = record_method(self, name)
        if method is None:
            raise AttributeError(f"context.app has no attribute '{name}'")
        return method


class BlockContext:
    """What one rendering (or one action, or one hook) of a block sees. Block code may add
    attributes of its own: what `on_display` puts here, the element functions see."""

    def __init__(self, *, request, site, block, page=None, record=None, params=None, renders=True):
        """`renders=False`: the code run renders nothing (an action, a hook), so its
        `context.app.log()` messages wait in the request's queue (blocks/console.py)."""
        self.request = request
        self.block = block
        self.page = PageInfo(page.name, page.path, page.title) if page is not None else None
        self.params = params if params is not None else params_of(request)
        self.record = record
        self.logs: list = []
        self._site = site
        self._console = None
        if site.apps[block.app_id].debug:
            self._console = self.logs if renders else console.queue(request)
        self.app = AppContext(
            site, site.apps[block.app_id], request, self._console, f"[{block.key}]"
        )

    @property
    def language(self) -> str:
        """The visitor's language code (`en`, `fr`, ...): one of settings.yaml `languages`
        on a page, `en` under the JSON API (contract §13)."""
        return translation.get_language() or self._site.settings.languages[0]

    @cached_property
    def user(self) -> UserInfo | None:
        user = getattr(self.request, "user", None)
        who = who_for(user)
        if not who.is_authenticated:
            return None
        return UserInfo(
            username=who.username,
            email=who.email,
            groups=sorted(who.groups),
            roles=sorted(self.app.access.roles),
            is_verified=who.is_verified,
            profile=dict(identity_for(user).profile),
        )

    @cached_property
    def user_fresh(self) -> bool:
        """Did the visitor sign in during this browser session? False when "remember me"
        restored the session from an earlier one, and for anonymous visitors (contract §11)."""
        return self.request is not None and stepup.is_fresh(self.request)

    def get_user(self, allow_remembered: bool = True) -> UserInfo | None:
        """`context.user`, as Anvil's `get_user`: None with `allow_remembered=False` unless
        the visitor signed in during this browser session."""
        if not allow_remembered and not self.user_fresh:
            return None
        return self.user

    def apps(self, app_id: str) -> AppContext:
        app = self._site.apps.get(app_id)
        if app is None:
            raise LookupError(f"no app '{app_id}'; apps: {', '.join(sorted(self._site.apps))}")
        previewer = getattr(self.request, "previewed_by", None)
        if previewer is not None:
            # A preview (web/preview.py) was allowed for the page's apps; another app read as
            # the previewed user must pass the same test, or it would show the previewer rows
            # and items they may not read.
            decision = gate.preview_app_decision(app, previewer, self.request.user)
            if not decision:
                raise PermissionError(decision.because)
        return AppContext(self._site, app, self.request, self._console, f"[{self.block.key}]")

    @staticmethod
    def html(markup) -> SafeString:
        """Markup that the layout emits as it is; everything else is escaped."""
        return mark_safe(str(markup))  # noqa: S308 - the one place markup is trusted: block code asks for it


def params_of(request, body: dict | None = None) -> dict:
    """Query string, form fields, and a JSON object body, as one dict (repeated keys: a list).
    `body`: the JSON body a surface has parsed already (the API's element call), never parsed
    twice; without it a page's JSON body is read here, leniently (not an object: ignored)."""
    params: dict = {}
    for source in (request.GET, request.POST):
        for key, values in source.lists():
            if key != "csrfmiddlewaretoken":
                params[key] = values[0] if len(values) == 1 else values
    if body is None and request.method != "GET" and request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            body = None
    if isinstance(body, dict):
        params.update(body)
    return params


# --- records, as block code sees them ---------------------------------------------------------


def absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


class RecordHandle:
    """One record, dict-like: `get`, `[]`, `in`, `items()`, plus `id`, `url`, `save()`...

    `record[name] = value` changes the copy in hand; `save()` writes it. A handle of a record
    being created (inside a formula or `record_id()`) has `id` None and cannot be saved yet.
    One from `create_record()` (`unsaved_id`) is written by its first successful save, under
    that id (or the next free suffix, should the id be taken by then).
    """

    def __init__(
        self,
        *,
        app: AppSpec,
        record: Record | None,
        items: dict | None = None,
        request=None,
        unsaved_id: str | None = None,
        on_written=None,
    ):
        self._app = app
        self._record = record
        self._items = items if items is not None else dict(record.items)
        self._request = request
        self._unsaved_id = unsaved_id
        self._on_written = on_written

    # dict-like
    def get(self, name, default=None):
        return self._items.get(name, default)

    def __getitem__(self, name):
        return self._items[name]

    def __setitem__(self, name, value):
        self._items[name] = value

    def __contains__(self, name) -> bool:
        return name in self._items

    def __iter__(self):
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def items(self):
        return self._items.items()

    def keys(self):
        return self._items.keys()

    def values(self):
        return self._items.values()

    def __repr__(self) -> str:
        return f"<record {self._app.id}/{self.id} {self._items!r}>"

    # identity
    @property
    def id(self) -> str | None:
        return self._record.record_id if self._record is not None else self._unsaved_id

    @property
    def block_id(self) -> str:
        return self._record.block_id if self._record is not None else ""

    @property
    def url(self) -> str | None:
        """The record's absolute API URL."""
        if self._record is None:
            return None
        return absolute(self._request, api_path(self._app.id, self.id))

    @property
    def html_url(self) -> str | None:
        """The record route, `/apps/<app>/records/<id>/`."""
        if self._record is None:
            return None
        return reverse("records:record", kwargs={"app_id": self._app.id, "record_id": self.id})

    @property
    def etag(self) -> str | None:
        return self._record.etag if self._record is not None else None

    def allows(self, action: str) -> bool:
        """May the visitor do `action` ("edit", "delete") to this record? The gate's answer,
        for showing only the buttons that will work."""
        if self._record is None:
            return False
        user = getattr(self._request, "user", None)
        return gate.record_allows(self._app, user, self._record, action)

    # writes
    def save(self, items: dict | None = None, block_id: str | None = None) -> RecordHandle:
        """Save the record: `items` merged into it (or the changes made with `record[...] = `).

        With `block_id`, or when the record was saved through a block, that block's
        COMPUTED_ON_SAVE formulas run and `block` is stamped with it.
        """
        if self._record is None and self._unsaved_id is None:
            raise RuntimeError("this record is being created and cannot be saved yet")
        changes = dict(self._items) if items is None else dict(items)
        changes = {
            name: store.json_value(value, f"item '{name}' holds a")
            for name, value in changes.items()
            if name != "id"
        }
        block = None
        wanted = block_id or self.block_id
        if wanted:
            block = self._app.blocks.get(wanted)
            if block is None and block_id:
                raise LookupError(
                    f"no block '{block_id}' in app '{self._app.id}'; blocks: {', '.join(sorted(self._app.blocks))}"
                )
        if self._record is None:
            return self._first_save(changes, block)
        # Block code is trusted: it may move a record to another block (clients may not).
        self._record = store.record_save(
            app=self._app,
            record=self._record,
            items=changes,
            block=block,
            request=self._request,
            keep_block=False,
        )
        self._items = dict(self._record.items)
        return self

    def _first_save(self, changes: dict, block) -> RecordHandle:
        """Write a record of create_record(): nothing is written until a save succeeds."""
        changes.pop("_author", None)  # the store stamps it
        self._record = store.record_create(
            app=self._app,
            items=changes,
            record_id=self._unsaved_id,
            user=getattr(self._request, "user", None),
            block=block,
            request=self._request,
            suffix=True,
        )
        if self._on_written is not None:
            self._on_written(self._unsaved_id)
        self._unsaved_id = None
        self._items = dict(self._record.items)
        return self

    def reindex(self) -> None:
        if self._record is not None:
            store.record_reindex(app=self._app, record=self._record)

    def display(self, edit: bool = False):
        """The record shown with its block (read mode, or edit mode), as HTML."""
        block = self._app.blocks.get(self.block_id)
        if block is None:
            return items_table(self._items)
        ctx = BlockContext(
            request=self._request,
            site=current_site(),
            block=block,
            record=self,
            params=None if self._request is not None else {},
        )
        action = self.html_url + ("edit/" if edit else "") if self._record is not None else None
        return render_block(ctx, edit=edit, action_url=action)


SERVER_ITEMS = ("_author", "block")


def items_table(items: dict):
    """A record with no block to show it: its items as a table (escaped), without the server's
    items (`_author`, `block`, any `_` name)."""
    shown = sorted(
        (name, value)
        for name, value in items.items()
        if name not in SERVER_ITEMS and not name.startswith("_")
    )
    return format_html(
        '<table class="record-items">{}</table>',
        format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", shown),
    )


class RecordApi:
    """The record methods of `context.app` (contract §2)."""

    def __init__(self, app_context):
        self._ctx = app_context
        self._app: AppSpec = app_context._app
        self._request = app_context._request

    def _handle(self, record: Record, access: acl_core.Access | None = None) -> RecordHandle:
        """A handle of `record`; with `access` (a secure read) without the items that visitor
        may not read, which a `save()` of the handle then keeps as stored."""
        if access is None or not access.hidden_items:
            return RecordHandle(app=self._app, record=record, request=self._request)
        items = gate.readable_items(self._app, access, record.items)
        return RecordHandle(app=self._app, record=record, items=dict(items), request=self._request)

    def create_record(self, id: str | None = None) -> RecordHandle:
        """A new record, written by its first successful `save()` (`_author` stamped); a taken
        id, or one given out already and not yet saved, gets `-1`, `-2`..."""
        unsaved = self._ctx._unsaved_ids
        if id is None:
            chosen = store.new_record_id()
        else:
            chosen, n = store.check_record_id(id), 0
            records = store.app_records(self._app.id)
            while chosen in unsaved or records.filter(record_id=chosen).exists():
                n += 1
                chosen = store.check_record_id(f"{id}-{n}")
        unsaved.add(chosen)
        user = getattr(self._request, "user", None)
        author = user.get_username() if user is not None and user.is_authenticated else None
        return RecordHandle(
            app=self._app,
            record=None,
            items={"_author": author} if author else {},
            request=self._request,
            unsaved_id=chosen,
            on_written=unsaved.discard,
        )

    def get_record(self, id: str) -> RecordHandle | None:
        if not selectors.is_valid_record_id(id):
            return None
        record = selectors.record_get(self._app.id, id)
        return self._handle(record) if record is not None else None

    def delete_record(self, id: str | None = None, record: RecordHandle | None = None) -> bool:
        """Delete by id or by handle (the block's `on_delete` runs first); False if absent."""
        if record is not None:
            id = record.id
        if id is None:
            raise TypeError("delete_record() needs an id or a record")
        if not selectors.is_valid_record_id(id):
            return False
        found = selectors.record_get(self._app.id, id)
        if found is None:
            return False
        store.record_delete(app=self._app, record=found, request=self._request)
        return True

    def records(self) -> list[RecordHandle]:
        return [self._handle(r) for r in selectors.records_page(self._app, limit=None).records]

    def search(
        self,
        query: str | None = None,
        sort_index: str | None = None,
        reverse: bool = False,
        secure: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[RecordHandle]:
        """Records matching `query`; `secure=True`: only those the visitor may read, without
        the items they may not read (a query or sort naming one: as an unknown index)."""
        access = None
        app = self._app
        if secure:
            access = self._ctx.access
            if access.can("view") is not Verdict.ALLOW:
                return []
            app = gate.app_as_seen(app, access)
        page = selectors.records_page(
            app,
            access=access,
            query=query,
            sort_index=sort_index,
            reverse=reverse,
            limit=limit,
            offset=offset,
        )
        return [self._handle(r, access) for r in page.records]

    def readable(self) -> list[RecordHandle]:
        """The records the current visitor may read (their rights and row-level security)."""
        return self.search(secure=True)

    def aggregate(
        self,
        query: str | None = None,
        group_by=(),
        metrics=None,
        secure: bool = False,
        sort: str | None = None,
        reverse: bool = False,
        limit: int = totals.DEFAULT_LIMIT,
    ) -> dict:
        """Totals computed by the database (contract §8), the dict `POST .../aggregate`
        answers; `secure=True`: over what the visitor may read only (a group or metric on an
        item they may not read: as an item no element declares)."""
        access = None
        app = self._app
        if secure:
            access = self._ctx.access
            if access.can("view") is not Verdict.ALLOW:
                access = totals.NOBODY
            else:
                app = gate.app_as_seen(app, access)
        return totals.aggregate(
            app,
            access=access,
            query=query,
            group_by=list(group_by) if not isinstance(group_by, str) else [group_by],
            metrics=metrics,
            sort=sort,
            reverse=reverse,
            limit=limit,
        )


PUBLIC_METHODS = frozenset(
    {"create_record", "get_record", "delete_record", "records", "search", "readable", "aggregate"}
)


def record_method(app_context, name: str):
    """`context.app.<name>` for the record methods; None for any other name."""
    if name not in PUBLIC_METHODS:
        return None
    method = getattr(RecordApi(app_context), name)

    @functools.wraps(method)
    def as_caller(*args, **kwargs):
        # The database's row-level security (contract §12) as the method's rules: a secure
        # read as the visitor, anything else as trusted code. Block code's own SQL stays the
        # request's visitor's.
        if kwargs.get("secure") or name == "readable":
            caller = rls.acting_as(app_context.access.who)
        else:
            caller = rls.trusted()
        with caller:
            return method(*args, **kwargs)

    return as_caller
