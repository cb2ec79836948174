"""The record routes (contract §3): `/apps/<app>/records/<id>/` and `.../edit/`.

The same gate as the JSON API decides (records/access.py); where the API answers 401 these
routes redirect to the login page with `?next=`, 403 and 404 stay (web.responses.deny).
Every refusal, and every error of the records services, goes through `refused()`, which writes
the refusals to the audit trail first.
"""

from __future__ import annotations

import json
from functools import partial

from django.contrib import messages
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseBadRequest, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts import audit
from accounts.redirects import safe_next
from blocks.context import BlockContext, RecordHandle, items_table
from blocks.render import block_url, element_value, render_block
from records import access as gate
from records import history, selectors, store
from records.errors import (
    Denied,
    FieldLocked,
    InvalidItems,
    OwnerItemLocked,
    RecordError,
    RecordNotFound,
    StaleRecord,
)
from records.history import written_via
from site_model import acl, code
from site_model.elements import localized
from site_model.loader import current_site

from . import stepup
from .around import holding_page
from .forms import (
    all_errors,
    code_failed,
    form_again,
    item_errors,
    locked_again,
    read_form,
    uploads_stored,
    write_refusal,
)
from .responses import failed, go, respond_block

STALE = gettext_lazy(
    "This record was changed since you opened it, so your changes were not saved. "
    "The form now shows the saved version: make your changes again."
)

STATUS = {acl.Verdict.LOGIN: 401, acl.Verdict.FORBID: 403, acl.Verdict.HIDE: 404}


def refusal_status(exc: RecordError) -> int | None:
    """The status the API answers for a refusal (401, 403, 404); None for any other error."""
    if isinstance(exc, Denied):
        return STATUS[exc.verdict]
    return {RecordNotFound: 404, OwnerItemLocked: 403, FieldLocked: 403}.get(type(exc))


def refused(request, app_id: str, record_id: str, exc: RecordError):
    """The one place a record route answers an error of the records layer: a refusal goes to
    the audit trail (status as the API would answer; a service's message after the path),
    then web.responses.failed answers."""
    status = refusal_status(exc)
    if status is not None:
        message = "" if isinstance(exc, Denied) else f": {exc.message}"
        audit.record(
            audit.Kind.ACCESS_REFUSED,
            request=request,
            target=f"{app_id}/{record_id}",
            status=status,
            detail=f"{request.method} {request.path}{message}",
        )
    return failed(request, exc)


def record_action(request, block) -> str:
    """What a request asks of the record, as a permission-core action."""
    if request.method != "POST":
        return "view"
    if "_delete" in request.POST:
        return "delete"
    if "_save" in request.POST or "_edit" in request.POST:
        return "edit"
    return "view"  # an ACTION of the block: block code decides what it does


@written_via("form")  # the versions of records written here (records.history)
def record_view(request, app_id: str, record_id: str, edit: bool = False):
    site = current_site()
    app = site.apps.get(app_id)
    if app is None:
        return refused(request, app_id, record_id, Denied(acl.Verdict.HIDE, f"no app '{app_id}'"))
    if not selectors.is_valid_record_id(record_id):
        return HttpResponseBadRequest(
            _("Invalid record id: a record id is %(rule)s.") % {"rule": selectors.RECORD_ID_RULE},
            content_type="text/plain",
        )
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    access = gate.access_to(app, request.user)
    action = "edit" if edit and request.method != "POST" else None
    action = action or record_action(request, None)
    try:
        granted = gate.record_for(app, access, record_id, action)
    except Denied as exc:
        return refused(request, app.id, record_id, exc)
    record, facts = granted.record, granted.facts
    block = app.blocks.get(record.block_id)
    if block is not None:
        verdict = gate.block_verdict(block, access.who)
        if verdict is not acl.Verdict.ALLOW:
            denied = gate.denial(verdict, f"see block '{block.key}'")
            return refused(request, app.id, record_id, denied)
        not_yet = stepup.before_block(request, block)
        if not_yet is not None:
            return not_yet
    # Block code is given the record as the visitor may read it (field permissions), as a
    # readable() handle: a save of it keeps what it does not hold.
    items = dict(gate.readable_items(app, access, record.items))
    handle = RecordHandle(app=app, record=record, items=items, request=request)
    page = RecordPage(request, site, app, block, handle)
    if block is None:
        if edit or request.method == "POST":
            raise Http404(f"record '{record_id}' was not saved through a block, so it has no form")
        return page.respond(items_table(gate.readable_items(app, access, record.items)))
    if request.method == "POST":
        fixed = access.fixed_owner_items(facts)
        return record_post(request, page, record, fixed)
    ctx = BlockContext(request=request, site=site, block=block, record=handle)
    html = render_block(ctx, edit=edit, action_url=request.path, show_title=False)
    return page.respond(html, editing=edit)


