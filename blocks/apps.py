from django.apps import AppConfig


class BlocksConfig(AppConfig):
    name = "blocks"

    def ready(self):
        from django.core import checks

        from . import checks as site_checks

        checks.register(site_checks.site_problems)
