"""The `blocks` app: wires the site model's checks and the page layer's block runner."""

from django.apps import AppConfig


class BlocksConfig(AppConfig):
    name = "blocks"

    def ready(self):
        from django.core import checks

        from blocks.pages.hooks import PageBlockRunner
        from blocks.site import checks as site_checks
        from records import hooks

        checks.register(site_checks.site_problems)
        hooks.register(PageBlockRunner())
