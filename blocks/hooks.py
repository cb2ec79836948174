"""The block runtime's side of records.hooks: block code run for the record store."""

from __future__ import annotations

from site_model import code
from site_model.loader import current_site

from .context import BlockContext, RecordHandle
from .render import run


class PageBlockRunner:
    def context(self, *, app, block, request, record, items: dict) -> BlockContext:
        if block.is_broken:
            raise code.BlockCodeError(block.problems[0])
        handle = RecordHandle(app=app, record=record, items=items, request=request)
        return BlockContext(
            request=request,
            site=current_site(),
            block=block,
            record=handle,
            params=None if request is not None else {},
            renders=False,
        )

    def run(self, ctx, function, name: str):
        return run(ctx, function, name)
