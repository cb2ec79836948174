"""ApiToken moves to accounts: the table stays (accounts names it `records_apitoken`)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0002_index_tables"),
        ("accounts", "0002_apitoken_from_records"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ApiToken")],
            database_operations=[],
        )
    ]
