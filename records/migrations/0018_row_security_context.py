# Row-level security, the same rule as migration 0013 at a fraction of its cost (issue 28's
# speed goal, bench/rls.py --policies). 0013's helpers each parsed the caller and read the policy
# tables again, several times per statement (a reader's list called them ~30 times: 2-8 ms).
# Here the caller's context (trusted?, the apps read whole, edited, authored, the owner keys
# naming them, their user and group names) is computed once per session and caller, by
# site_rls_compute(), and kept:
#   - in session settings, one a field (`site.ctx_<field>`), and in `site.ctx_for` the policy
#     tables' epoch and the caller they were computed for;
#   - checked against the epoch (site_rls_epoch, bumped by a trigger whenever a policy table is
#     written) once per transaction, which marks it in `site.ctx_tx` (local, cleared by the
#     same trigger);
# so a policy reads a field once per statement from a setting, for a few microseconds. A
# reporting login's context is never kept (it may set any setting itself: site_rls_caller()
# decides who it is, every time).
# The records' policy finds an owner key of the row by the owner table's unique index (one probe
# per row), the index tables' by a hashed set of the caller's owned records, shares as a hashed
# set; the owner and index tables' indexes hold app_id, so that their own policies are answered
# from the index.
# The rule, its equivalence with site_model.acl and the reporting view are 0013's.

import importlib

from django.db import migrations

old = importlib.import_module("records.migrations.0013_row_security")

