# A record deleted by a caller the records' DELETE policy lets delete it (block code's own ORM
# as its visitor) takes its derived rows with it. Only the server writes those rows (index,
# text, owner, share and file rows: their policies), so Django's own deletion of them as the
# visitor left most in place, and the deferred foreign keys failed the commit (a 500). The
# trigger deletes them as the server, inside the same statement, then gives the transaction its
# caller back. The server's own deletes (store.record_delete) have removed them already: the
# trigger does not fire for it. Nothing happens on SQLite.

from django.db import migrations

TRUSTED = '{"trusted": true}'  # records.rls.TRUSTED

DERIVED = [
    ("records_indexentry", "record_id"),
    ("records_indextext", "record_id"),
    ("ownership_recordowner", "record_id"),
    ("ownership_recordusershare", "content_object_id"),
    ("ownership_recordgroupshare", "content_object_id"),
    ("records_upload", "record_id"),
]

DELETES = "\n".join(f"  DELETE FROM {table} WHERE {column} = OLD.id;" for table, column in DERIVED)

CREATE = f"""
CREATE FUNCTION site_rls_delete_derived() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  caller text := current_setting('site.caller', true);
BEGIN
  PERFORM set_config('site.caller', '{TRUSTED}', true);
{DELETES}
  PERFORM set_config('site.caller', coalesce(caller, ''), true);
  RETURN OLD;
END
$$;
CREATE TRIGGER site_rls_delete_derived BEFORE DELETE ON records_record FOR EACH ROW
  WHEN (current_setting('site.caller', true) IS DISTINCT FROM '{TRUSTED}')
  EXECUTE FUNCTION site_rls_delete_derived();
"""

DROP = """
DROP TRIGGER site_rls_delete_derived ON records_record;
DROP FUNCTION site_rls_delete_derived();
"""


def run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return apply


class Migration(migrations.Migration):

    dependencies = [("records", "0018_row_security_context")]

    operations = [migrations.RunPython(run(CREATE), run(DROP))]
