# Each owner row gets the name its key holds, folded (accounts.names.fold): a new user name is
# looked up by it (contract §7 "Names"). The fold is written out here so that this migration
# keeps doing what it did if the code changes.

import unicodedata

from django.db import migrations, models


def fold(name):
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def fill_names(apps, schema_editor):
    RecordOwner = apps.get_model("ownership", "RecordOwner")
    batch = []
    for row in RecordOwner.objects.only("pk", "principal").iterator(chunk_size=2000):
        row.name = fold(row.principal.partition(":")[2])
        batch.append(row)
        if len(batch) >= 2000:
            RecordOwner.objects.bulk_update(batch, ["name"])
            batch = []
    RecordOwner.objects.bulk_update(batch, ["name"])


class Migration(migrations.Migration):

    dependencies = [
        ('ownership', '0004_share_keys_read_from_guardian'),
        ('records', '0002_index_tables'),
    ]

    operations = [
        migrations.AddField(
            model_name='recordowner',
            name='name',
            field=models.CharField(default='', max_length=300),
        ),
        migrations.RunPython(fill_names, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='recordowner',
            index=models.Index(fields=['name'], name='owner_name'),
        ),
    ]
