# The field indexes some record holds a list in (records.models.ListedIndex), marked for the
# records already indexed: an aggregate joins one index row per record only elsewhere.

from django.db import migrations, models

LISTED = """
SELECT DISTINCT app_id, "index" FROM (
  SELECT app_id, "index" FROM records_indexentry GROUP BY app_id, "index", record_id
  HAVING COUNT(*) > 1) AS repeated
"""


def mark_lists(apps, schema_editor):
    from records import rls  # PostgreSQL's policies show the index rows to the server only

    ListedIndex = apps.get_model("records", "ListedIndex")
    with rls.trusted(), schema_editor.connection.cursor() as cursor:
        cursor.execute(LISTED)
        marks = [ListedIndex(app_id=app_id, index=index) for app_id, index in cursor.fetchall()]
        ListedIndex.objects.using(schema_editor.connection.alias).bulk_create(marks)


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0019_row_security_delete_derived"),
    ]

    operations = [
        migrations.CreateModel(
            name="ListedIndex",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("app_id", models.CharField(max_length=100)),
                ("index", models.CharField(max_length=100)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("app_id", "index"), name="listed_index_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(mark_lists, migrations.RunPython.noop),
    ]
