"""Blocks as forms: input elements parsed and checked, then saved through records.store.

`submit_record_form()` answers `_save` (and `_delete`) posted to a block's own route;
blocks/pages/record_views.py answers them at the record routes. A bad number or date re-renders the form
with the message beside the field, and nothing is saved.
"""

from __future__ import annotations

import math
import re

from django.http import HttpResponseBadRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.redirects import safe_next
from blocks.pages.context import BlockContext
from blocks.pages.render import FormState, error_box, render_block
from blocks.site import code
from blocks.site.spec import BlockSpec, Element
from records import access as gate
from records import store
from records.errors import RecordError

from .context import RecordHandle
from .responses import failed, go, respond_block

INTEGER = re.compile(r"[+-]?\d{1,18}\Z")


class InvalidValue(ValueError):
    pass


def parse_number(text: str):
    text = text.strip()
    if not text:
        return None
    if INTEGER.match(text):
        return int(text)
    try:
        value = float(text)
    except ValueError:
        raise InvalidValue(f"Enter a number, not '{text}'.") from None
    if not math.isfinite(value):
        raise InvalidValue(f"Enter a finite number, not '{text}'.")
    return value


def parse_datetime_input(text: str):
    text = text.strip()
    if not text:
        return None
    try:
        value = parse_datetime(text)
    except ValueError:
        value = None
    if value is None:
        raise InvalidValue(f"Enter a date and time as YYYY-MM-DDTHH:MM, not '{text}'.")
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value.isoformat()


def parse_input(element: Element, raw: str):
    if element.type == "NUMBER":
        return parse_number(raw)
    if element.type == "DATETIME":
        return parse_datetime_input(raw)
    return raw


def read_form(block: BlockSpec, post) -> tuple[dict, dict, dict]:
    """(raw values to show again, parsed items, errors by element id) of the editable inputs."""
    values, items, errors = {}, {}, {}
    for element in block.inputs:
        if element.is_computed or element.id not in post:
            continue
        raw = post.get(element.id, "")
        values[element.id] = raw
        try:
            items[element.id] = parse_input(element, raw)
        except InvalidValue as exc:
            errors[element.id] = str(exc)
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
