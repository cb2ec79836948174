"""Record spans: the number of records of each app per 1,024 primary keys, kept by triggers.

The triggers count every insert, delete and move of a record, whichever code (or SQL) wrote
it; the counts of the records already there are filled in by the same migration, while its
lock on `records_record` keeps writers out. PostgreSQL counts once per statement (transition
tables: one upsert per span touched by a bulk create of 10,000); SQLite once per row.
"""

from django.db import migrations, models

SQLITE = [
    """CREATE TRIGGER records_span_insert AFTER INSERT ON records_record
    BEGIN
        INSERT INTO records_recordspan (app_id, span, count) VALUES (NEW.app_id, NEW.id >> 10, 1)
        ON CONFLICT (app_id, span) DO UPDATE SET count = count + 1;
    END""",
    """CREATE TRIGGER records_span_delete AFTER DELETE ON records_record
    BEGIN
        UPDATE records_recordspan SET count = count - 1
        WHERE app_id = OLD.app_id AND span = OLD.id >> 10;
    END""",
    """CREATE TRIGGER records_span_move AFTER UPDATE OF app_id, id ON records_record
    WHEN OLD.app_id IS NOT NEW.app_id OR OLD.id IS NOT NEW.id
    BEGIN
        UPDATE records_recordspan SET count = count - 1
        WHERE app_id = OLD.app_id AND span = OLD.id >> 10;
        INSERT INTO records_recordspan (app_id, span, count) VALUES (NEW.app_id, NEW.id >> 10, 1)
        ON CONFLICT (app_id, span) DO UPDATE SET count = count + 1;
    END""",
]

POSTGRESQL = [
    """CREATE FUNCTION records_span_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO records_recordspan (app_id, span, count)
        SELECT app_id, id >> 10, count(*) FROM added GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (app_id, span)
        DO UPDATE SET count = records_recordspan.count + EXCLUDED.count;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER records_span_insert AFTER INSERT ON records_record
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION records_span_added()""",
    # One UPDATE per span, in the order the insert takes them: two deletes (or a delete and a
    # bulk create) lock the spans they share in the same order, and so never deadlock.
    """CREATE FUNCTION records_span_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        gone record;
    BEGIN
        FOR gone IN
            SELECT app_id, id >> 10 AS span, count(*) AS n FROM removed GROUP BY 1, 2 ORDER BY 1, 2
        LOOP
            UPDATE records_recordspan SET count = count - gone.n
            WHERE app_id = gone.app_id AND span = gone.span;
        END LOOP;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER records_span_delete AFTER DELETE ON records_record
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION records_span_removed()""",
    """CREATE FUNCTION records_span_moved() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE records_recordspan SET count = count - 1
        WHERE app_id = OLD.app_id AND span = OLD.id >> 10;
        INSERT INTO records_recordspan (app_id, span, count) VALUES (NEW.app_id, NEW.id >> 10, 1)
        ON CONFLICT (app_id, span) DO UPDATE SET count = records_recordspan.count + 1;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER records_span_move AFTER UPDATE OF app_id, id ON records_record
    FOR EACH ROW WHEN (OLD.app_id IS DISTINCT FROM NEW.app_id OR OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION records_span_moved()""",
]

COUNT_EXISTING = """INSERT INTO records_recordspan (app_id, span, count)
    SELECT app_id, id >> 10, count(*) FROM records_record GROUP BY app_id, id >> 10"""

DROP = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS records_span_insert",
        "DROP TRIGGER IF EXISTS records_span_delete",
        "DROP TRIGGER IF EXISTS records_span_move",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS records_span_insert ON records_record",
        "DROP TRIGGER IF EXISTS records_span_delete ON records_record",
        "DROP TRIGGER IF EXISTS records_span_move ON records_record",
        "DROP FUNCTION IF EXISTS records_span_added()",
        "DROP FUNCTION IF EXISTS records_span_removed()",
        "DROP FUNCTION IF EXISTS records_span_moved()",
    ],
}


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    triggers = {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(vendor)
    if triggers is None:
        raise NotImplementedError(
            f"record spans have triggers for SQLite and PostgreSQL, not {vendor}"
        )
    for statement in triggers:
        schema_editor.execute(statement, params=None)
    schema_editor.execute(COUNT_EXISTING, params=None)


def drop_triggers(apps, schema_editor):
    for statement in DROP[schema_editor.connection.vendor]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0003_apitoken_moves_to_accounts"),
    ]

    operations = [
        migrations.CreateModel(
            name="RecordSpan",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("app_id", models.CharField(max_length=100)),
                ("span", models.BigIntegerField()),
                ("count", models.IntegerField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("app_id", "span"), name="record_span_unique")
                ],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
