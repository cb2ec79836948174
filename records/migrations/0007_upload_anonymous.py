"""Uploads made by anonymous visitors are marked (`Upload.anonymous`), so that the uploads of
an account since deleted (its `uploader` set to None as well) no longer count against the
allowance anonymous visitors share. The rows already without an uploader cannot be told
apart: they stay counted as anonymous, as they were. Reversing drops the column."""

from django.db import migrations, models


def mark_anonymous(apps, schema_editor):
    Upload = apps.get_model("records", "Upload")
    Upload.objects.filter(uploader__isnull=True).update(anonymous=True)


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0006_uploads"),
    ]

    operations = [
        migrations.AddField(
            model_name="upload",
            name="anonymous",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_anonymous, migrations.RunPython.noop),
    ]
