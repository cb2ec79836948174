"""A block on screen: BlockSpec + BlockContext -> HTML.

Element values are computed by the block's functions, input elements become widgets (edit
mode) or values (read mode), and the layout (the block's `.html`, or the default layout) is
rendered inside the block's form. Any error of site code becomes the block's error box;
the rest of the page renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.middleware.csrf import get_token
from django.template import Context
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from records import access as gate
from records.errors import RecordError
from records.history import written_via
from site_model import code
from site_model.check_ids import CODE_ERROR
from site_model.layout import template_line
from site_model.loader import site_dir
from site_model.spec import BlockSpec, Element, Problem

from . import charts, console

if TYPE_CHECKING:  # render takes a context; the context module renders records with this one
    from .context import BlockContext


@dataclass
class FormState:
    """What a form shows besides the record: submitted values and their errors."""

    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)


def is_preview(request) -> bool:
    """Is `request` a preview (web/preview.py): a page shown as another user sees it, with
    `request.user` that user and `request.previewed_by` the one looking?"""
    return getattr(request, "previewed_by", None) is not None


def block_url(block: BlockSpec) -> str:
    return reverse("blocks:block", kwargs={"app_id": block.app_id, "block_id": block.id})


def render_block(
    ctx: BlockContext,
    *,
    edit: bool = True,
    form: FormState | None = None,
    action_url: str | None = None,
    next_url: str | None = None,
    show_title: bool = True,
) -> SafeString:
    """The block's HTML, or its error box when the block or its code is broken. A record page
    heads the block with the record's own heading (`show_title=False`), not the form's title."""
    block = ctx.block
    if block.is_broken:
        return error_box(block, block.problems, ctx.app.debug)
    try:
        inner = render_inner(ctx, edit=edit, form=form or FormState())
    except code.BlockCodeError as exc:
        return error_box(block, [exc.problem], ctx.app.debug)
    return wrap(
        ctx, inner, action_url or block_url(block), next_url, edit=edit, show_title=show_title
    )


def render_inner(ctx: BlockContext, *, edit: bool, form: FormState) -> SafeString:
    block = ctx.block
    hook = block.function("on_display")
    if hook is not None:
        run(ctx, hook, "on_display")
    variables = {element.id: render_element(ctx, element, edit, form) for element in block.elements}
    variables["actions"] = builtin_actions(ctx, edit)
    variables["_has_record"] = ctx.record is not None and ctx.record.id is not None
    try:
        if block.layout is None:
            return default_layout(block, variables, edit)
        return SafeString(block.layout.render(Context(variables, autoescape=True)))
    except code.BlockCodeError:
        raise
    except Exception as exc:  # noqa: BLE001 - a value or template that fails is the site builder's
        raise code.BlockCodeError(layout_problem(block, exc)) from exc


def layout_problem(block: BlockSpec, exc: Exception) -> Problem:
    reason = f"{type(exc).__name__}: {exc}"
    if block.layout is None:
        return Problem(block.yaml_path, 1, f"cannot show an element's value: {reason}", CODE_ERROR)
    html_path = block.yaml_path[: -len(".yaml")] + ".html"
    return Problem(html_path, template_line(exc), f"template error: {reason}", CODE_ERROR)


def run(ctx: BlockContext, function, name: str):
    block = ctx.block
    with written_via("block"):  # what block code writes is kept as its (records.history)
        return code.call(function, ctx, site_dir() / block.py_path, block.py_path, name)


def element_value(ctx: BlockContext, element: Element):
    """A BASIC element's value, or an input's default: what its function returns; a CHART's
    labels and series (blocks/charts.py)."""
    function = ctx.block.function(element.id)
    if element.definition.is_chart:
        if function is None:
            return charts.declared_data(ctx, element)
        return charts.checked_data(ctx.block, element, run(ctx, function, element.id))
    return run(ctx, function, element.id) if function is not None else None


def render_element(ctx: BlockContext, element: Element, edit: bool, form: FormState):
    if element.is_action:
        return format_html(
            '<button type="submit" class="action" name="{}" value="1">{}</button>',
            element.id,
            element.label,
        )
    if element.definition.is_chart:
        app = ctx._site.apps.get(ctx.block.app_id)
        blocks = [ctx.block, *(app.blocks.values() if app is not None else ())]
        return charts.chart_html(element, element_value(ctx, element), blocks)
    if not element.is_input:
        return element_value(ctx, element)
    access = ctx.app.access
    if element.id in access.hidden_items:
        return ""  # field permissions: neither its value nor its field
    locked = element.id in access.unwritable_items
    # A locked item shows what is stored, never what a (forged) post sent.
    value = input_value(ctx, element, FormState() if locked else form)
    if not edit or element.is_computed or locked:
        shown = format_html(
            '<span class="value" data-element="{}">{}</span>',
            element.id,
            shown_value(ctx, element, value),
        )
        error = form.errors.get(element.id) if edit else None
        if locked and edit:
            # In the form, read-only: labelled like a field, and a refused write beside it.
            return SafeString(
                render_to_string(
                    "elements/locked.html",
                    {
                        "label": element.label,
                        "shown": shown,
                        "error": error,
                        "field_id": f"f-{ctx.block.app_id}-{ctx.block.id}-{element.id}",
                    },
                ).rstrip("\n")
            )
        return shown
    return widget(ctx.block, element, value, form.errors.get(element.id), ctx.record)


def shown_value(ctx: BlockContext, element: Element, value):
    """An input's value in read mode, as its type shows it (`shown_html`)."""
    return element.definition.shown_html(element, value, ReadPlace(ctx))


