from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts import audit


class Command(BaseCommand):
    help = (
        "Delete the security events (the audit trail) older than --days days, "
        "SECURITY_EVENTS_KEEP_DAYS by default, in batches."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, help="keep this many days (default: SECURITY_EVENTS_KEEP_DAYS)"
        )
        parser.add_argument("--batch-size", type=int, default=10_000, help="rows per delete")

    def handle(self, *args, days, batch_size, **options):
        if days is None:
            days = settings.SECURITY_EVENTS_KEEP_DAYS
        if days < 0:
            raise CommandError(f"--days must be 0 or more, found {days}")
        if batch_size < 1:
            raise CommandError(f"--batch-size must be 1 or more, found {batch_size}")
        before = timezone.now() - timedelta(days=days)
        total = 0
        for deleted in audit.prune(before, batch_size):
            total += deleted
            self.stdout.write(f"deleted {deleted} ({total} so far)")
        self.stdout.write(
            f"Deleted {total} security event{'' if total == 1 else 's'} older than {days} days "
            f"(written before {timezone.localtime(before):%Y-%m-%d %H:%M %Z})."
        )
