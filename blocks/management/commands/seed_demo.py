from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from blocks.loader import current_site
from blocks.middleware import ensure_groups

DEMO_USERS = [
    # username, password, groups, superuser
    ("admin", "admin-demo-pass", ["admins"], True),
    ("alice", "alice-demo-pass", ["members"], False),
    ("bob", "bob-demo-pass", [], False),
]


class Command(BaseCommand):
    help = "Create the demo users (development only) and print their credentials."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates users with known passwords: run it with DEBUG=1 only."
            )
        ensure_groups(current_site().settings.groups)
        User = get_user_model()
        self.stdout.write("Demo users (development only):")
        for username, password, groups, superuser in DEMO_USERS:
            user, _ = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            user.set_password(password)
            user.is_staff = user.is_superuser = superuser
            user.save()
            user.groups.set(Group.objects.get_or_create(name=name)[0] for name in groups)
            role = ", ".join(groups) or "no group"
            self.stdout.write(
                f"  {username:<6} password {password:<16} ({role}{', superuser' if superuser else ''})"
            )
