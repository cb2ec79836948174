import logging
from contextlib import contextmanager

from django.core.management.base import BaseCommand

from accounts.checks import (
    missing_provider_keys,
    missing_sign_in_environment,
    saml_problems,
    sign_up_reveals_addresses,
)
from records.access_report import risky_setups
from site_model.loader import current_site


@contextmanager
def quiet(logger_name: str):
    """`logger_name` says nothing while the block runs, and speaks again after it (the command
    may run inside a process that goes on: a test, a shell)."""
    logger = logging.getLogger(logger_name)
    was_disabled, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = was_disabled


class Command(BaseCommand):
    help = "Validate the site folder; print every problem as path:line: (check id) message, exit 1 if any."
    # The site's problems are this command's output; Django's own checks would print them twice.
    requires_system_checks = []

    def handle(self, *args, **options):
        # The loader logs the same problems for `make run`'s terminal; here they are the output.
        with quiet("site_model.loader"):
            saml_files, saml_environment = saml_problems()
            site = current_site()
            problems = [*site.problems, *saml_files]
        for problem in problems:
            self.stdout.write(problem.with_id())
        # Served as written, but likely not what was meant: warned, exit status kept.
        for problem in [*site.warnings, *risky_setups(site)]:
            self.stderr.write(f"warning: {problem.with_id()}")
        # Providers without keys are the environment's, not the folder's: warned, exit status kept.
        for warning in [
            *missing_provider_keys(),
            *missing_sign_in_environment(),
            *sign_up_reveals_addresses(),
            *saml_environment,
        ]:
            self.stderr.write(f"warning: {warning}")
        if problems:
            self.stderr.write(f"{len(problems)} problem(s) in the site folder.")
            raise SystemExit(1)
        self.stderr.write("The site folder has no problems.")
