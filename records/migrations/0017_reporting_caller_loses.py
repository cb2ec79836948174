# What a reporting login's user lost since its last refresh holds at once (migration 0016 made
# the login the user who joined before that refresh, as they were then): bob taken out of
# `admins` still read every sale with its margin, and a superuser no longer one kept a trusted
# login, until someone ran `reporting_role` again. Now the login's groups are those it was given
# that the user is still in, its e-mail holds only while it is still the user's, and a trusted
# (superuser) login reads nothing once they are not one; what they gained waits for a refresh.

from django.db import migrations

LOSING = r"""
CREATE OR REPLACE FUNCTION site_rls_caller() RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM records_reportinglogin WHERE role = session_user) THEN
    RETURN (
      SELECT CASE
        WHEN l.caller ? 'trusted' THEN CASE WHEN u.is_superuser THEN l.caller END
        ELSE l.caller
          || jsonb_build_object('groups', coalesce((
               SELECT jsonb_agg(g.name ORDER BY g.name)
                 FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id
                WHERE ug.user_id = u.id AND l.caller -> 'groups' ? g.name), '[]'::jsonb))
          || jsonb_build_object('email', CASE
               WHEN lower(u.email) = lower(l.caller ->> 'email') THEN l.caller ->> 'email'
               ELSE '' END)
      END
        FROM records_reportinglogin l
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


def define(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("records", "0016_reporting_caller_bound")]

    operations = [migrations.RunPython(define(LOSING), define(BOUND))]
