"""`python manage.py reporting_role <username> [--revoke]`: a PostgreSQL login for a BI tool that
reads `reporting.records` as that user (contract §12, records/reporting.py)."""

from django.core.management.base import BaseCommand, CommandError

from records import reporting
from records.errors import InvalidInput


class Command(BaseCommand):
    help = (
        "Create or refresh a PostgreSQL login role that reads the view reporting.records "
        "(app, id, items, created, modified) with exactly the records and items USERNAME may "
        "read; its connection URL is the last line printed. --revoke drops it."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="the site user the login reads as")
        parser.add_argument("--revoke", action="store_true", help="drop the user's login")

    def handle(self, *args, username, revoke, **options):
        try:
            if revoke:
                role = reporting.login_revoke(username)
                self.stdout.write(f"dropped the reporting login {role} of {username}")
                return
            login = reporting.login_grant(username)
        except InvalidInput as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"reporting login {login.role} reads {reporting.VIEW} as {username}; "
            "run it again after their groups or profile change. Connection URL:"
        )
        self.stdout.write(login.url)
