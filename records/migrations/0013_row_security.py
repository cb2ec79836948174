# Row-level security in PostgreSQL (contract §12): the site's ACL as policies on the tables that
# hold records or reveal them, read from the tables of migration 0012 (kept by records.policies)
# and from the caller each transaction is given (`site.caller`, records/rls.py, set by
# site_config/postgresql). FORCE: the tables' owner is held too (the one-role set-up).
# Nothing happens on SQLite, where the Python gate alone decides.
#
# The rule is site_model.acl's, written in SQL; tests/test_row_security.py proves them equal:
#   read:   trusted, or the app is seen whole (editor and up; reader of an app without
#           row_owners), or an owner row of the record names the caller in an app they read,
#           or a `view` share names them;
#   edit, delete: read, and editor, or a share with that permission, or author owning it;
#   create: author of the app.
# Helper functions are SECURITY DEFINER so that the reporting login (which may read nothing
# but its view) can run them; each policy calls them once per statement (`(SELECT f())`).
# They are PL/pgSQL, whose statements' plans a session keeps: SQL functions with SET are
# neither inlined nor kept, so every call planned its body again (and the bodies they call):
# 2-8 ms per statement of a reader (bench/rls.py --policies). ROWS: a visitor's owner keys
# are a handful; a higher guess priced the policies' subplans high enough that a reader's
# aggregate crossed jit_above_cost and spent 120 ms compiling.

from django.db import migrations

