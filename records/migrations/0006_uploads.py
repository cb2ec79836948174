"""Uploads get a row each (records.models.Upload); the files existing records hold get theirs.

A record's item gets a row when its value is file-shaped (an object with a `path`) and its
name is a FILE element of the record's app in the site folder as it is when `migrate` runs, so
the file route keeps serving those files. A value under any other name (or of an app no
longer in the site) gets none: the route stops serving it. A path held twice goes to the
record created first. Reversing drops the table; the files stay.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def file_elements(site) -> dict[str, set[str]]:
    """app id -> the ids of its FILE elements, in every block."""
    return {
        app_id: {
            element.id
            for block in app.blocks.values()
            for element in block.inputs
            if element.type == "FILE"
        }
        for app_id, app in site.apps.items()
    }


def rows_for_existing_files(apps, schema_editor):
    Record = apps.get_model("records", "Record")
    Upload = apps.get_model("records", "Upload")
    if not Record.objects.exists():
        return
    from site_model.loader import current_site

    elements = {app_id: ids for app_id, ids in file_elements(current_site()).items() if ids}
    taken: set[str] = set()
    batch = []
    records = Record.objects.filter(app_id__in=elements).order_by("pk")
    for record in records.only("pk", "app_id", "items", "author_id").iterator():
        for item in sorted(elements[record.app_id]):
            value = record.items.get(item) if isinstance(record.items, dict) else None
            if not (isinstance(value, dict) and isinstance(value.get("path"), str)):
                continue
            if value["path"] in taken or len(value["path"]) > 500:
                continue
            taken.add(value["path"])
            size = value.get("size")
            batch.append(
                Upload(
                    record_id=record.pk,
                    item=item,
                    path=value["path"],
                    size=size if isinstance(size, int) else 0,
                    content_type=str(value.get("content_type") or "")[:200],
                    uploader_id=record.author_id,
                )
            )
        if len(batch) >= 1000:
            Upload.objects.bulk_create(batch)
            batch = []
    Upload.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0005_record_spans_truncate"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Upload",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("item", models.CharField(max_length=100)),
                ("path", models.CharField(max_length=500, unique=True)),
                ("size", models.BigIntegerField()),
                ("content_type", models.CharField(max_length=200)),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "record",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="uploads",
                        to="records.record",
                    ),
                ),
                (
                    "uploader",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="uploads",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["record", "item"], name="upload_record_item")],
            },
        ),
        migrations.RunPython(rows_for_existing_files, migrations.RunPython.noop),
    ]