class RecordPage:
    """The chrome of a record route: a heading (the block's title element, else the record's
    id), a link back to the page holding the block, the confirmation of a delete."""

    def __init__(self, request, site, app, block, handle: RecordHandle):
        self.request, self.site, self.app, self.block, self.handle = (
            request,
            site,
            app,
            block,
            handle,
        )

    @property
    def heading(self) -> str:
        element = self.block.heading_element if self.block is not None else None
        if element is not None and not self.access.may_read_item(element.id):
            element = None  # field permissions: the heading shows no item it hides
        value = self.handle.get(element.id) if element is not None else None
        return element.display(value) if value not in (None, "") else self.handle.id

    @property
    def back(self) -> tuple[str, str]:
        """(url, title) of the page holding the block; the block alone when no page does."""
        if self.block is None:
            return "/", _("Home")
        page = holding_page(self.site, self.block, self.access.who)
        if page is not None:
            return page.path, page.title
        return block_url(self.block), self.block.title or self.block.key

    @property
    def access(self):
        return gate.access_to(self.app, self.request.user)

    def respond(self, html, *, editing=False, status=200, **extra):
        if self.request.htmx and not extra.get("confirm_delete"):
            return respond_block(self.request, self.block, html, status=status)
        back_url, back_title = self.back
        heading = self.heading
        return render(
            self.request,
            "record.html",
            {
                "heading": _("Edit: %(heading)s") % {"heading": heading} if editing else heading,
                "html": html,
                "back_url": back_url,
                "back_title": back_title,
                "action_url": self.request.path,
                "cancel_url": self.handle.html_url,
                "history_url": self.handle.html_url + "history/",
                "editing": editing,
                **extra,
            },
            status=status,
        )


def record_post(request, page: RecordPage, record, fixed=()):
    site, app, block, handle = page.site, page.app, page.block, page.handle
    post = request.POST
    if "_edit" in post:
        return go(request, handle.html_url + "edit/")
    try:
        if "_delete" in post:
            if "_confirm" not in post:
                return page.respond("", confirm_delete=True)
            heading = page.heading
            back_url, _title = page.back
            store.record_delete(app=app, record=record, request=request)
            messages.success(request, _("Deleted “%(heading)s”.") % {"heading": heading})
            return go(request, safe_next(request) or back_url)
        if "_save" in post:
            return record_save(request, page, record, fixed)
        element = next((e for e in block.actions if e.id in post), None)
        if element is None:
            names = ", ".join(e.id for e in block.actions) or "none"
            return HttpResponseBadRequest(
                _("The form names no action of block %(block)s; its actions: %(actions)s.")
                % {"block": block.key, "actions": names},
                content_type="text/plain",
            )
        ctx = BlockContext(request=request, site=site, block=block, record=handle, renders=False)
        target = element_value(ctx, element)
    except code.BlockCodeError as exc:
        return code_failed(request, block, exc, app.debug)
    except RecordError as exc:  # e.g. an owner item locked, or the record deleted meanwhile
        return refused(request, app.id, record.record_id, exc)
    return go(request, target if isinstance(target, str) and target else request.path)


