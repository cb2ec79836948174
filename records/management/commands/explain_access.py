"""`python manage.py explain_access <user> <app> [<record>]`: contract §10's explanation,
one line per right (as `GET /api/v1/<app>/access` answers it), then one per item with a field
rule."""

from django.core.management.base import BaseCommand, CommandError

from records import access as gate
from records.errors import RecordError
from site_model.loader import current_site


class Command(BaseCommand):
    help = (
        "Say whether a user may read, create, edit, delete and share in an app (or one record "
        "of it), and the rule that decided each, as GET /api/v1/<app>/access answers."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="the user's user name")
        parser.add_argument("app_id", help="the app's id: a folder under apps/ of the site")
        parser.add_argument("record_id", nargs="?", help="a record's id (optional)")

    def handle(self, *args, username, app_id, record_id=None, **options):
        site = current_site()
        app = site.apps.get(app_id)
        if app is None:
            known = ", ".join(sorted(site.apps)) or "none"
            raise CommandError(f"no app '{app_id}' in the site; apps: {known}")
        try:
            answer = gate.explanation(app, username, record_id)
        except RecordError as exc:
            raise CommandError(exc.message) from exc
        for line in lines(answer):
            self.stdout.write(line)


def lines(answer: dict) -> list[str]:
    """`read: allowed (reader: group readers)`, one per right, then `field note: read, write`."""
    found = [
        f"{right}: {'allowed' if verdict['allowed'] else 'refused'} ({verdict['because']})"
        for right, verdict in answer["rights"].items()
    ]
    found += [
        f"field {item}: {'read' if rights['read'] else 'no read'}, "
        f"{'write' if rights['write'] else 'no write'}"
        for item, rights in answer["fields"].items()
    ]
    return found
