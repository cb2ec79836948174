"""A block on screen: BlockSpec + BlockContext -> HTML.

Element values are computed by the block's functions, input elements become widgets (edit
mode) or values (read mode), and the layout (the block's `.html`, or the default layout) is
rendered inside the block's form. Any error of site code becomes the block's error box;
the rest of the page renders.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.forms.utils import flatatt
from django.middleware.csrf import get_token
from django.template import Context
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from blocks.site import code
from blocks.site.layout import template_line
from blocks.site.loader import site_dir
from blocks.site.spec import BlockSpec, Element, Problem

if TYPE_CHECKING:  # render takes a context; the context module renders records with this one
    from .context import BlockContext


@dataclass
class FormState:
    """What a form shows besides the record: submitted values and their errors."""

    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)


def block_url(block: BlockSpec) -> str:
    return reverse("blocks:block", kwargs={"app_id": block.app_id, "block_id": block.id})


def render_block(
    ctx: BlockContext,
    *,
    edit: bool = True,
    form: FormState | None = None,
    action_url: str | None = None,
    next_url: str | None = None,
) -> SafeString:
    """The block's HTML, or its error box when the block or its code is broken."""
    block = ctx.block
    if block.is_broken:
        return error_box(block, block.problems, ctx.app.debug)
    try:
        inner = render_inner(ctx, edit=edit, form=form or FormState())
    except code.BlockCodeError as exc:
        return error_box(block, [exc.problem], ctx.app.debug)
    return wrap(ctx, inner, action_url or block_url(block), next_url)


def render_inner(ctx: BlockContext, *, edit: bool, form: FormState) -> SafeString:
    block = ctx.block
    hook = block.function("on_display")
    if hook is not None:
        run(ctx, hook, "on_display")
    variables = {element.id: render_element(ctx, element, edit, form) for element in block.elements}
    variables["actions"] = builtin_actions(ctx, edit)
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
        return Problem(block.yaml_path, 1, f"cannot show an element's value: {reason}")
    html_path = block.yaml_path[: -len(".yaml")] + ".html"
    return Problem(html_path, template_line(exc), f"template error: {reason}")


def run(ctx: BlockContext, function, name: str):
    block = ctx.block
    return code.call(function, ctx, site_dir() / block.py_path, block.py_path, name)


def element_value(ctx: BlockContext, element: Element):
    """A BASIC element's value, or an input's default: what its function returns."""
    function = ctx.block.function(element.id)
    return run(ctx, function, element.id) if function is not None else None


def render_element(ctx: BlockContext, element: Element, edit: bool, form: FormState):
    if element.is_action:
        return format_html(
            '<button type="submit" class="action" name="{}" value="1">{}</button>',
            element.id,
            element.label,
        )
    if not element.is_input:
        return element_value(ctx, element)
    value = input_value(ctx, element, form)
    if not edit or element.is_computed:
        return format_html(
            '<span class="value" data-element="{}">{}</span>',
            element.id,
            element.display(value),
        )
    return widget(ctx.block, element, value, form.errors.get(element.id))


def input_value(ctx: BlockContext, element: Element, form: FormState):
    if element.id in form.values:
        return form.values[element.id]
    if ctx.record is not None:
        return ctx.record.get(element.id)
    return element_value(ctx, element)


def widget(block: BlockSpec, element: Element, value, error: str | None) -> SafeString:
    """The input of the block form's field for `element`, holding `value`, with its error.

    Written out here rather than by Django's widget templates so the markup stays what the
    site's layouts and scripts know (the value attribute always present, ids `f-<app>-<block>-
    <element>`); the field's widget gives the input type, its attributes and the shown value.
    """
    field_widget = block.form_class.base_fields[element.id].widget
    field_id = f"f-{block.app_id}-{block.id}-{element.id}"
    error_html = (
        format_html(
            '<span class="field-error" id="{}-error" role="alert">{}</span>', field_id, error
        )
        if error
        else ""
    )
    return format_html(
        '<span class="field{}"><label for="{}">{}</label>'
        '<input type="{}" name="{}" id="{}" value="{}"{}{}>{}</span>',
        " has-error" if error else "",
        field_id,
        element.label,
        field_widget.input_type,
        element.id,
        field_id,
        field_widget.format_value(value) or "",
        flatatt(field_widget.attrs),
        format_html(' aria-invalid="true" aria-describedby="{}-error"', field_id) if error else "",
        error_html,
    )


def builtin_actions(ctx: BlockContext, edit: bool) -> dict:
    record = ctx.record
    actions = {
        "save": SafeString(
            '<button type="submit" class="action save" name="_save" value="1">Save</button>'
        )
    }
    if record is not None:
        actions["edit"] = format_html(
            '<a class="action edit" href="{}edit/">Edit</a>', record.html_url
        )
        actions["delete"] = SafeString(
            '<button type="submit" class="action delete" name="_delete" value="1" '
            "formnovalidate>Delete</button>"
        )
    return actions


def default_layout(block: BlockSpec, variables: dict, edit: bool) -> SafeString:
    """Every element in declaration order, and a save button when the block has inputs."""
    has_record = "edit" in variables["actions"]
    parts = []
    for element in block.elements:
        value = variables[element.id]
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


def wrap(ctx: BlockContext, inner: SafeString, action_url: str, next_url: str | None) -> SafeString:
    block = ctx.block
    ajax = (
        format_html(' hx-post="{}" hx-target="this" hx-swap="outerHTML"', action_url)
        if block.is_ajax
        else ""
    )
    return format_html(
        '<form method="post" class="block" action="{}" data-app="{}" data-block="{}" id="block-{}-{}"{}>'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">{}{}{}{}</form>',
        action_url,
        block.app_id,
        block.id,
        block.app_id,
        block.id,
        ajax,
        get_token(ctx.request),
        format_html('<input type="hidden" name="next" value="{}">', next_url) if next_url else "",
        format_html('<h2 class="block-title">{}</h2>', block.title) if block.title else "",
        inner,
        console_script(ctx),
    )


def console_script(ctx: BlockContext) -> str:
    """In debug mode, `context.app.log()` messages reach the browser console."""
    if not (ctx.app.debug and ctx.logs):
        return ""
    prefix = f"[{ctx.block.key}]"
    lines = "".join(
        f"console.log({json_for_script(prefix)}, {json_for_script(m)});" for m in ctx.logs
    )
    return SafeString(f"<script>{lines}</script>")


def json_for_script(value) -> str:
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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
        "<strong>Block {}/{} could not be shown.</strong>{}</div>",
        app_id,
        block_id,
        app_id,
        block_id,
        details,
    )
