# site_rls_caller() (migration 0013) made a reporting login the user of the same *name* while
# active, and took `site.caller` as set by the session for any role without a login row. So a
# login outlived its user: deleted, then an account made again under that name (sign-up is
# open), it read as the newcomer with the old user's groups; and a login role whose row was gone
# (`manage.py flush`, a restore of the tables without the roles) set `site.caller` to trusted and
# read every record. Now a login row holds only for a user who joined before it was last
# refreshed, and a role that may not read records_record itself (every reporting login) is
# nobody when it has no row: only the site's own roles say who is asking.

from django.db import migrations

BOUND = r"""
CREATE OR REPLACE FUNCTION site_rls_caller() RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM records_reportinglogin WHERE role = session_user) THEN
    RETURN (SELECT l.caller FROM records_reportinglogin l
              JOIN auth_user u ON u.username = l.username AND u.is_active
                              AND u.date_joined <= l.refreshed
             WHERE l.role = session_user);
  END IF;
  IF NOT has_table_privilege(session_user, 'public.records_record', 'SELECT') THEN
    RETURN NULL;
  END IF;
  RETURN nullif(coalesce(current_setting('site.caller', true), ''), '')::jsonb;
END
$$;
"""

BY_NAME = r"""
CREATE OR REPLACE FUNCTION site_rls_caller() RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM records_reportinglogin WHERE role = session_user) THEN
    RETURN (SELECT l.caller FROM records_reportinglogin l
              JOIN auth_user u ON u.username = l.username AND u.is_active
             WHERE l.role = session_user);
  END IF;
  RETURN nullif(coalesce(current_setting('site.caller', true), ''), '')::jsonb;
END
$$;
"""


def define(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("records", "0015_reporting_view_fence")]

    operations = [migrations.RunPython(define(BOUND), define(BY_NAME))]
