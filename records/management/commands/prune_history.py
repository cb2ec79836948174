"""`python manage.py prune_history`: delete the record versions, and the deleted records, older
than `HISTORY_KEEP_DAYS` (contract §9), in batches, with progress."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from records import history
from records.models import RecordVersion

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Delete the versions of records written more than HISTORY_KEEP_DAYS days ago (the "
        "environment's; --days overrides), and the deleted records among them for good, with "
        "their files. Runs in batches, one transaction each; progress goes to stderr."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="keep this many days (default: the setting)")
        parser.add_argument("--batch", type=int, default=1000, help="rows per transaction")

    def handle(self, *args, days=None, batch=1000, **options):
        days = history.keep_days() if days is None else days
        if days < 0 or batch < 1:
            raise CommandError("--days must be 0 or more and --batch 1 or more")
        before = timezone.now() - timedelta(days=days)
        total = RecordVersion.objects.filter(at__lt=before).count()
        verbose = options["verbosity"] > 0

        def progress(done: int) -> None:
            if not verbose:
                return
            filled = BAR_WIDTH * done // total if total else BAR_WIDTH
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            end = "\r" if self.stderr.isatty() else "\n"
            self.stderr.write(f"[{bar}] {done}/{total} versions", ending=end)

        done = history.prune(before=before, batch=batch, progress=progress)
        if verbose and self.stderr.isatty():
            self.stderr.write("")
        self.stdout.write(f"pruned {done} versions written before {before.isoformat()}")
