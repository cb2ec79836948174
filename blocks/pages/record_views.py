"""The record routes (contract §3): `/apps/<app>/records/<id>/` and `.../edit/`.

The same gate as the JSON API decides (records/access.py); where the API answers 401 these
routes redirect to the login page with `?next=`, 403 and 404 stay (blocks.pages.responses.deny).
Every refusal, and every error of the records services, goes through `refused()`, which writes
the refusals to the audit trail first.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.http import Http404, HttpResponseBadRequest, HttpResponseNotAllowed

from accounts import audit
from accounts.redirects import safe_next
from blocks.pages.context import BlockContext
from blocks.pages.render import FormState, block_url, element_value, render_block
from blocks.site import acl, code
from blocks.site.loader import current_site
from records import access as gate
from records import selectors, store
from records.errors import Denied, OwnerItemLocked, RecordError, RecordNotFound

from .context import RecordHandle, items_table
from .forms import code_failed, read_form
from .responses import failed, go, respond_block

STATUS = {acl.Verdict.LOGIN: 401, acl.Verdict.FORBID: 403, acl.Verdict.HIDE: 404}


def refusal_status(exc: RecordError) -> int | None:
    """The status the API answers for a refusal (401, 403, 404); None for any other error."""
    if isinstance(exc, Denied):
        return STATUS[exc.verdict]
    return {RecordNotFound: 404, OwnerItemLocked: 403}.get(type(exc))


def refused(request, app_id: str, record_id: str, exc: RecordError):
    """The one place a record route answers an error of the records layer: a refusal goes to
    the audit trail (status as the API would answer; a service's message after the path),
    then blocks.pages.responses.failed answers."""
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


def record_view(request, app_id: str, record_id: str, edit: bool = False):
    site = current_site()
    app = site.apps.get(app_id)
    if app is None:
        return refused(request, app_id, record_id, Denied(acl.Verdict.HIDE, f"no app '{app_id}'"))
    if not selectors.is_valid_record_id(record_id):
        return HttpResponseBadRequest(
            f"Invalid record id: a record id is {selectors.RECORD_ID_RULE}.",
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
        verdict = acl.can_see(block.view_permission, access.who)
        if verdict is not acl.Verdict.ALLOW:
            denied = gate.denial(verdict, f"see block '{block.key}'")
            return refused(request, app.id, record_id, denied)
    handle = RecordHandle(app=app, record=record, request=request)
    if block is None:
        if edit or request.method == "POST":
            raise Http404(f"record '{record_id}' was not saved through a block, so it has no form")
        title = SimpleNamespace(title=f"{app.title}: {record.record_id}", key=app.id)
        return respond_block(request, title, items_table(record.items))
    if request.method == "POST":
        fixed = access.fixed_owner_items(facts)
        return record_post(request, site, app, block, handle, record, fixed)
    ctx = BlockContext(request=request, site=site, block=block, record=handle)
    html = render_block(ctx, edit=edit, action_url=request.path)
    return respond_block(request, block, html)


def record_post(request, site, app, block, handle: RecordHandle, record, fixed=()):
    post = request.POST
    if "_edit" in post:
        return go(request, handle.html_url + "edit/")
    try:
        if "_delete" in post:
            store.record_delete(app=app, record=record, request=request)
            return go(request, safe_next(request) or block_url(block))
        if "_save" in post:
            values, items, errors = read_form(block, post)
            if errors:
                ctx = BlockContext(request=request, site=site, block=block, record=handle)
                html = render_block(
                    ctx, edit=True, form=FormState(values, errors), action_url=request.path
                )
                return respond_block(request, block, html)
            saved = store.record_save(
                app=app, record=record, items=items, block=block, request=request, fixed=fixed
            )
            target = store.run_on_save(app=app, block=block, record=saved, request=request)
            return go(request, target or handle.html_url)
        element = next((e for e in block.actions if e.id in post), None)
        if element is None:
            names = ", ".join(e.id for e in block.actions) or "none"
            return HttpResponseBadRequest(
                f"The form names no action of block {block.key}; its actions: {names}.",
                content_type="text/plain",
            )
        ctx = BlockContext(request=request, site=site, block=block, record=handle)
        target = element_value(ctx, element)
    except code.BlockCodeError as exc:
        return code_failed(request, block, exc, app.debug)
    except RecordError as exc:  # e.g. an owner item locked, or the record deleted meanwhile
        return refused(request, app.id, record.record_id, exc)
    return go(request, target if isinstance(target, str) and target else request.path)
