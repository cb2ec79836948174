"""Blocks as forms: input elements parsed and checked, then saved through records.store.

`submit_record_form()` answers `_save` (and `_delete`) posted to a block's own route;
web/record_views.py answers them at the record routes. Both read the post through the
block's `django.forms.Form` (`BlockSpec.form_class`, built from its elements' definitions): a bad
number or date re-renders the form with the message beside the field, and nothing is saved.
"""

from __future__ import annotations

import uuid

from django.core.files.storage import default_storage
from django.http import HttpResponseBadRequest
from django.utils.text import get_valid_filename

from accounts.redirects import safe_next
from blocks.context import BlockContext, RecordHandle
from blocks.render import FormState, error_box, render_block
from records import access as gate
from records import store
from records.errors import InvalidItems, RecordError
from site_model import code
from site_model.spec import BlockSpec

from .responses import failed, go, respond_block


def read_form(block: BlockSpec, post, files=None) -> tuple[dict, dict, dict]:
    """(raw values to show again, cleaned items, first error by element id) of the block form's
    fields that `post` holds: a field the post does not send is left as the record has it (a
    BOOLEAN's checkbox always sends, through the hidden input before it; a FILE sends when a
    file is chosen)."""
    files = files or {}
    form = block.form_class(post, files)
    form.is_valid()
    # A FILE is sent only when a file was chosen: an empty file input keeps the stored one.
    sent = [
        name
        for name, field in form.fields.items()
        if not field.widget.value_omitted_from_data(post, files, form.add_prefix(name))
    ]
    values = {name: post.get(name, "") for name in sent if name not in files}
    items = {name: form.cleaned_data[name] for name in sent if name in form.cleaned_data}
    errors = {name: form.errors[name][0] for name in sent if name in form.errors}
    return values, items, errors


def store_uploads(block: BlockSpec, items: dict) -> tuple[str, ...]:
    """Each uploaded file of `items` into Django's storage, replaced by the FILE item that names
    it; returns the storage paths written (records.validation accepts those alone)."""
    paths = []
    for element in block.inputs:
        upload = items.get(element.id)
        if not element.definition.is_upload or not hasattr(upload, "read"):
            continue
        name = get_valid_filename(upload.name) or "file"
        path = default_storage.save(f"{block.app_id}/{uuid.uuid4().hex}/{name}", upload)
        items[element.id] = {
            "name": name,
            "path": path,
            "size": upload.size,
            "content_type": upload.content_type or "application/octet-stream",
        }
        paths.append(path)
    return tuple(paths)


def drop_uploads(paths: tuple[str, ...]) -> None:
    """Files stored for a write that was refused: nothing refers to them."""
    for path in paths:
        default_storage.delete(path)


def sentence(problem: str) -> str:
    """A problem of records.validation as the form shows it: "Min: at least 1, found 0."."""
    return problem[0].upper() + problem[1:] + "."


def item_errors(exc: InvalidItems) -> dict[str, str]:
    """The store's refusal of items as the form shows it: each problem beside its field."""
    return {name: sentence(problem) for name, problem in exc.problems.items()}


def form_again(request, ctx, values: dict, errors: dict, **options) -> tuple[str, int]:
    """The block's form again with its problems (`options`: render_block's), and its status."""
    html = render_block(ctx, edit=True, form=FormState(values, errors), **options)
    # htmx swaps only a 2xx answer into the block: the form with its messages is one.
    return html, 200 if request.htmx else 400


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
    values, items, errors = read_form(block, request.POST, request.FILES)
    ctx = BlockContext(request=request, site=site, block=block)
    if errors:
        html, status = form_again(request, ctx, values, errors, next_url=safe_next(request))
        return respond_block(request, block, html, status=status)
    uploads = store_uploads(block, items)
    try:
        record = store.record_create(
            app=app, items=items, user=request.user, block=block, request=request, uploads=uploads
        )
    except InvalidItems as exc:
        drop_uploads(uploads)
        if not exc.problems:  # not about a field (an owner item a formula overfilled)
            return failed(request, exc)
        html, status = form_again(
            request, ctx, values, item_errors(exc), next_url=safe_next(request)
        )
        return respond_block(request, block, html, status=status)
    except code.BlockCodeError as exc:
        drop_uploads(uploads)
        return code_failed(request, block, exc, app.debug)
    except RecordError as exc:  # e.g. no free record id left
        drop_uploads(uploads)
        return failed(request, exc)
    try:
        target = store.run_on_save(app=app, block=block, record=record, request=request)
    except code.BlockCodeError as exc:
        return code_failed(request, block, exc, app.debug)
    handle = RecordHandle(app=app, record=record, request=request)
    return go(request, target or handle.html_url)
