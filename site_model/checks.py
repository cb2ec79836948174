"""Site problems as Django system checks, one id per kind of problem (site_model.check_ids);
Warnings all the same: a broken site is still served. The site's own warnings (`site.W…`: a
site written as meant, with something worth knowing) are `check_site`'s alone, so that
`manage.py check --deploy` reports no issue on such a site (contract §7)."""

from django.core import checks

from .check_ids import CHECKS
from .loader import current_site


def site_problems(app_configs=None, **kwargs):
    site = current_site()
    return [
        checks.Warning(
            str(problem), hint=CHECKS[problem.check].hint, id=problem.check, obj="SITE_DIR"
        )
        for problem in site.problems
    ]