FUNCTIONS = r"""
CREATE FUNCTION site_rls_caller() RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  -- A reporting login is the user it was made for, whatever `site.caller` it sets itself.
  IF EXISTS (SELECT 1 FROM records_reportinglogin WHERE role = session_user) THEN
    RETURN (SELECT l.caller FROM records_reportinglogin l
              JOIN auth_user u ON u.username = l.username AND u.is_active
             WHERE l.role = session_user);
  END IF;
  RETURN nullif(coalesce(current_setting('site.caller', true), ''), '')::jsonb;
END
$$;

CREATE FUNCTION site_rls_trusted() RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  RETURN (
  SELECT coalesce((site_rls_caller() ->> 'trusted')::boolean, false)
  );
END
$$;

-- The principals naming the caller, as site_model.acl.names() matches them (roles aside).
CREATE FUNCTION site_rls_principals() RETURNS text[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  RETURN (
  SELECT CASE
    WHEN c IS NULL THEN '{}'::text[]
    WHEN coalesce(c ->> 'user', '') = '' THEN ARRAY['*']
    ELSE ARRAY['*', 'authenticated']
      || ARRAY(
        SELECT name FROM (
          SELECT c ->> 'user'
          UNION ALL SELECT jsonb_array_elements_text(c -> 'groups')
          UNION ALL SELECT jsonb_array_elements_text(c -> 'profile')
        ) AS names (name)
        WHERE strpos(name, '@') = 0)
      || ARRAY(SELECT c ->> 'email' WHERE coalesce(c ->> 'email', '') <> '')
  END
  FROM (SELECT site_rls_caller() AS c) AS caller
  );
END
$$;

-- The caller's right in each app where they hold one: 1 reader ... 4 manager.
CREATE FUNCTION site_rls_levels() RETURNS TABLE (app_id text, level integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public ROWS 20 AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT r.app_id::text, max(r.rank)::integer FROM records_policyright r
   WHERE r.match = ANY ((SELECT site_rls_principals())::text[])
   GROUP BY r.app_id;
END
$$;

-- The apps where the caller holds `rank` or more.
CREATE FUNCTION site_rls_apps_from(rank integer) RETURNS text[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  RETURN (
  SELECT coalesce(array_agg(l.app_id), '{}') FROM site_rls_levels() l WHERE l.level >= rank
  );
END
$$;

-- The apps whose every row the caller reads: editors and up; readers of an app without
-- row_owners.
CREATE FUNCTION site_rls_whole_apps() RETURNS text[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  RETURN (
  SELECT coalesce(array_agg(l.app_id), '{}')
    FROM site_rls_levels() l JOIN records_policyapp a ON a.app_id = l.app_id
   WHERE l.level >= 3 OR (l.level >= 1 AND jsonb_array_length(a.row_owners) = 0)
  );
END
$$;

-- The caller's roles in each app.
CREATE FUNCTION site_rls_roles() RETURNS TABLE (app_id text, role text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public ROWS 20 AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT DISTINCT r.app_id::text, r.role::text FROM records_policyrole r
   WHERE r.match = ANY ((SELECT site_rls_principals())::text[]);
END
$$;

-- The owner rows (app, item, key) that make the caller an owner, in the apps where they are a
-- reader or an author (site_model.acl.visitor_owner_keys; `level` tells which).
CREATE FUNCTION site_rls_owner_pairs()
RETURNS TABLE (app_id text, level integer, item text, principal text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public ROWS 10 AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH caller AS (SELECT site_rls_caller() AS c),
  apps AS (
    SELECT l.app_id, l.level, a.row_owners
      FROM site_rls_levels() l JOIN records_policyapp a ON a.app_id = l.app_id, caller
     WHERE l.level BETWEEN 1 AND 2 AND coalesce(caller.c ->> 'user', '') <> ''),
  names AS (
    SELECT apps.app_id, n.name FROM apps, caller, LATERAL (
      SELECT caller.c ->> 'user'
      UNION ALL SELECT jsonb_array_elements_text(caller.c -> 'groups')
      UNION ALL SELECT jsonb_array_elements_text(caller.c -> 'profile')
      UNION ALL SELECT r.role FROM site_rls_roles() r WHERE r.app_id = apps.app_id
    ) AS n (name)
     WHERE strpos(n.name, '@') = 0 AND n.name NOT IN ('', '*', 'authenticated')
    UNION ALL
    SELECT apps.app_id, caller.c ->> 'email' FROM apps, caller
     WHERE coalesce(caller.c ->> 'email', '') <> '')
  SELECT apps.app_id, apps.level, '_author', 'a:' || (caller.c ->> 'user') FROM apps, caller
  UNION ALL
  SELECT apps.app_id, apps.level, owner.item, 'o:' || names.name
    FROM names JOIN apps ON apps.app_id = names.app_id,
         jsonb_array_elements_text(apps.row_owners) AS owner (item);
END
$$;

-- The records a share with `codename` names the caller in (by user name, by group name).
CREATE FUNCTION site_rls_shared(codename text) RETURNS TABLE (record_id bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public ROWS 20 AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  -- By ids (as the Python filter): the share tables' index on user/group narrows the rows
  -- before their own policies run; a join on names had them check every share.
  SELECT s.content_object_id::bigint FROM ownership_recordusershare s
   WHERE s.user_id = ANY (ARRAY(
           SELECT u.id FROM auth_user u WHERE u.username = (SELECT site_rls_caller() ->> 'user')))
     AND s.permission_id = ANY (ARRAY(SELECT p.id FROM auth_permission p WHERE p.codename = $1))
  UNION ALL
  SELECT s.content_object_id::bigint FROM ownership_recordgroupshare s
   WHERE s.group_id = ANY (ARRAY(
           SELECT g.id FROM auth_group g WHERE g.name IN (
             SELECT jsonb_array_elements_text((SELECT site_rls_caller()) -> 'groups'))))
     AND s.permission_id = ANY (ARRAY(SELECT p.id FROM auth_permission p WHERE p.codename = $1));
END
$$;

-- A record's items without those a field rule hides from the caller (reporting.records).
CREATE FUNCTION site_rls_shown_items(app text, items jsonb) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT CASE WHEN site_rls_trusted() THEN items ELSE
    items - ARRAY(
      SELECT f.item FROM records_policyfield f
       WHERE f.app_id = app AND NOT f.readers ?| (
         site_rls_principals()
         || ARRAY(SELECT r.role FROM site_rls_roles() r WHERE r.app_id = app)))
  END
$$;

-- A share row carries its record's app, so that editors of the app see it without the
-- policy reading records (whose own policy reads shares).
ALTER TABLE ownership_recordusershare ADD COLUMN app_id varchar(100);
ALTER TABLE ownership_recordgroupshare ADD COLUMN app_id varchar(100);
CREATE FUNCTION site_rls_share_app() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.app_id := (SELECT app_id FROM records_record WHERE id = NEW.content_object_id);
  RETURN NEW;
END
$$;
CREATE TRIGGER share_app BEFORE INSERT OR UPDATE OF content_object_id
  ON ownership_recordusershare FOR EACH ROW EXECUTE FUNCTION site_rls_share_app();
CREATE TRIGGER share_app BEFORE INSERT OR UPDATE OF content_object_id
  ON ownership_recordgroupshare FOR EACH ROW EXECUTE FUNCTION site_rls_share_app();
UPDATE ownership_recordusershare s SET app_id = r.app_id
  FROM records_record r WHERE r.id = s.content_object_id;
UPDATE ownership_recordgroupshare s SET app_id = r.app_id
  FROM records_record r WHERE r.id = s.content_object_id;
"""

TRUSTED = "(SELECT site_rls_trusted())"


def owned(record: str, level: str = "") -> str:
    """`record` (an id column) has an owner row naming the caller (at `level`, if given)."""
    at_level = f" AND p.level = {level}" if level else ""
    return (
        f"{record} IN (SELECT o.record_id FROM ownership_recordowner o"
        " JOIN site_rls_owner_pairs() p ON p.app_id = o.app_id AND p.item = o.item"
        f" AND p.principal = o.principal{at_level})"
    )


def readable(record: str, app: str) -> str:
    return (
        f"{TRUSTED} OR {app} = ANY ((SELECT site_rls_whole_apps())::text[]) OR {owned(record)}"
        f" OR {record} IN (SELECT record_id FROM site_rls_shared('view_record'))"
    )


