"""The `blocks` app: the block runtime; wires the site model's checks and the block runner of records.hooks."""

from django.apps import AppConfig


class BlocksConfig(AppConfig):
    name = "blocks"

    def ready(self):
        from django.core import checks

        from blocks.hooks import PageBlockRunner
        from records import hooks
        from site_model import checks as site_checks

        checks.register(site_checks.site_problems)
        hooks.register(PageBlockRunner())
