"""`python manage.py access_report [<app>]`: who may do what in each app (contract §10)."""

from django.core.management.base import BaseCommand, CommandError

from records.access_report import report_lines
from site_model.loader import current_site


class Command(BaseCommand):
    help = (
        "Print each app's rights, roles, row owners, field rules and its blocks' "
        "view_permission as principals, then the risky set-ups among them (as check_site warns)."
    )

    def add_arguments(self, parser):
        parser.add_argument("app_id", nargs="?", help="only this app")

    def handle(self, *args, app_id=None, **options):
        site = current_site()
        if app_id is not None and app_id not in site.apps:
            known = ", ".join(sorted(site.apps)) or "none"
            raise CommandError(f"no app '{app_id}' in the site; apps: {known}")
        for line in report_lines(site, [app_id] if app_id else sorted(site.apps)):
            self.stdout.write(line)
