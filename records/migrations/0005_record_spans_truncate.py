"""Record spans: a TRUNCATE of `records_record` empties the counts too (PostgreSQL; SQLite has
no TRUNCATE: its `DELETE FROM` without WHERE runs the delete trigger of 0004 row by row)."""

from django.db import migrations

CREATE = [
    """CREATE FUNCTION records_span_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM records_recordspan;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER records_span_truncate AFTER TRUNCATE ON records_record
    FOR EACH STATEMENT EXECUTE FUNCTION records_span_truncated()""",
]
DROP = [
    "DROP TRIGGER IF EXISTS records_span_truncate ON records_record",
    "DROP FUNCTION IF EXISTS records_span_truncated()",
]


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("records", "0004_record_spans")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
