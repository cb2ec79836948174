"""ApiToken moves here from records: the model's state only, on the table records made."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_security_events"),
        ("records", "0002_index_tables"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ApiToken",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(blank=True, default="", max_length=100)),
                        ("key_hash", models.CharField(editable=False, max_length=64, unique=True)),
                        ("prefix", models.CharField(editable=False, help_text="The token's first characters.", max_length=16)),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        ("last_used", models.DateTimeField(blank=True, null=True)),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="api_tokens", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "API token",
                        "ordering": ["-created", "-id"],
                        "db_table": "records_apitoken",
                    },
                )
            ],
            database_operations=[],
        )
    ]
