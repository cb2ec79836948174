"""The API's block routes (contract §4): `/api/v1/<app>/blocks/<block>[/<element>]`.

They run block code through the block runtime (`blocks.context`, `blocks.render`); the JSON
plumbing (the endpoint base, authentication, errors, parsing) is the record routes' (api).
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts import stepup
from blocks.context import BlockContext, params_of
from blocks.render import block_url, element_value, run
from records import access as gate
from records import store
from site_model import code
from site_model.acl import Verdict
from site_model.spec import BlockSpec

from .endpoints import AppEndpoint
from .errors import StepUpRequired, not_allowed
from .framework import RawJSON
from .serializers import ParametersBody


class BlockEndpoint(AppEndpoint):
    """A block of the app, if the caller may see it (its `view_permission`): 401 or 403
    otherwise, through the exception handler, which audits them."""

    def visible_block(self, block_id: str) -> BlockSpec:
        """The block as the caller may know it: without the input elements of items they may
        not read (field permissions), which answer as elements it does not have."""
        block = gate.app_as_seen(self.app, self.access).blocks.get(block_id)
        if block is None:
            raise NotFound(f"no block '{block_id}' in app '{self.app.id}'")
        verdict = gate.block_verdict(block, self.request.user)
        if verdict is not Verdict.ALLOW:
            raise gate.denial(verdict, f"see block '{block.key}'")
        return block


class BlockView(BlockEndpoint):
    def get(self, request, app_id, block_id):
        block = self.visible_block(block_id)
        return Response(
            {
                "id": block.id,
                "title": block.title,
                "elements": {
                    element.id: element.definition.as_json(element) for element in block.elements
                },
            }
        )


class ElementView(BlockEndpoint):
    def get(self, request, app_id, block_id, element_id):
        block = self.visible_block(block_id)
        element = block.element(element_id)
        if element is None:
            raise NotFound(f"no element '{element_id}' in block '{block.key}'")
        if element.is_action and request.method != "POST":
            raise not_allowed(request.method, ["POST"])
        stepped_up(request._request, block, element)
        body = None
        if request.method == "POST" and request.content_type == "application/json":
            body = ParametersBody(self.body(default={}))
            body.is_valid(raise_exception=True)
            body = body.validated_data
        if block.is_broken:
            raise code.BlockCodeError(block.problems[0])
        ctx = BlockContext(
            request=request._request,
            site=self.site,
            block=block,
            params=params_of(request._request, body),  # the body parsed once, above
        )
        hook = block.function("on_display")
        if hook is not None and not element.is_action:
            run(ctx, hook, "on_display")
        value = element_value(ctx, element)
        try:
            value = store.json_value(value, "value")
        except TypeError:
            value = str(value)
        # `null` too is an answer (a Response of None is an empty body)
        return Response(RawJSON(json.dumps(value, cls=DjangoJSONEncoder)))

    post = get


def stepped_up(request, block: BlockSpec, element) -> None:
    """The block's `fresh_login` and `second_factor` (and an ACTION's), or the refusal: 401
    naming where a session goes first, 403 to a Basic or Bearer caller (contract §11)."""
    needed = stepup.need_for(request, block, action=element if element.is_action else None)
    if not needed:
        return
    what = f"call element '{element.id}' of block '{block.key}'"
    if needed is stepup.Need.LOGIN:
        raise gate.denial(Verdict.LOGIN, what)
    if needed is stepup.Need.REFUSED:
        raise gate.denial(
            Verdict.FORBID,
            f"{what} with a token or HTTP Basic: it asks for a recent sign-in or second factor, "
            "which only a browser session can give",
        )
    url = stepup.url_for(needed, block_url(block))
    if needed is stepup.Need.SIGN_IN_AGAIN:
        raise StepUpRequired("fresh sign-in required", {"login": url})
    raise StepUpRequired("second factor required", {"step_up": url})


block_view = BlockView.as_view()
element_view = ElementView.as_view()
