# reporting.records read records_record straight: a condition PostgreSQL deems leakproof
# (`app = 'hr'`, `id = 'x'`, `created > ...`) could then run before the policies, even as an
# index condition, and EXPLAIN ANALYZE counted what it removed, so a reporting login learned
# which ids exist and how many records an app it may not read holds. The rows are now chosen
# in a subquery that nothing is pushed into (OFFSET 0): the policies decide first, the login's
# conditions see only its own rows. A BI tool's query scans the rows its user may read.
# The columns are expressions (the column with '' or no time added: same type, same value; a
# coalesce of a NOT NULL column PostgreSQL may fold back into the column), not the table's: the planner would estimate `app = 'hr'` from the table's statistics, and
# EXPLAIN's row estimate would count app hr's records to anyone.

from django.db import migrations

FENCED = """
CREATE OR REPLACE VIEW reporting.records AS
  SELECT s.app, s.id, site_rls_shown_items(s.app, s.items) AS items, s.created, s.modified
    FROM (SELECT (r.app_id || '')::varchar(100) AS app, (r.record_id || '')::varchar(200) AS id,
                 r.items, r.created + interval '0' AS created, r.modified + interval '0' AS modified
            FROM records_record r OFFSET 0) AS s
"""

OPEN = """
CREATE OR REPLACE VIEW reporting.records AS
  SELECT r.app_id AS app, r.record_id AS id, site_rls_shown_items(r.app_id, r.items) AS items,
         r.created, r.modified
    FROM records_record r
"""


def replace_view(sql: str):
    def replace(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return replace


class Migration(migrations.Migration):
    dependencies = [("records", "0014_definer_functions_pg_temp_last")]

    operations = [migrations.RunPython(replace_view(FENCED), replace_view(OPEN))]
