"""Sessions move to accounts_session, whose rows carry the user's id (accounts/sessions.py):
the sessions of django_session are copied over, so nobody is signed out by the upgrade."""

from django.db import migrations, models
from django.utils import timezone

BATCH = 1000


def copy_sessions(apps, schema_editor):
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.sessions import user_id_in

    Old, New = apps.get_model("sessions", "Session"), apps.get_model("accounts", "Session")
    alias = schema_editor.connection.alias
    decoder = SessionStore()  # its class name is in the signature's salt
    rows = Old.objects.using(alias).filter(expire_date__gt=timezone.now()).iterator()
    batch = []
    for row in rows:
        user_id = user_id_in(decoder.decode(row.session_data))
        batch.append(New(row.session_key, row.session_data, row.expire_date, user_id))
        if len(batch) == BATCH:
            New.objects.using(alias).bulk_create(batch)
            batch = []
    New.objects.using(alias).bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_securityevent_link_refused"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Session",
            fields=[
                (
                    "session_key",
                    models.CharField(
                        max_length=40, primary_key=True, serialize=False, verbose_name="session key"
                    ),
                ),
                ("session_data", models.TextField(verbose_name="session data")),
                ("expire_date", models.DateTimeField(db_index=True, verbose_name="expire date")),
                ("user_id", models.BigIntegerField(blank=True, null=True)),
            ],
            options={
                "verbose_name": "session",
                "verbose_name_plural": "sessions",
                "db_table": "accounts_session",
                "abstract": False,
            },
        ),
        migrations.RunPython(copy_sessions, migrations.RunPython.noop),
    ]
