"""`python manage.py export_records <app> [--format F] [--query Q]`: the export, to stdout."""

import sys

from django.core.management.base import BaseCommand, CommandError

from records import exports
from records.errors import InvalidInput
from site_model.acl import access_for
from site_model.loader import current_site

from .import_records import SUPERUSER


class Command(BaseCommand):
    help = (
        "Write an app's records to standard output as GET /api/v1/<app>/export does, as the "
        "site's superuser (every record): CSV (default), JSON or XLSX."
    )

    def add_arguments(self, parser):
        parser.add_argument("app_id", help="the app's id: a folder under apps/ of the site")
        parser.add_argument("--format", default="csv", choices=tuple(exports.FORMATS))
        parser.add_argument("--query", default=None, help="a search query, as POST /search takes")

    def handle(self, *args, app_id, format, query, **options):  # noqa: A002 - the option's name
        site = current_site()
        app = site.apps.get(app_id)
        if app is None:
            known = ", ".join(sorted(site.apps)) or "none"
            raise CommandError(f"no app '{app_id}' in the site; apps: {known}")
        try:
            chunks = exports.export_chunks(app, access_for(app.acl, SUPERUSER), query, format)
        except InvalidInput as exc:
            raise CommandError(exc.message) from None
        binary = getattr(self.stdout._out, "buffer", None)
        if binary is None and format == "xlsx":
            raise CommandError("XLSX is binary: write it to a file (> records.xlsx)")
        for chunk in chunks:
            if binary is not None:
                binary.write(chunk)
            else:
                self.stdout.write(chunk.decode("utf-8"), ending="")
        if binary is not None:
            binary.flush()
        sys.stdout.flush()
