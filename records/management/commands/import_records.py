"""`python manage.py import_records <app> FILE [--block B] [--dry-run] [--on-conflict C]`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from records import imports
from records.errors import InvalidInput
from site_model.acl import Who, access_for
from site_model.loader import current_site

BAR_WIDTH = 30
SUPERUSER = Who(username="manage.py", is_superuser=True)


class Command(BaseCommand):
    help = (
        "Import a CSV, JSON or XLSX file into an app as POST /api/v1/<app>/import does, as the "
        "site's superuser: every row checked, all written or none. Prints progress (stderr) "
        "and each problem as 'row N: item: message'; exit status 1 on any problem."
    )

    def add_arguments(self, parser):
        parser.add_argument("app_id", help="the app's id: a folder under apps/ of the site")
        parser.add_argument("file", help="a .csv (header row first), .json or .xlsx file")
        parser.add_argument("--block", help="the block whose elements check every row")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument(
            "--on-conflict",
            default="fail",
            choices=imports.ON_CONFLICT,
            help="a row whose id exists: fail (default), skip it, or update the record",
        )

    def handle(self, *args, app_id, file, block, dry_run, on_conflict, **options):
        site = current_site()
        app = site.apps.get(app_id)
        if app is None:
            known = ", ".join(sorted(site.apps)) or "none"
            raise CommandError(f"no app '{app_id}' in the site; apps: {known}")
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        raw = {"block": block, "dry_run": dry_run, "on_conflict": on_conflict}
        try:
            fmt = imports.format_of(path.name)
            imports.check_looks_like(data, fmt, path.name)
            chosen = imports.options_of(raw, app, SUPERUSER)
            rows = imports.read_file(data, fmt, app)
        except InvalidInput as exc:
            raise CommandError(exc.message) from None
        run = imports.ImportRun(
            app=app, access=access_for(app.acl, SUPERUSER), user=None, options=chosen
        )
        outcome = run.run(rows, progress=self.progress if options["verbosity"] > 0 else None)
        if options["verbosity"] > 0 and self.stderr.isatty():
            self.stderr.write("")
        for problem in outcome.all_problems():
            self.stdout.write(f"row {problem['row']}: {problem['item']}: {problem['error']}")
        counts = (
            f"{outcome.total} rows: created {outcome.created}, updated {outcome.updated}, "
            f"skipped {outcome.skipped}, problems {len(outcome.problems) + outcome.more_problems}"
        )
        self.stdout.write(f"{'dry run' if dry_run else 'import'} of {path.name}: {counts}")
        if outcome.problems:
            raise SystemExit(1)

    def progress(self, outcome: imports.Outcome) -> None:
        total = outcome.total
        filled = BAR_WIDTH * outcome.done // total if total else BAR_WIDTH
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        end = "\r" if self.stderr.isatty() else "\n"
        self.stderr.write(f"[{bar}] {outcome.done}/{total} rows checked", ending=end)
