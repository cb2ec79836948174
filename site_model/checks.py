"""Site problems as Django system checks (Warnings: a broken site is still served)."""

from django.core import checks

from .loader import current_site


def site_problems(app_configs=None, **kwargs):
    return [
        checks.Warning(str(problem), id="blocks.W001", obj="SITE_DIR")
        for problem in current_site().problems
    ]