FUNCTIONS = r"""
CREATE TYPE site_rls_context AS (
  trusted boolean, whole_apps text[], edit_apps text[], author_apps text[],
  keys text[], author_keys text[], principals text[], user_name text, group_names text[]
);

CREATE TABLE site_rls_epoch (epoch bigint NOT NULL);
INSERT INTO site_rls_epoch VALUES (1);

CREATE FUNCTION site_rls_policies_written() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  UPDATE site_rls_epoch SET epoch = epoch + 1;
  PERFORM set_config('site.ctx_tx', '', true);  -- the fields are read again
  RETURN NULL;
END
$$;
CREATE TRIGGER site_rls_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON records_policyapp
  FOR EACH STATEMENT EXECUTE FUNCTION site_rls_policies_written();
CREATE TRIGGER site_rls_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON records_policyright
  FOR EACH STATEMENT EXECUTE FUNCTION site_rls_policies_written();
CREATE TRIGGER site_rls_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON records_policyrole
  FOR EACH STATEMENT EXECUTE FUNCTION site_rls_policies_written();

-- Who asks, as text: a reporting login (named reporting_..., records/reporting.py) is the user
-- it was made for (site_rls_caller() reads it); any other session is what it set.
CREATE FUNCTION site_rls_caller_text() RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN session_user::text LIKE 'reporting\_%' THEN site_rls_caller()::text
              ELSE nullif(current_setting('site.caller', true), '') END
$$;

-- The caller's context from the policy tables (0013's helpers in one pass).
CREATE FUNCTION site_rls_compute(caller text) RETURNS site_rls_context
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  c jsonb := caller::jsonb;
  r site_rls_context;
  principals text[];
BEGIN
  r.trusted := coalesce((c ->> 'trusted')::boolean, false);
  r.user_name := coalesce(c ->> 'user', '');
  r.group_names := ARRAY(SELECT jsonb_array_elements_text(c -> 'groups'));
  principals := CASE
    WHEN r.user_name = '' THEN ARRAY['*']
    ELSE ARRAY['*', 'authenticated']
      || ARRAY(
        SELECT name FROM (
          SELECT c ->> 'user'
          UNION ALL SELECT jsonb_array_elements_text(c -> 'groups')
          UNION ALL SELECT jsonb_array_elements_text(c -> 'profile')
        ) AS names (name)
        WHERE strpos(name, '@') = 0)
      || ARRAY(SELECT c ->> 'email' WHERE coalesce(c ->> 'email', '') <> '')
  END;
  WITH levels AS (
    SELECT p.app_id::text AS app_id, max(p.rank)::integer AS level FROM records_policyright p
     WHERE p.match = ANY (principals) GROUP BY p.app_id)
  SELECT
    coalesce(array_agg(l.app_id) FILTER (
      WHERE a.app_id IS NOT NULL
        AND (l.level >= 3 OR (l.level >= 1 AND jsonb_array_length(a.row_owners) = 0))), '{}'),
    coalesce(array_agg(l.app_id) FILTER (WHERE l.level >= 3), '{}'),
    coalesce(array_agg(l.app_id) FILTER (WHERE l.level >= 2), '{}')
    INTO r.whole_apps, r.edit_apps, r.author_apps
    FROM levels l LEFT JOIN records_policyapp a ON a.app_id = l.app_id;
  WITH apps AS (
    SELECT l.app_id, l.level, a.row_owners FROM (
      SELECT p.app_id::text AS app_id, max(p.rank)::integer AS level FROM records_policyright p
       WHERE p.match = ANY (principals) GROUP BY p.app_id) l
      JOIN records_policyapp a ON a.app_id = l.app_id
     WHERE l.level BETWEEN 1 AND 2 AND r.user_name <> ''),
  names AS (
    SELECT apps.app_id, n.name FROM apps, LATERAL (
      SELECT c ->> 'user'
      UNION ALL SELECT jsonb_array_elements_text(c -> 'groups')
      UNION ALL SELECT jsonb_array_elements_text(c -> 'profile')
      UNION ALL SELECT DISTINCT o.role::text FROM records_policyrole o
       WHERE o.app_id = apps.app_id AND o.match = ANY (principals)
    ) AS n (name)
     WHERE strpos(n.name, '@') = 0 AND n.name NOT IN ('', '*', 'authenticated')
    UNION ALL
    SELECT apps.app_id, c ->> 'email' FROM apps WHERE coalesce(c ->> 'email', '') <> ''),
  keys AS (
    SELECT apps.app_id, apps.level, '_author' AS item, 'a:' || r.user_name AS principal
      FROM apps
    UNION ALL
    SELECT apps.app_id, apps.level, owner.item, 'o:' || names.name
      FROM names JOIN apps ON apps.app_id = names.app_id,
           jsonb_array_elements_text(apps.row_owners) AS owner (item))
  -- A key as the policies compare an owner row: app, item and principal joined by \x1f.
  SELECT coalesce(array_agg(k.app_id || E'\x1f' || k.item || E'\x1f' || k.principal), '{}'),
         coalesce(array_agg(k.app_id || E'\x1f' || k.item || E'\x1f' || k.principal)
                    FILTER (WHERE k.level = 2), '{}'),
         coalesce(array_agg(DISTINCT k.principal), '{}')
    INTO r.keys, r.author_keys, r.principals
    FROM keys k;
  RETURN r;
END
$$;

-- One field of the caller's context, as text. The session keeps the fields in settings
-- (`site.ctx_<field>`), and in `site.ctx_for` the epoch and caller they were computed for; the
-- transaction, in `site.ctx_tx`, '+' and the caller it found them current for (the epoch read
-- once; '+': no caller, '' once the transaction is over or the trigger cleared it, never
-- matches).
-- A reporting login's are computed every time.
CREATE FUNCTION site_rls_ctx_field(field text) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  reporting boolean := session_user::text LIKE 'reporting\_%';
  caller text;
  kept text;
  c site_rls_context;
BEGIN
  IF NOT reporting
     AND current_setting('site.ctx_tx', true) = '+' || current_setting('site.caller', true) THEN
    RETURN current_setting('site.ctx_' || field, true);
  END IF;
  caller := site_rls_caller_text();
  IF caller IS NULL THEN
    RETURN NULL;
  END IF;
  IF NOT reporting THEN
    kept := coalesce((SELECT e.epoch FROM site_rls_epoch e), 0) || ' ' || caller;
    IF current_setting('site.ctx_for', true) IS DISTINCT FROM kept THEN
      c := site_rls_compute(caller);
      PERFORM set_config('site.ctx_trusted', c.trusted::text, false),
              set_config('site.ctx_whole', c.whole_apps::text, false),
              set_config('site.ctx_edit', c.edit_apps::text, false),
              set_config('site.ctx_author', c.author_apps::text, false),
              set_config('site.ctx_keys', c.keys::text, false),
              set_config('site.ctx_author_keys', c.author_keys::text, false),
              set_config('site.ctx_principals', c.principals::text, false),
              set_config('site.ctx_user', c.user_name, false),
              set_config('site.ctx_groups', c.group_names::text, false),
              set_config('site.ctx_for', kept, false);
    END IF;
    PERFORM set_config('site.ctx_tx', '+' || caller, true);
    RETURN current_setting('site.ctx_' || field, true);
  END IF;
  c := site_rls_compute(caller);
  RETURN CASE field
    WHEN 'trusted' THEN c.trusted::text WHEN 'whole' THEN c.whole_apps::text
    WHEN 'edit' THEN c.edit_apps::text WHEN 'author' THEN c.author_apps::text
    WHEN 'keys' THEN c.keys::text WHEN 'author_keys' THEN c.author_keys::text
    WHEN 'principals' THEN c.principals::text
    WHEN 'user' THEN c.user_name WHEN 'groups' THEN c.group_names::text
  END;
END
$$;

-- The records a share with `codename` names the caller in (by user name, by group name).
CREATE FUNCTION site_rls_shared_ids(codename text) RETURNS TABLE (record_id bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 20
SET search_path = pg_catalog, public, pg_temp SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
  user_name text := site_rls_ctx_field('user');
  group_names text[] := site_rls_ctx_field('groups')::text[];
BEGIN
  RETURN QUERY
  SELECT s.content_object_id::bigint FROM ownership_recordusershare s
   WHERE s.user_id = ANY (ARRAY(SELECT u.id FROM auth_user u WHERE u.username = user_name))
     AND s.permission_id = ANY (ARRAY(SELECT p.id FROM auth_permission p WHERE p.codename = $1))
  UNION ALL
  SELECT s.content_object_id::bigint FROM ownership_recordgroupshare s
   WHERE s.group_id = ANY (ARRAY(SELECT g.id FROM auth_group g WHERE g.name = ANY (group_names)))
     AND s.permission_id = ANY (ARRAY(SELECT p.id FROM auth_permission p WHERE p.codename = $1));
END
$$;

-- `record` has an owner row naming the caller: for the share tables' policies, where a row
-- reached by another way is rare (a function keeps their plans small).
CREATE FUNCTION site_rls_owns(record bigint) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  RETURN EXISTS (
    SELECT 1 FROM ownership_recordowner o WHERE o.record_id = record
       AND (o.app_id || E'\x1f' || o.item || E'\x1f' || o.principal)
           = ANY (site_rls_ctx_field('keys')::text[]));
END
$$;

"""