def record_save(request, page: RecordPage, record, fixed):
    """`_save` on the edit page: the form's version (`_etag`) must still be the record's."""
    site, app, block, handle = page.site, page.app, page.block, page.handle
    values, items, errors = read_form(block, request.POST, request.FILES)
    ctx = BlockContext(request=request, site=site, block=block, record=handle)

    def refused(errors: dict):
        html, status = form_again(
            request, ctx, values, errors, action_url=request.path, show_title=False
        )
        return page.respond(html, editing=True, status=status)

    refusal = write_refusal(app, page.access, items, record.items, values, errors)
    if refusal is not None:
        again = locked_again(
            request, ctx, values, refusal, action_url=request.path, show_title=False
        )
        if again is None:
            raise refusal  # record_post answers it, through the audit trail
        html, status = again
        return page.respond(html, editing=True, status=status)
    if errors:
        return refused(all_errors(app, block, items, errors, request.user, current=record.items))
    try:
        with uploads_stored(block, items, request.user) as uploads:
            saved = store.record_save(
                app=app,
                record=record,
                items=items,
                block=block,
                request=request,
                fixed=fixed,
                if_match=request.POST.get("_etag") or None,
                uploads=uploads,
                reader=request.user,
            )
    except StaleRecord:
        fresh = selectors.record_get(app.id, record.record_id)
        if fresh is None:
            raise Http404(f"record '{record.record_id}' was deleted meanwhile") from None
        items = dict(gate.readable_items(app, page.access, fresh.items))
        handle = RecordHandle(app=app, record=fresh, items=items, request=request)
        fresh_ctx = BlockContext(request=request, site=site, block=block, record=handle)
        html = render_block(fresh_ctx, edit=True, action_url=request.path, show_title=False)
        return page.respond(html, editing=True, status=409, stale=STALE)
    except InvalidItems as exc:
        if not exc.problems:  # not about a field (an owner item a formula overfilled)
            raise
        return refused(item_errors(exc, block))
    target = store.run_on_save(app=app, block=block, record=saved, request=request)
    return go(request, target or handle.html_url)


# --- history (contract §9) ----------------------------------------------------------------


def shown_value(value) -> str:
    """A value in the side-by-side view: text as it is, anything else as JSON, absent as —."""
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


# How a version was written (records.history.VIA), as the history page says it.
VIA_SHOWN = {
    "api": pgettext_lazy("written via", "API"),
    "form": pgettext_lazy("written via", "form"),
    "import": pgettext_lazy("written via", "import"),
    "block": pgettext_lazy("written via", "block code"),
    "admin": pgettext_lazy("written via", "admin"),
    "restore": pgettext_lazy("written via", "restore"),
}


def moment_shown(at) -> str:
    """When a version was written: in the visitor's locale's format, ISO in English."""
    if localized():
        return formats.date_format(timezone.localtime(at), "SHORT_DATETIME_FORMAT")
    return at.isoformat()[:19]


