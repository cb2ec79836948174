# Share keys are no longer copied into the owner table: the row filter reads guardian's
# direct-FK share rows by the user's and group's current names (records/ownership/owners.py).

from django.db import migrations


def drop_share_keys(apps, schema_editor):
    apps.get_model("ownership", "RecordOwner").objects.filter(item="_share").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ownership", "0003_owned_app"),
    ]

    operations = [
        migrations.RunPython(drop_share_keys, migrations.RunPython.noop),
    ]
