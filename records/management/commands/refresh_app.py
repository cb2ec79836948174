"""`python manage.py refresh_app <app>`: re-declare an app's indexes and re-index its records."""

from django.core.management.base import BaseCommand, CommandError

from records import store
from site_model.loader import current_site

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Re-declare the indexes of an app (from its elements' index_type) and re-index every "
        "record of it, as POST /api/v1/<app>/refresh does. Progress goes to stderr."
    )

    def add_arguments(self, parser):
        parser.add_argument("app_id", help="the app's id: a folder under apps/ of the site")

    def handle(self, *args, app_id, **options):
        site = current_site()
        app = site.apps.get(app_id)
        if app is None:
            known = ", ".join(sorted(site.apps)) or "none"
            raise CommandError(f"no app '{app_id}' in the site; apps: {known}")
        verbose = options["verbosity"] > 0

        def progress(done: int, total: int) -> None:
            if not verbose:
                return
            filled = BAR_WIDTH * done // total if total else BAR_WIDTH
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            # \r redraws the bar in place on a terminal; in a log every step is its own line.
            end = "\r" if self.stderr.isatty() else "\n"
            self.stderr.write(f"[{bar}] {done}/{total} records", ending=end)

        indexes = store.app_reindex(app=app, progress=progress)
        if verbose and self.stderr.isatty():
            self.stderr.write("")
        self.stdout.write(f"refreshed app '{app_id}': indexes {', '.join(indexes)}")