@written_via("form")
def record_history(request, app_id: str, record_id: str):
    """`/apps/<app>/records/<id>/history/`: the record's versions, each change side by side
    (old | new), newest first, without the items the visitor may not read; a Restore button
    on each for who may edit the record (POST `version`, and `_etag` as the edit form sends)."""
    app = current_site().apps.get(app_id)
    if app is None or not selectors.is_valid_record_id(record_id):
        raise Http404(f"no record '{record_id}'")
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    access = gate.access_to(app, request.user)
    action = "edit" if request.method == "POST" else "view"
    try:
        granted = gate.record_for(app, access, record_id, action)
    except Denied as exc:
        return refused(request, app.id, record_id, exc)
    block = app.blocks.get(granted.record.block_id)
    if block is not None:
        verdict = gate.block_verdict(block, access.who)
        if verdict is not acl.Verdict.ALLOW:
            return refused(
                request, app.id, record_id, gate.denial(verdict, f"see block '{block.key}'")
            )
    handle = RecordHandle(app=app, record=granted.record, request=request)
    if request.method == "POST":
        return restore_posted(request, app, access, granted, handle)
    shown = partial(gate.readable_items, app, access)
    versions = [
        {
            **history.as_json(version, shown),
            "at_shown": moment_shown(version.at),
            "via_shown": VIA_SHOWN.get(version.via, version.via),
            "rows": [
                (name, shown_value(old), shown_value(new))
                for name, (old, new) in sorted(shown(history.changes_of(version)).items())
            ],
        }
        for version in history.versions_of(
            app.id, record_id, whole=gate.sees_whole_history(access), limit=HISTORY_PAGE
        )
    ]
    page = RecordPage(request, current_site(), app, block, handle)
    return render(
        request,
        "record_history.html",
        {
            "heading": _("History: %(record)s") % {"record": page.heading},
            "record_url": handle.html_url,
            "versions": versions,
            "current": granted.record.version,
            "etag": granted.record.etag,
            "may_restore": access.can("edit", granted.facts) is acl.Verdict.ALLOW,
        },
    )


HISTORY_PAGE = 200  # versions shown; the API pages through every one


def restore_posted(request, app, access, granted, handle):
    version = request.POST.get("version", "")
    if not version.isdigit():
        return HttpResponseBadRequest(
            _("version must be a positive integer"), content_type="text/plain"
        )
    try:
        store.record_restore(
            app=app,
            record=granted.record,
            version=int(version),
            if_match=request.POST.get("_etag") or None,
            fixed=access.fixed_owner_items(granted.facts),
            readable=partial(gate.readable_items, app, access),
            user=request.user,
            whole_history=gate.sees_whole_history(access),
        )
    except StaleRecord:
        messages.error(
            request, _("The record changed since you opened its history: nothing was restored.")
        )
        return go(request, handle.html_url + "history/")
    except RecordError as exc:
        return refused(request, app.id, granted.record.record_id, exc)
    messages.success(request, _("Restored version %(version)s.") % {"version": version})
    return go(request, handle.html_url)


NO_FILE = "no such file"


def record_file(request, app_id: str, record_id: str, element_id: str):
    """`GET /apps/<app>/records/<id>/files/<element>/`: a FILE item's upload, to those who may
    read the record (the same gate as the record page; 404 for anyone who may not). Only a
    file uploaded to this record and FILE element is served (records.access.file_for); any
    other value, an element that is no FILE, a file gone from storage all answer the same 404
    as a file that never was."""
    site = current_site()
    app = site.apps.get(app_id)
    if app is None or not selectors.is_valid_record_id(record_id):
        raise Http404(NO_FILE)
    access = gate.access_to(app, request.user)
    try:
        granted = gate.record_for(app, access, record_id, "view")
    except Denied as exc:
        return refused(request, app_id, record_id, exc)
    block = app.blocks.get(granted.record.block_id)
    if block is not None:
        verdict = gate.block_verdict(block, access.who)
        if verdict is not acl.Verdict.ALLOW:
            return refused(request, app_id, record_id, gate.denial(verdict, "see this file"))
        not_yet = stepup.before_block(request, block)
        if not_yet is not None:
            return not_yet
    upload = gate.file_for(app, access, granted, element_id)
    if upload is None:
        raise Http404(NO_FILE)
    try:
        handle = default_storage.open(upload.path, "rb")
    except (OSError, SuspiciousFileOperation):  # gone, or a row's path outside the storage
        raise Http404(NO_FILE) from None
    value = granted.record.items[element_id]
    # An attachment, never shown inline: an uploaded .html or .svg cannot run on this site.
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=str(value.get("name") or "file"),
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
