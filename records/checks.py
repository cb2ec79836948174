"""`check --deploy` on PostgreSQL: is the database's row-level security holding (contract §12)?

records.W001: the policies are off (DATABASE_ROW_SECURITY=0) or the site's role passes them
(a superuser, BYPASSRLS): the Python gate alone decides, as on SQLite.
records.W002: the site connects as the role owning the record tables: the policies hold it
(FORCE), but that role may also drop them. Run the site as another role (docs/deploy.md).
records.W003: the database's roles could not be read, so whether the policies hold is unknown.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.db import DatabaseError, connection

POLICIES_OFF = "records.W001"
RUNS_AS_OWNER = "records.W002"
ROLES_UNREADABLE = "records.W003"


@checks.register(checks.Tags.security, deploy=True)
def row_security_holds(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if connection.vendor != "postgresql":
        return []
    if not settings.DATABASE_ROW_SECURITY:
        return [off("DATABASE_ROW_SECURITY is off", "Remove DATABASE_ROW_SECURITY=0.")]
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT r.rolsuper OR r.rolbypassrls, c.relowner = r.oid, c.relforcerowsecurity"
                " FROM pg_roles r, pg_class c"
                " WHERE r.rolname = current_user AND c.relname = 'records_record'"
            )
            row = cursor.fetchone()
    except DatabaseError as exc:
        return [
            checks.Warning(
                f"could not read the database's roles: {exc}",
                hint="Check that the site's role may read pg_roles and pg_class.",
                id=ROLES_UNREADABLE,
            )
        ]
    if row is None:
        return []  # not migrated yet
    bypasses, owns, forced = row
    if bypasses:
        return [
            off(
                f"the site's role {connection.settings_dict['USER']} is a superuser or has "
                "BYPASSRLS",
                "Run the site as a role without either (docs/deploy.md, row-level security).",
            )
        ]
    if not forced:
        return [off("records_record's row-level security is not forced", "Run migrate.")]
    if owns:
        return [
            checks.Warning(
                "the site connects as the role owning the record tables: the policies hold it, "
                "but it could drop them",
                hint="Give the site a role of its own and DATABASE_OWNER_URL to migrate "
                "(docs/deploy.md, row-level security).",
                id=RUNS_AS_OWNER,
            )
        ]
    return []


def off(why: str, hint: str) -> checks.Warning:
    return checks.Warning(
        f"PostgreSQL's row-level security does not hold: {why}; only the Python gate decides",
        hint=hint,
        id=POLICIES_OFF,
    )
