from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.tokens import create_token


class Command(BaseCommand):
    help = "Make a personal API token for a user and print it (shown once: it is stored hashed)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="a label to tell the user's tokens apart")

    def handle(self, *args, username, name, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"no user '{username}'") from None
        token, raw = create_token(user, name=name, via="by manage.py create_api_token")
        self.stderr.write(
            f"API token {token.prefix}… for {username}; it is shown once, store it now:"
        )
        self.stdout.write(raw)
