# Each owner row carries its record's app (row-level security in PostgreSQL, records migration
# 0012, matches a key to the app's rights without reading the record).

from django.db import migrations, models


FILL = (
    "UPDATE ownership_recordowner SET app_id = (SELECT r.app_id FROM records_record r"
    " WHERE r.id = ownership_recordowner.record_id)"
)


class Migration(migrations.Migration):

    dependencies = [
        ("ownership", "0005_owner_name"),
        ("records", "0011_record_versions"),
    ]

    operations = [
        migrations.AddField(
            model_name="recordowner",
            name="app_id",
            field=models.CharField(default="", max_length=100),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