# Django's indexes of the owner and index tables, as they were, and here with the app's id in
# them too: the policies read it, so without it every row they test was read from the table
# (no index-only scan). Same names and keys: Django still finds them.
INDEXES = [
    "ALTER TABLE ownership_recordowner DROP CONSTRAINT owner_key_unique_per_record,"
    " ADD CONSTRAINT owner_key_unique_per_record UNIQUE (record_id, item, principal){}",
    "DROP INDEX owner_principal_item_rec;"
    " CREATE INDEX owner_principal_item_rec ON ownership_recordowner (principal, item, record_id){}",
    "DROP INDEX entry_values;"
    " CREATE INDEX entry_values ON records_indexentry"
    " (record_id, index, value_number, value_date, value_text){}",
]


def indexes(with_app: bool):
    for statement in INDEXES:
        yield statement.format(" INCLUDE (app_id)" if with_app else "")


DROP_FUNCTIONS = """
DROP FUNCTION site_rls_owns(bigint);
DROP FUNCTION site_rls_shared_ids(text);
DROP FUNCTION site_rls_ctx_field(text);
DROP FUNCTION site_rls_compute(text);
DROP FUNCTION site_rls_caller_text();
DROP TRIGGER site_rls_epoch ON records_policyapp;
DROP TRIGGER site_rls_epoch ON records_policyright;
DROP TRIGGER site_rls_epoch ON records_policyrole;
DROP FUNCTION site_rls_policies_written();
DROP TABLE site_rls_epoch;
DROP TYPE site_rls_context;
"""


