"""Blocks as forms: input elements parsed and checked, then saved through records.store.

`submit_record_form()` answers `_save` (and `_delete`) posted to a block's own route;
blocks/pages/record_views.py answers them at the record routes. Both read the post through the
block's `django.forms.Form` (`BlockSpec.form_class`, built from its elements' definitions): a bad
number or date re-renders the form with the message beside the field, and nothing is saved.
"""

from __future__ import annotations

from django.http import HttpResponseBadRequest

from accounts.redirects import safe_next
from blocks.pages.context import BlockContext
from blocks.pages.render import FormState, error_box, render_block
from blocks.site import code
from blocks.site.spec import BlockSpec
from records import access as gate
from records import store
from records.errors import RecordError

from .context import RecordHandle
from .responses import failed, go, respond_block


def read_form(block: BlockSpec, post) -> tuple[dict, dict, dict]:
    """(raw values to show again, cleaned items, first error by element id) of the block form's
    fields that `post` holds: a field the post does not send is left as the record has it."""
    form = block.form_class(post)
    form.is_valid()
    sent = [name for name in form.fields if name in post]
    values = {name: post.get(name, "") for name in sent}
    items = {name: form.cleaned_data[name] for name in sent if name in form.cleaned_data}
    errors = {name: form.errors[name][0] for name in sent if name in form.errors}
    return values, items, errors


def code_failed(request, block: BlockSpec, exc: code.BlockCodeError, debug: bool):
    return respond_block(request, block, error_box(block, [exc.problem], debug))


def submit_record_form(request, site, block: BlockSpec):
    """`_save` on a block's route creates a record from its input fields (contract §3)."""
    if "_save" not in request.POST:
        return HttpResponseBadRequest(
            "Nothing to delete here: a record is deleted from its edit page.",
            content_type="text/plain",
        )
    app = site.apps[block.app_id]
    try:
        gate.require(app, gate.access_to(app, request.user), "create")
    except RecordError as exc:
        return failed(request, exc)
    values, items, errors = read_form(block, request.POST)
    if errors:
        ctx = BlockContext(request=request, site=site, block=block)
        html = render_block(
            ctx, edit=True, form=FormState(values, errors), next_url=safe_next(request)
        )
        return respond_block(request, block, html)
    try:
        record = store.record_create(
            app=app, items=items, user=request.user, block=block, request=request
        )
        target = store.run_on_save(app=app, block=block, record=record, request=request)
    except code.BlockCodeError as exc:
        return code_failed(request, block, exc, app.debug)
    except RecordError as exc:  # e.g. no free record id left
        return failed(request, exc)
    handle = RecordHandle(app=app, record=record, request=request)
    return go(request, target or handle.html_url)
