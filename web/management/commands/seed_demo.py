from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from accounts import profiles
from records import selectors, store
from site_model.loader import current_site
from web.middleware import ensure_groups

DEMO_USERS = [
    # username, password, groups, superuser
    ("admin", "admin-demo-pass", ["admins"], True),
    ("alice", "alice-demo-pass", ["members"], False),
    ("bob", "bob-demo-pass", [], False),
]
# Their profile's `team` (settings.yaml `users.fields`): a sale gets its creator's team
# (apps/sales `on_create`), so a new sale of alice's is seen by team east.
DEMO_TEAMS = {"alice": "east", "bob": "west"}

# The sales app's rows (apps/sales): whose each one is shows row-level security at /sales/.
DEMO_SALES = [
    # record id, author, items
    ("sale-acme", "alice", {"customer": "Acme", "amount": 1200, "salesman": "alice"}),
    ("sale-globex", "bob", {"customer": "Globex", "amount": 800, "salesman": "bob"}),
    ("sale-initech", "admin", {"customer": "Initech", "amount": 450, "salesman": "bob"}),
    (
        "sale-umbrella",
        "admin",
        {"customer": "Umbrella", "amount": 300, "team": "members", "salesman": "carol"},
    ),
    (
        "sale-hooli",
        "admin",
        {"customer": "Hooli", "amount": 2000, "team": "leads", "salesman": "dave"},
    ),
    ("sale-wonka", "admin", {"customer": "Wonka", "amount": 150, "salesman": "BOB@example.com"}),
]
# When each was sold: the dashboard's line of sales per month.
SOLD_ON = {
    "sale-acme": "2026-01-14",
    "sale-globex": "2026-02-03",
    "sale-initech": "2026-02-20",
    "sale-umbrella": "2026-03-09",
    "sale-hooli": "2026-03-28",
    "sale-wonka": "2026-04-02",
}


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
            self.seed_team(user)
            role = ", ".join(groups) or "no group"
            if username in DEMO_TEAMS:
                role += f", team {DEMO_TEAMS[username]}"
            self.stdout.write(
                f"  {username:<6} password {password:<16} ({role}{', superuser' if superuser else ''})"
            )
        self.seed_sales()

    def seed_team(self, user):
        fields = current_site().settings.profile_fields
        team = DEMO_TEAMS.get(user.get_username())
        if team is not None and "team" in fields:
            profiles.profile_save(user=user, fields=fields, changes={"team": team})

    def seed_sales(self):
        """A few sales owned by alice (author, group members, role leads) and bob (author,
        salesman by name and by e-mail); created once, left alone afterwards."""
        app = current_site().apps.get("sales")
        if app is None:
            return
        User = get_user_model()
        block = app.blocks.get("sale")
        for record_id, author, items in DEMO_SALES:
            if not selectors.record_exists(app.id, record_id):
                store.record_create(
                    app=app,
                    # the margin: admins' alone (acl.fields in apps/sales/settings.yaml)
                    items={**items, "sold_on": SOLD_ON[record_id], "margin": items["amount"] // 5},
                    record_id=record_id,
                    user=User.objects.get(username=author),
                    block=block,
                )
        self.stdout.write("Sales at /sales/: alice sees 3 rows, bob 3, admin all 6.")