class ReadPlace:
    """Where a value is shown in read mode, for its type's `shown_html`."""

    def __init__(self, ctx: BlockContext):
        self.ctx = ctx
        self.app_id = ctx.block.app_id

    def file_url(self, element: Element) -> str | None:
        return record_file_url(self.ctx.record, element)

    def readable_record_url(self, app_id: str, record_id: str) -> str | None:
        """The page of a record, None when the visitor may not read it (or it is gone)."""
        target = self.ctx._site.apps.get(app_id)
        if target is None:
            return None
        user = getattr(self.ctx.request, "user", None)
        try:
            gate.record_for(target, gate.access_to(target, user), record_id, "view")
        except RecordError:
            return None
        return reverse("records:record", kwargs={"app_id": target.id, "record_id": record_id})


def file_url(record_url: str, element: Element) -> str:
    return f"{record_url}files/{element.id}/"


def input_value(ctx: BlockContext, element: Element, form: FormState):
    if element.id in form.values:
        return form.values[element.id]
    if ctx.record is not None:
        return ctx.record.get(element.id)
    if element.is_computed:
        return None  # a formula runs when a record is saved, never to show an empty form
    return element_value(ctx, element)


def widget(block: BlockSpec, element: Element, value, error: str | None, record=None) -> SafeString:
    """The input of the block form's field for `element`, holding `value`, with its error: its
    type's `widget_template` (templates/elements/, overridable in SITE_DIR/templates/elements/),
    from the field's widget (input type, attributes, shown value) and its type's
    `widget_context`. The markup is what the site's layouts and scripts know (the value
    attribute always present, ids `f-<app>-<block>-<element>`)."""
    field = block.form_class.base_fields[element.id]
    definition = element.definition
    context = {
        "name": element.id,
        "field_id": f"f-{block.app_id}-{block.id}-{element.id}",
        "label": element.label,
        "error": error,
        "required": element.required,
        "attrs": field.widget.attrs,
        **definition.widget_context(element, field, value, WidgetPlace(record)),
    }
    context["attrs"] = in_flatatt_order(context["attrs"])
    return SafeString(render_to_string(definition.widget_template, context).rstrip("\n"))


def in_flatatt_order(attrs: dict) -> dict:
    """Attributes in the order `flatatt` writes them (sorted, the bare ones last)."""
    valued = sorted((k, v) for k, v in attrs.items() if not isinstance(v, bool))
    bare = sorted((k, True) for k, v in attrs.items() if v is True)
    return dict(valued + bare)


@dataclass(frozen=True)
class WidgetPlace:
    """Where a widget is shown, for its type's `widget_context`: the record being edited."""

    record: object | None

    def file_url(self, element: Element) -> str | None:
        return record_file_url(self.record, element)


def record_file_url(record, element: Element) -> str | None:
    """The record's file route of `element`, None outside a saved record."""
    if record is None or not record.html_url:
        return None
    return file_url(record.html_url, element)


def builtin_actions(ctx: BlockContext, edit: bool) -> dict:
    record = ctx.record
    actions = {
        "save": format_html(
            '<button type="submit" class="action save" name="_save" value="1">{}</button>',
            _("Save"),
        )
    }
    if record is not None and record.id is not None:
        # Only the buttons that will work: bob sees no Edit on alice's event.
        if record.allows("edit"):
            actions["edit"] = format_html(
                '<a class="action edit" href="{}edit/">{}</a>', record.html_url, _("Edit")
            )
        if record.allows("delete"):
            actions["delete"] = format_html(
                '<button type="submit" class="action delete" name="_delete" value="1" '
                "formnovalidate>{}</button>",
                _("Delete"),
            )
    return actions


