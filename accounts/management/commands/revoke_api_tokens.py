from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.tokens import revoke_all


class Command(BaseCommand):
    help = "Revoke every personal API token of a user."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"no user '{username}'") from None
        count = revoke_all(user, via="by manage.py revoke_api_tokens")
        self.stdout.write(f"Revoked {count} API token{'' if count == 1 else 's'} of {username}.")
