"""How `records.store` runs block code without importing the block runtime above it.

Block code (formulas, `record_id`, `on_save`, `on_delete`) runs with a `context` that only the
block runtime (`blocks`) knows how to build. It registers a `BlockRunner` once, at start-up
(blocks.apps.BlocksConfig.ready); the store asks `runner()` for it. Imports point one way:
records never imports blocks.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured

from site_model.spec import AppSpec, BlockSpec


class BlockRunner(Protocol):
    def context(self, *, app: AppSpec, block: BlockSpec, request, record, items: dict) -> Any:
        """The `context` a block's function sees for `record` (None while it is being
        created) holding `items`."""

    def run(self, ctx, function, name: str) -> Any:
        """Call one function of the block's code; its errors become `BlockCodeError`."""


_runner: BlockRunner | None = None


def register(runner: BlockRunner) -> None:
    global _runner
    _runner = runner


def runner() -> BlockRunner:
    if _runner is None:
        raise ImproperlyConfigured(
            "no block runner is registered: 'blocks' must be in INSTALLED_APPS"
        )
    return _runner