def ctx_has_record(variables: dict) -> bool:
    return bool(variables.get("_has_record"))


def default_layout(block: BlockSpec, variables: dict, edit: bool) -> SafeString:
    """Every element in declaration order, and a save button when the block has inputs."""
    has_record = ctx_has_record(variables)
    parts = []
    for element in block.elements:
        value = variables[element.id]
        if element.is_input and value == "":
            continue  # an item the visitor may not read (field permissions)
        if element.is_action:
            parts.append(value)
        elif not element.is_input:
            parts.append(
                format_html('<div class="element" data-element="{}">{}</div>', element.id, value)
            )
        elif edit and not element.is_computed:
            parts.append(format_html('<div class="element">{}</div>', value))
        elif edit and not has_record:
            continue  # a computed field has no value before the record is saved
        else:
            parts.append(
                format_html(
                    '<div class="element"><span class="label">{}</span> {}</div>',
                    element.label,
                    value,
                )
            )
    if block.inputs and edit:
        parts.append(variables["actions"]["save"])
        if "delete" in variables["actions"]:
            parts.append(variables["actions"]["delete"])
    elif block.inputs and "edit" in variables["actions"]:
        parts.append(variables["actions"]["edit"])
    return format_html_join("\n", "{}", ((part,) for part in parts))


def wrap(
    ctx: BlockContext,
    inner: SafeString,
    action_url: str,
    next_url: str | None,
    *,
    edit=False,
    show_title=True,
) -> SafeString:
    """The block's form around its HTML. Editing a record, it carries the version the form was
    read at (`_etag`): a save from a stale form is refused instead of overwriting."""
    block = ctx.block
    record = ctx.record
    hidden = ""
    if edit and record is not None and record.id is not None:
        hidden = format_html('<input type="hidden" name="_etag" value="{}">', record.etag)
    enctype = SafeString(' enctype="multipart/form-data"') if block.has_files else ""
    ajax = (
        format_html(' hx-post="{}" hx-target="this" hx-swap="outerHTML"', action_url)
        if block.is_ajax
        else ""
    )
    if is_preview(ctx.request):
        # Nothing writes in a preview: every control disabled, and the form would post to
        # the preview's own path, which refuses every POST (contract §10).
        inner = format_html('<fieldset class="preview-disabled" disabled>{}</fieldset>', inner)
        action_url, ajax = ctx.request.path, ""
    return format_html(
        '<form method="post" class="block" action="{}" data-app="{}" data-block="{}" id="block-{}-{}"{}{}>'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">{}{}{}{}{}</form>',
        action_url,
        block.app_id,
        block.id,
        block.app_id,
        block.id,
        ajax,
        enctype,
        get_token(ctx.request),
        format_html('<input type="hidden" name="next" value="{}">', next_url) if next_url else "",
        hidden,
        format_html('<h2 class="block-title">{}</h2>', block.title)
        if block.title and show_title
        else "",
        inner,
        console_script(ctx),
    )


def console_script(ctx: BlockContext) -> str:
    """On debug apps, `context.app.log()` messages reach the browser console: this rendering's,
    and those still waiting from block code that rendered nothing (blocks/console.py)."""
    return console.script([*ctx.logs, *console.drain(ctx.request)])


def shows_problems(app_debug: bool = False) -> bool:
    """Are `path:line` details shown to every visitor? With the app's `debug: true`, and
    whenever the server runs in development (DEBUG, as under `make run`): the builder sees them
    where they look. In production, without the app's flag, visitors see the box alone."""
    return bool(app_debug or settings.DEBUG)


def error_box(block: BlockSpec, problems, debug: bool) -> SafeString:
    return broken_box(block.app_id, block.id, problems if shows_problems(debug) else ())


def missing_block_box(app_id: str, block_id: str, problems=()) -> SafeString:
    """The box of a page's block that does not exist; `problems` (the page's line naming it)
    in development."""
    return broken_box(app_id, block_id, problems if shows_problems() else ())


def broken_box(app_id: str, block_id: str, problems) -> SafeString:
    """The box a block that cannot be shown leaves in its place, with `problems` if given."""
    details = ""
    if problems:
        details = format_html(
            '<ul class="problems">{}</ul>',
            format_html_join("", "<li><code>{}</code></li>", ((str(p),) for p in problems)),
        )
    return format_html(
        '<div class="block block-error" data-app="{}" data-block="{}" role="alert">'
        "<strong>{}</strong>{}</div>",
        app_id,
        block_id,
        _("Block %(block)s could not be shown.") % {"block": f"{app_id}/{block_id}"},
        details,
    )
