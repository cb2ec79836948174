# The policy functions run as the tables' owner (SECURITY DEFINER) for whoever calls them, a
# reporting login too. With `search_path = pg_catalog, public` PostgreSQL still looks a table
# name up in the caller's own temporary schema first (it is searched first unless listed), so a
# login could create `pg_temp.records_reportinglogin` (or `records_policyright`, `auth_user`)
# and be told it is trusted. Listing pg_temp last closes that (PostgreSQL's "Writing SECURITY
# DEFINER Functions Safely"). Every such function of the schema is altered, so a function
# (re)defined by an earlier migration is covered whatever its number;
# tests/test_reporting_role.py checks them all.

from django.db import migrations

SAFE = "pg_catalog, public, pg_temp"
BEFORE = "pg_catalog, public"

DEFINER_FUNCTIONS = """
SELECT p.oid::regprocedure::text FROM pg_proc p
 WHERE p.prosecdef AND p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'site\\_rls\\_%'
"""


def set_search_path(path: str):
    def alter(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DEFINER_FUNCTIONS)
            for (function,) in cursor.fetchall():
                cursor.execute(f"ALTER FUNCTION {function} SET search_path = {path}")

    return alter


class Migration(migrations.Migration):
    dependencies = [("records", "0013_row_security")]

    operations = [migrations.RunPython(set_search_path(SAFE), set_search_path(BEFORE))]
