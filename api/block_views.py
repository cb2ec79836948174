"""The API's block routes (contract §4): `/api/v1/<app>/blocks/<block>[/<element>]`.

They run block code through the block runtime (`blocks.context`, `blocks.render`); the JSON
plumbing (`endpoint`, errors, authentication) is the record routes' (api.views).
"""

from __future__ import annotations

from django.http import JsonResponse

from accounts.identity import who_for
from blocks.context import BlockContext
from blocks.render import element_value, run
from records import access as gate
from records import store
from site_model import code
from site_model.acl import Verdict, can_see
from site_model.spec import BlockSpec

from .errors import BadRequest, MethodNotAllowed, NotFound
from .views import Call, call_for, endpoint, json_type, read_json


def visible_block(c: Call, block_id: str) -> BlockSpec:
    block = c.app.blocks.get(block_id)
    if block is None:
        raise NotFound(f"no block '{block_id}' in app '{c.app.id}'")
    verdict = can_see(block.view_permission, who_for(c.request.user))
    if verdict is not Verdict.ALLOW:
        raise gate.denial(verdict, f"see block '{block.key}'")  # a 401 or 403 (errors.deny)
    return block


def block_info(request, app_id, block_id):
    c = call_for(request, app_id)
    block = visible_block(c, block_id)
    return JsonResponse(
        {
            "id": block.id,
            "title": block.title,
            "elements": {
                element.id: element.definition.as_json(element) for element in block.elements
            },
        }
    )


def element_call(request, app_id, block_id, element_id):
    c = call_for(request, app_id)
    block = visible_block(c, block_id)
    element = block.element(element_id)
    if element is None:
        raise NotFound(f"no element '{element_id}' in block '{block.key}'")
    if element.is_action and request.method != "POST":
        raise MethodNotAllowed(request.method, ["POST"])
    if request.method == "POST" and request.content_type == "application/json":
        body = read_json(request, default={})
        if not isinstance(body, dict):
            raise BadRequest(
                f"the body must be a JSON object of parameters, found {json_type(body)}"
            )
    if block.is_broken:
        raise code.BlockCodeError(block.problems[0])
    ctx = BlockContext(request=request, site=c.site, block=block)
    hook = block.function("on_display")
    if hook is not None and not element.is_action:
        run(ctx, hook, "on_display")
    value = element_value(ctx, element)
    try:
        value = store.json_value(value, "value")
    except TypeError:
        value = str(value)
    return JsonResponse(value, safe=False)


block_view = endpoint(GET=block_info)
element_view = endpoint(GET=element_call, POST=element_call)
