from django.core.management.base import BaseCommand

from blocks.loader import current_site


class Command(BaseCommand):
    help = "Validate the site folder; print every problem as path:line: message, exit 1 if any."

    def handle(self, *args, **options):
        problems = current_site().problems
        for problem in problems:
            self.stdout.write(str(problem))
        if problems:
            self.stderr.write(f"{len(problems)} problem(s) in the site folder.")
            raise SystemExit(1)
        self.stdout.write("The site folder has no problems.")
