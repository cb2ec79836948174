"""The rows of django_session go, once 0007 copied them to accounts_session: no code of the
site reads them again (SESSION_ENGINE is accounts.sessions, and `clearsessions` clears only
its table), so they would stay forever, each holding a signed-in session's data. The table
itself stays: django.contrib.sessions is installed (its migrations own it)."""

from django.db import migrations


def empty_django_sessions(apps, schema_editor):
    Old = apps.get_model("sessions", "Session")
    Old.objects.using(schema_editor.connection.alias).all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_securityevent_preview"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(empty_django_sessions, migrations.RunPython.noop)]
