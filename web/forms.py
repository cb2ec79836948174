"""Blocks as forms: input elements parsed and checked, then saved through records.store.

`submit_record_form()` answers `_save` (and `_delete`) posted to a block's own route;
web/record_views.py answers them at the record routes. Both read the post through the
block's `django.forms.Form` (`BlockSpec.form_class`, built from its elements' definitions): a bad
number or date re-renders the form with the message beside the field, and nothing is saved.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from blocks.context import BlockContext, RecordHandle
from blocks.render import FormState, error_box, render_block
from records import access as gate
from records import store, uploads, validation
from records.errors import FieldLocked, InvalidItems, RecordError
from site_model import code
from site_model.elements import rule_sentence
from site_model.spec import BlockSpec
from site_model.texts import translated

from .around import page_of_refusal, refused_next, respond_refused
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


@contextmanager
def uploads_stored(block: BlockSpec, items: dict, user):
    """Each uploaded file of `items` into storage (records.uploads, within `user`'s cap),
    replaced by the FILE item that names it; yields the storage paths written (the store
    accepts those alone, and ties each to its record): write the record in the `with`, which
    holds `user`'s allowance until it commits. Over the cap: `InvalidItems`, nothing written.
    Any error out of the `with` (a refusal, block code failing, the database) removes them at
    once (records.uploads.uploads_stored)."""
    files = {
        element.id: items[element.id]
        for element in block.inputs
        if element.definition.is_upload and hasattr(items.get(element.id), "read")
    }
    if not files:
        yield ()
        return
    with uploads.uploads_stored(app_id=block.app_id, files=files, uploader=user) as stored:
        values, paths = stored
        items.update(values)
        yield paths


def sentence(block: BlockSpec, name: str, problem: str) -> str:
    """A problem of records.validation as the form shows it: "Seats must be at least 1."."""
    element = block.element(name)
    if element is None:
        said = translated(problem)
        return said[0].upper() + said[1:] + "."
    return rule_sentence(element, problem)


def item_errors(exc: InvalidItems, block: BlockSpec) -> dict[str, str]:
    """The store's refusal of items as the form shows it: each problem beside its field."""
    return {name: sentence(block, name, problem) for name, problem in exc.problems.items()}


def all_errors(app, block: BlockSpec, items: dict, errors: dict, reader, current=None) -> dict:
    """The form's own problems and, when it has some, the store's about the items it did take
    (a REFERENCE to no record, say): every problem shows at once, not one round after another.
    `reader`: the visitor, as the store is given it; `current`: the stored items, on an edit."""
    if not errors:
        return errors
    files = {element.id for element in block.inputs if element.definition.is_upload}
    taken = {name: value for name, value in items.items() if name not in {*errors, *files}}
    try:
        validation.check_items(
            app=app,
            items=taken,
            block=block,
            current=current,
            creating=current is None,
            reader=reader,
        )
    except InvalidItems as exc:
        return {**item_errors(exc, block), **errors}
    return errors


def form_again(request, ctx, values: dict, errors: dict, **options) -> tuple[str, int]:
    """The block's form again with its problems (`options`: render_block's), and its status."""
    html = render_block(ctx, edit=True, form=FormState(values, errors), **options)
    # htmx swaps only a 2xx answer into the block: the form with its messages is one.
    return html, 200 if request.htmx else 400


LOCKED = gettext_lazy("You may not change this item.")


def write_refusal(
    app, access, items: dict, before: dict | None, values: dict, errors: dict
) -> FieldLocked | None:
    """The gate's refusal of a form's items the visitor may not write (field permissions), or
    None; asked before the values' own problems, so a field they may not write answers the
    same whatever its value. The form never offers such an item (blocks/render.py): only a
    forged post sends one."""
    sent = {**{name: values.get(name, "") for name in errors}, **items}
    try:
        gate.check_item_writes(app, access, sent, before)
    except FieldLocked as exc:
        return exc
    return None


def locked_again(request, ctx, values: dict, refusal: FieldLocked, **options):
    """A refused write of an item the visitor may read: the form again, the refusal beside
    the item, 403 (htmx swaps only a 2xx into the block). One they may not read is not shown:
    None, and the caller answers the 403 page."""
    if refusal.item in ctx.app.access.hidden_items:
        return None
    html = render_block(ctx, edit=True, form=FormState(values, {refusal.item: LOCKED}), **options)
    return html, 200 if request.htmx else 403


def code_failed(request, block: BlockSpec, exc: code.BlockCodeError, debug: bool):
    return respond_block(request, block, error_box(block, [exc.problem], debug))


def submit_record_form(request, site, block: BlockSpec):
    """`_save` on a block's route creates a record from its input fields (contract §3)."""
    if "_save" not in request.POST:
        return HttpResponseBadRequest(
            _("Nothing to delete here: a record is deleted from its edit page."),
            content_type="text/plain",
        )
    app = site.apps[block.app_id]
    try:
        gate.require(app, gate.access_to(app, request.user), "create")
    except RecordError as exc:
        return failed(request, exc)
    values, items, errors = read_form(block, request.POST, request.FILES)
    ctx = BlockContext(request=request, site=site, block=block)

    def refused(errors: dict):
        """The form again, on the page it was posted from (the block alone under htmx)."""
        page = page_of_refusal(request, site, block)
        html, status = form_again(
            request,
            ctx,
            values,
            errors,
            next_url=refused_next(request, page),
            show_title=request.htmx or page is not None,  # else the page's heading is its title
        )
        return respond_refused(request, site, block, page, html, status)

    refusal = write_refusal(app, ctx.app.access, items, None, values, errors)
    if refusal is not None:
        page = page_of_refusal(request, site, block)
        again = locked_again(
            request,
            ctx,
            values,
            refusal,
            next_url=refused_next(request, page),
            show_title=request.htmx or page is not None,
        )
        if again is None:
            return failed(request, refusal)
        return respond_refused(request, site, block, page, *again)
    if errors:
        return refused(all_errors(app, block, items, errors, request.user))
    try:
        with uploads_stored(block, items, request.user) as stored:
            record = store.record_create(
                app=app,
                items=items,
                user=request.user,
                block=block,
                request=request,
                uploads=stored,
                reader=request.user,
            )
    except InvalidItems as exc:
        if not exc.problems:  # not about a field (an owner item a formula overfilled)
            return failed(request, exc)
        return refused(item_errors(exc, block))
    except code.BlockCodeError as exc:
        return code_failed(request, block, exc, app.debug)
    except RecordError as exc:  # e.g. no free record id left
        return failed(request, exc)
    try:
        target = store.run_on_save(app=app, block=block, record=record, request=request)
    except code.BlockCodeError as exc:
        return code_failed(request, block, exc, app.debug)
    handle = RecordHandle(app=app, record=record, request=request)
    return go(request, target or handle.html_url)
