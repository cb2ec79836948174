"""The table of the database cache (settings.CACHES without REDIS_URL in production).

The password and second-factor limits count in the cache; without Redis, the workers of one
machine share their counts through this table. `migrate` creates it whatever CACHES says now
(a development database may later serve production), with createcachetable's own code, so
its shape is Django's; a table already there (createcachetable run by hand) is kept.
"""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

TABLE = "site_cache"  # settings.SHARED_CACHE_TABLE


def create_table(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop_table(apps, schema_editor):
    quoted = schema_editor.connection.ops.quote_name(TABLE)
    schema_editor.execute(f"DROP TABLE IF EXISTS {quoted}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_securityevent_suppressed"),
    ]

    operations = [migrations.RunPython(create_table, drop_table)]
