# site_rls_caller() (migration 0013) made a reporting login the user of the same *name* while
# active, and took `site.caller` as set by the session for any role without a login row. So a
# login outlived its user: deleted, then an account made again under that name (sign-up is
# open), it read as the newcomer with the old user's groups; and a login role whose row was gone
# (`manage.py flush`, a restore of the tables without the roles) set `site.caller` to trusted and
# read every record. Now a login row holds only for a user who joined before it was last
# refreshed, and a role that may not read records_record itself (every reporting login) is
# nobody when it has no row: only the site's own roles say who is asking. And what the user
# lost since the refresh holds at once: the login's groups are those it was given that the user
# is still in, its e-mail only while it is still the user's, and a superuser's login (trusted)
# nothing once they are not one any more; what they gained waits for `reporting_role` again.

from django.db import migrations

BOUND = r"""
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
