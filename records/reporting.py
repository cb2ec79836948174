"""Reporting logins (contract §12): a PostgreSQL login role for a BI tool (Metabase, psql, a
notebook) that reads the view `reporting.records` as one user of the site.

The role may connect and read that view, nothing else: no table, no write. What the view shows
is decided by the row-level security policies (records migration 0013) for the user the role
was made for: `site_rls_caller()` finds the role in `ReportingLogin` and takes that user's
caller (their groups, verified e-mail and profile values as of the last refresh), ignoring any
`site.caller` the session sets itself; a user made inactive or deleted sees nothing. Rights,
roles and row owners come from the site as it is now, as for the site's own requests.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from django.contrib.auth import get_user_model
from django.db import connections, transaction

from accounts.identity import who_for
from site_model.loader import current_site

from . import policies, rls
from .errors import InvalidInput
from .models import ReportingLogin

VIEW = "reporting.records"


@dataclass(frozen=True)
class Login:
    role: str
    url: str


def alias() -> str:
    """The connection that may create roles: the tables' owner when the site runs as another
    role (`DATABASE_OWNER_URL`), else the site's own."""
    return "owner" if "owner" in connections else "default"


def role_name(username: str) -> str:
    """`reporting_<user name as letters and digits>_<6 hex of it>`: one role per user, a name
    PostgreSQL takes unquoted (63 bytes at most). The prefix is how the policies know a
    reporting login (records migration 0018): never a context kept in its session's settings,
    which it could set itself."""
    slug = re.sub(r"[^a-z0-9]+", "_", username.lower()).strip("_")[:40]
    digest = hashlib.sha256(username.encode()).hexdigest()[:6]
    return f"reporting_{slug}_{digest}" if slug else f"reporting_{digest}"


def needs_postgresql() -> None:
    if connections[alias()].vendor != "postgresql":
        raise InvalidInput(
            "reporting logins need PostgreSQL (a postgres:// DATABASE_URL): "
            "on SQLite the database has no roles to log in as"
        )


def login_grant(username: str) -> Login:
    """Create (or refresh: a new password, the user's caller read again) the login of `username`."""
    needs_postgresql()
    user = get_user_model()._default_manager.filter(username=username, is_active=True).first()
    if user is None:
        raise InvalidInput(f"no active user '{username}'")
    policies.ensure_synced(current_site())
    role, password = role_name(username), secrets.token_urlsafe(24)
    connection = connections[alias()]
    with rls.trusted(), transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            # Role statements take no parameters: the password is quoted by the server.
            cursor.execute("SELECT quote_literal(%s)", [password])
            literal = cursor.fetchone()[0]
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                cursor.execute(
                    f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT "
                    f"NOBYPASSRLS CONNECTION LIMIT 5 PASSWORD {literal}"
                )
            else:
                cursor.execute(f"ALTER ROLE {role} PASSWORD {literal}")
            refuse_if_public_is_writable(cursor, role)
            database = connection.ops.quote_name(connection.settings_dict["NAME"])
            cursor.execute(f"GRANT CONNECT ON DATABASE {database} TO {role}")
            cursor.execute(f"GRANT USAGE ON SCHEMA reporting TO {role}")
            cursor.execute(f"GRANT SELECT ON {VIEW} TO {role}")
        ReportingLogin.objects.using(connection.alias).update_or_create(
            role=role,
            defaults={"username": username, "caller": rls.caller_json(who_for(user))},
        )
    return Login(role=role, url=url_for(connection.settings_dict, role, password))


def refuse_if_public_is_writable(cursor, role: str) -> None:
    """No login while `role` may create in schema `public` (every role could before PostgreSQL
    15): a function planted there (`lower(varchar)`, an exact match where the built-in needs a
    cast) would run as the site's own role when its queries call it. The role just made is
    rolled back with the transaction."""
    cursor.execute("SELECT has_schema_privilege(%s, 'public', 'CREATE')", [role])
    if cursor.fetchone()[0]:
        raise InvalidInput(
            "every role may create objects in schema public (PostgreSQL's default before 15), "
            "so a reporting login could plant functions the site would run: as a superuser, run "
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC (docs/deploy.md) and try again"
        )


def login_revoke(username: str) -> str:
    """Drop the login of `username`; its sessions still open see nothing from now on."""
    needs_postgresql()
    role = role_name(username)
    connection = connections[alias()]
    with rls.trusted(), transaction.atomic(using=connection.alias):
        ReportingLogin.objects.using(connection.alias).filter(role=role).delete()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                raise InvalidInput(f"'{username}' has no reporting login")
            database = connection.ops.quote_name(connection.settings_dict["NAME"])
            cursor.execute(f"REVOKE ALL ON {VIEW} FROM {role}")
            cursor.execute(f"REVOKE ALL ON SCHEMA reporting FROM {role}")
            cursor.execute(f"REVOKE ALL ON DATABASE {database} FROM {role}")
            cursor.execute(f"DROP ROLE {role}")
    return role


def url_for(settings: dict, role: str, password: str) -> str:
    host = settings.get("HOST") or "localhost"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{role}:{quote(password, safe='')}@{host}{port}/{settings['NAME']}"