# A field of the caller's context as the policies read it: the transaction's setting when it
# holds the fields for the caller of the moment (never for a reporting login, which may set any
# setting itself), else site_rls_ctx_field(). Written out, not as an SQL function: inlining one
# parses its text again at every planning (~25 us a use).
FIELD = (
    "(CASE WHEN session_user::text NOT LIKE 'reporting\\_%'"
    " AND current_setting('site.ctx_tx', true) = '+' || current_setting('site.caller', true)"
    " THEN current_setting('site.ctx_{0}', true) ELSE site_rls_ctx_field('{0}') END)"
)


def context(field: str, cast: str = "") -> str:
    """A field of the caller's context, read once per statement (an InitPlan) and cast there,
    so that a row compares with the value parsed once. An array is cast outside too (a no-op:
    `ANY ((SELECT ...))` alone would read as a subquery's rows)."""
    return f"(SELECT {FIELD.format(field)}{cast}){cast}"


def apps(field: str) -> str:
    return context(field, "::text[]")


TRUSTED = context("trusted", "::boolean")
KEY = "({0}.app_id || E'\\x1f' || {0}.item || E'\\x1f' || {0}.principal)"


RECORD = "records_record.id"  # qualified: the owner table has an `id` too


def owned(record: str, author: bool = False) -> str:
    """`record` (a qualified id column) has an owner row naming the caller: one probe of the
    owner table's (record, principal) index per row, which the caller's principals narrow to
    their rows before the owner table's own policy matches the keys. At `author`, only an
    author's keys count."""
    keys = f" AND {KEY.format('o')} = ANY ({apps('author_keys')})" if author else ""
    return (
        f"EXISTS (SELECT 1 FROM ownership_recordowner o WHERE o.record_id = {record}"
        f" AND o.principal = ANY ({apps('principals')}){keys})"
    )


def owned_set(record: str) -> str:
    """`owned` as one hashed set per statement: for the index tables, whose rows a statement
    reads many of (a search's or an aggregate's subqueries, one row per record)."""
    return (
        f"{record} IN (SELECT o.record_id FROM ownership_recordowner o"
        f" WHERE o.principal = ANY ({apps('principals')}))"
    )


def shared(record: str, codename: str) -> str:
    return f"{record} IN (SELECT record_id FROM site_rls_shared_ids('{codename}'))"


def readable(record: str, app: str, owner=owned) -> str:
    return (
        f"{TRUSTED} OR {app} = ANY ({apps('whole')}) OR {owner(record)}"
        f" OR {shared(record, 'view_record')}"
    )


def may(permission: str) -> str:
    """edit or delete a record: read it, and editor, a share with it, or an author owning it."""
    return (
        f"({readable(RECORD, 'app_id')}) AND ({TRUSTED}"
        f" OR app_id = ANY ({apps('edit')})"
        f" OR {shared(RECORD, permission)} OR {owned(RECORD, author=True)})"
    )


CALLER_ID = f"(SELECT id FROM auth_user WHERE username = {context('user')})"