def may(permission: str) -> str:
    """edit or delete a record: read it, and editor, a share with it, or an author owning it."""
    return (
        f"({readable('id', 'app_id')}) AND ({TRUSTED}"
        " OR app_id = ANY ((SELECT site_rls_apps_from(3))::text[])"
        f" OR id IN (SELECT record_id FROM site_rls_shared('{permission}'))"
        f" OR {owned('id', '2')})"
    )


CALLER_ID = "(SELECT id FROM auth_user WHERE username = (SELECT site_rls_caller() ->> 'user'))"

POLICIES = {
    "records_record": [
        f"FOR SELECT USING ({readable('id', 'app_id')})",
        f"FOR UPDATE USING ({may('change_record')}) WITH CHECK ({TRUSTED}"
        " OR app_id = ANY ((SELECT site_rls_apps_from(2))::text[])"
        " OR id IN (SELECT record_id FROM site_rls_shared('change_record')))",
        f"FOR DELETE USING ({may('delete_record')})",
        f"FOR INSERT WITH CHECK ({TRUSTED} OR app_id = ANY ((SELECT site_rls_apps_from(2))::text[]))",
    ],
    "records_indexentry": [f"FOR SELECT USING ({readable('record_id', 'app_id')})"],
    "records_indextext": [f"FOR SELECT USING ({readable('record_id', 'app_id')})"],
    "ownership_recordowner": [
        f"FOR SELECT USING ({TRUSTED} OR app_id = ANY ((SELECT site_rls_whole_apps())::text[])"
        " OR (app_id, item, principal) IN"
        " (SELECT app_id, item, principal FROM site_rls_owner_pairs()))"
    ],
    "ownership_recordusershare": [
        f"FOR SELECT USING ({TRUSTED} OR user_id = {CALLER_ID}"
        f" OR app_id = ANY ((SELECT site_rls_whole_apps())::text[]) OR {owned('content_object_id')})"
    ],
    "ownership_recordgroupshare": [
        f"FOR SELECT USING ({TRUSTED} OR group_id IN (SELECT id FROM auth_group WHERE name IN"
        " (SELECT jsonb_array_elements_text((SELECT site_rls_caller()) -> 'groups')))"
        f" OR app_id = ANY ((SELECT site_rls_whole_apps())::text[]) OR {owned('content_object_id')})"
    ],
    "records_upload": [
        f"FOR SELECT USING ({TRUSTED}"
        " OR EXISTS (SELECT 1 FROM records_record r WHERE r.id = records_upload.record_id))"
    ],
    "records_recordversion": [
        f"FOR SELECT USING ({TRUSTED} OR app_id = ANY ((SELECT site_rls_apps_from(3))::text[])"
        " OR EXISTS (SELECT 1 FROM records_record r"
        " WHERE r.app_id = records_recordversion.app_id"
        " AND r.record_id = records_recordversion.record_id))"
    ],
    "records_job": [f"USING ({TRUSTED} OR creator_id = {CALLER_ID})"],
}

REPORTING = """
CREATE SCHEMA reporting;
CREATE VIEW reporting.records AS
  SELECT r.app_id AS app, r.record_id AS id, site_rls_shown_items(r.app_id, r.items) AS items,
         r.created, r.modified
    FROM records_record r;
"""


def statements():
    yield FUNCTIONS
    for table, policies in POLICIES.items():
        yield f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"
        yield f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY"
        for number, policy in enumerate(policies, start=1):
            yield f"CREATE POLICY site_{number} ON {table} {policy}"
        if table != "records_job":  # the others are written by the server only
            yield f"CREATE POLICY site_server ON {table} USING ({TRUSTED}) WITH CHECK ({TRUSTED})"
    yield REPORTING


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for statement in statements():
            cursor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA reporting CASCADE")
        for table, policies in POLICIES.items():
            cursor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
            cursor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
            for number in range(1, len(policies) + 1):
                cursor.execute(f"DROP POLICY site_{number} ON {table}")
            if table != "records_job":
                cursor.execute(f"DROP POLICY site_server ON {table}")
        for table in ("ownership_recordusershare", "ownership_recordgroupshare"):
            cursor.execute(f"DROP TRIGGER share_app ON {table}")
            cursor.execute(f"ALTER TABLE {table} DROP COLUMN app_id")
        cursor.execute("DROP FUNCTION site_rls_share_app() CASCADE")
        for function in (
            "site_rls_shown_items(text, jsonb)", "site_rls_shared(text)",
            "site_rls_owner_pairs()", "site_rls_roles()", "site_rls_whole_apps()",
            "site_rls_apps_from(integer)", "site_rls_levels()", "site_rls_principals()",
            "site_rls_trusted()", "site_rls_caller()",
        ):
            cursor.execute(f"DROP FUNCTION {function}")


class Migration(migrations.Migration):

    dependencies = [
        ("records", "0012_policy_tables"),
        ("ownership", "0006_owner_app"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create, drop)]
