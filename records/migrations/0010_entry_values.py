from django.db import migrations, models


class Migration(migrations.Migration):
    """entry_record (record, index) gains the value columns: an aggregate reads each record's
    values from the index alone (issue 24). Made before the old one goes: the cascade from a
    record is never without an index."""

    dependencies = [
        ("records", "0009_jobs"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="indexentry",
            index=models.Index(
                fields=["record", "index", "value_number", "value_date", "value_text"],
                name="entry_values",
            ),
        ),
        migrations.RemoveIndex(
            model_name="indexentry",
            name="entry_record",
        ),
    ]