POLICIES = {
    "records_record": [
        f"FOR SELECT USING ({readable(RECORD, 'app_id')})",
        f"FOR UPDATE USING ({may('change_record')}) WITH CHECK ({TRUSTED}"
        f" OR app_id = ANY ({apps('author')}) OR {shared(RECORD, 'change_record')})",
        f"FOR DELETE USING ({may('delete_record')})",
        f"FOR INSERT WITH CHECK ({TRUSTED} OR app_id = ANY ({apps('author')}))",
    ],
    "records_indexentry": [
        f"FOR SELECT USING ({readable('records_indexentry.record_id', 'app_id', owned_set)})"
    ],
    "records_indextext": [
        f"FOR SELECT USING ({readable('records_indextext.record_id', 'app_id', owned_set)})"
    ],
    "ownership_recordowner": [
        f"FOR SELECT USING ({TRUSTED} OR app_id = ANY ({apps('whole')})"
        f" OR {KEY.format('ownership_recordowner')} = ANY ({apps('keys')}))"
    ],
    "ownership_recordusershare": [
        f"FOR SELECT USING ({TRUSTED} OR user_id = {CALLER_ID}"
        f" OR app_id = ANY ({apps('whole')})"
        " OR site_rls_owns(content_object_id))"
    ],
    "ownership_recordgroupshare": [
        f"FOR SELECT USING ({TRUSTED} OR group_id IN (SELECT id FROM auth_group"
        f" WHERE name = ANY ({apps('groups')}))"
        f" OR app_id = ANY ({apps('whole')})"
        " OR site_rls_owns(content_object_id))"
    ],
    "records_upload": [
        f"FOR SELECT USING ({TRUSTED}"
        " OR EXISTS (SELECT 1 FROM records_record r WHERE r.id = records_upload.record_id))"
    ],
    "records_recordversion": [
        f"FOR SELECT USING ({TRUSTED} OR app_id = ANY ({apps('edit')})"
        " OR EXISTS (SELECT 1 FROM records_record r"
        " WHERE r.app_id = records_recordversion.app_id"
        " AND r.record_id = records_recordversion.record_id))"
    ],
    "records_job": [f"USING ({TRUSTED} OR creator_id = {CALLER_ID})"],
}


# The server's own writes of the tables it alone writes (the records' own policies name it).
# One policy per command, not one for ALL: a SELECT plans no second test of the same thing.
SERVER_WRITES = {
    "insert": f"FOR INSERT WITH CHECK ({TRUSTED})",
    "update": f"FOR UPDATE USING ({TRUSTED}) WITH CHECK ({TRUSTED})",
    "delete": f"FOR DELETE USING ({TRUSTED})",
}
SERVER_WRITTEN = [t for t in POLICIES if t not in ("records_record", "records_job")]


def create_policies():
    for table, found in POLICIES.items():
        for number, policy in enumerate(found, start=1):
            yield f"CREATE POLICY site_{number} ON {table} {policy}"
    for table in SERVER_WRITTEN:
        for command, policy in SERVER_WRITES.items():
            yield f"CREATE POLICY site_server_{command} ON {table} {policy}"


def drop_policies():
    for table, found in POLICIES.items():
        for number in range(1, len(found) + 1):
            yield f"DROP POLICY site_{number} ON {table}"
    for table in SERVER_WRITTEN:
        for command in SERVER_WRITES:
            yield f"DROP POLICY site_server_{command} ON {table}"


def old_policies(create: bool):
    for table, found in old.POLICIES.items():
        for number, policy in enumerate(found, start=1):
            yield (
                f"CREATE POLICY site_{number} ON {table} {policy}"
                if create
                else f"DROP POLICY site_{number} ON {table}"
            )
        if table != "records_job":  # as 0013 made them
            yield (
                f"CREATE POLICY site_server ON {table} USING ({old.TRUSTED})"
                f" WITH CHECK ({old.TRUSTED})"
                if create
                else f"DROP POLICY site_server ON {table}"
            )


def forward_statements():
    yield from old_policies(create=False)
    yield FUNCTIONS
    yield from indexes(with_app=True)
    yield from create_policies()


def backward_statements():
    yield from drop_policies()
    yield from old_policies(create=True)
    yield DROP_FUNCTIONS
    yield from indexes(with_app=False)


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            for statement in statements():
                cursor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("records", "0017_reporting_caller_loses")]

    operations = [migrations.RunPython(run(forward_statements), run(backward_statements))]
