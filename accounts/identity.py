"""Who the visitor is, for the permission core: `who_for(user)` -> `site_model.acl.Who`."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections, router
from django_otp.plugins.otp_totp.models import TOTPDevice

from site_model.acl import ANONYMOUS, Who, profile_principals
from site_model.loader import current_site

from .models import ApiToken, Profile, Session
from .rows import first_instance


@dataclass(frozen=True)
class Identity:
    """What a request needs to know of its signed-in user, read in one query (`identity_for`):
    their principals for the permission core, and whether they have a confirmed TOTP device
    (for the second-factor middleware and the Bearer check, accounts/otp.py)."""

    who: Who
    has_device: bool
    profile: dict  # the values of the profile fields settings.yaml declares (`users.fields`)


def who_for(user) -> Who:
    """The visitor's principals, read once per request and kept on the user object."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    return identity_for(user).who


def identity_for(user) -> Identity:
    """The signed-in `user`'s groups, e-mail principal and device, in one query, kept on the user
    object (a new one each request): the request's budget (records/tests/test_query_budget.py)
    has room for one query about the visitor, whatever asks (middleware, Bearer check, gate).

    Only the second-factor middleware and the API's Bearer check read `has_device` from here, at
    the start of a request; anything that changes devices asks `otp.has_device()`, which always
    reads the table.
    """
    cached = getattr(user, "_site_identity", None)
    if cached is not None:
        return cached
    rows = getattr(user, "_site_identity_rows", None)
    groups, email_rows, has_device, stored = rows if rows is not None else _identity_rows(user)
    profile = declared_values(stored)
    email = user.email or ""
    is_verified = getattr(user, "is_verified", None)
    who = Who(
        username=user.get_username(),
        email=email if email and email_counts(user.pk, email_rows) else "",
        groups=frozenset(groups),
        is_superuser=user.is_superuser,
        is_verified=bool(is_verified()) if callable(is_verified) else False,
        profile=profile_principals(profile),
    )
    user._site_identity = found = Identity(who=who, has_device=has_device, profile=profile)
    return found


def declared_values(stored) -> dict:
    """The stored profile values of the fields `users.fields` declares now: a field taken out
    of settings.yaml names nobody any more, though its values stay stored."""
    if not stored:
        return {}
    values = json.loads(stored) if isinstance(stored, str) else stored
    if not isinstance(values, dict):
        return {}
    fields = current_site().settings.profile_fields
    return {name: value for name, value in values.items() if name in fields}


def _identity_rows(user) -> tuple[list[str], list[tuple[object, bool]], bool, str | None]:
    groups, email_rows, has_device, profile = [], [], False, None
    with connections[router.db_for_read(EmailAddress)].cursor() as cursor:
        sql, params = _identity_sql(cursor.db, user.pk, user.email or "")
        cursor.execute(sql, params)
        for kind, name, mine, verified in cursor.fetchall():
            if kind == "g":
                groups.append(name)
            elif kind == "e":
                email_rows.append((user.pk if mine else None, bool(verified)))
            elif kind == "p":
                profile = name
            else:
                has_device = True
    return groups, email_rows, has_device, profile


def active_user_with_identity(user_id):
    """The active user `user_id` (or None), with what `identity_for` needs read in the same
    query: one query where `ModelBackend.get_user` and `identity_for` take two. For the
    session's user (accounts.middleware.session_user); on an engine other than SQLite and
    PostgreSQL, the ORM and `identity_for`'s own query."""
    User = get_user_model()
    alias = router.db_for_read(User)
    sql = _user_with_identity_sql(connections[alias])
    if sql is None:
        user = User._default_manager.filter(pk=user_id).first()
    else:
        user = _one(first_instance(User, alias, sql, [True, user_id], IDENTITY_COLUMNS))
    return user if user is not None and user.is_active else None


def token_user_with_identity(key_hash: str, used_before):
    """(the user holding the token whose hash is `key_hash`, the token's id, was it last used
    before `used_before` or never), or None: the token, its user and what `identity_for` needs
    in one query (accounts.tokens.user_for_token). The user may be inactive."""
    User = get_user_model()
    alias = router.db_for_read(ApiToken)
    connection = connections[alias]
    sql = _user_with_identity_sql(connection, "token")
    if sql is None:
        token = ApiToken.objects.select_related("user").filter(key_hash=key_hash).first()
        if token is None:
            return None
        stale = token.last_used is None or token.last_used <= used_before
        return token.user, token.pk, stale
    used_before = connection.ops.adapt_datetimefield_value(used_before)
    user = _one(
        first_instance(
            User, alias, sql, [used_before, True, key_hash], TOKEN_COLUMNS + IDENTITY_COLUMNS
        )
    )
    if user is None:
        return None
    return user, user.site_token_id, bool(user.site_token_stale)


def session_with_user(session_key: str, now):
    """(the data of the session `session_key` if it has not expired at `now`, its user with
    what `identity_for` needs, or None when the row names none), or None when there is no
    such session: one query (accounts.sessions). Also None on an engine other than SQLite
    and PostgreSQL: the caller reads the session alone."""
    User = get_user_model()
    alias = router.db_for_read(Session)
    connection = connections[alias]
    sql = _user_with_identity_sql(connection, "session")
    if sql is None:
        return None
    now = connection.ops.adapt_datetimefield_value(now)
    row = first_instance(
        User, alias, sql, [True, session_key, now], SESSION_COLUMNS + IDENTITY_COLUMNS
    )
    if row is None:
        return None
    if row.pk is None:
        return row.site_session_data, None
    row._site_identity_rows = _rows_of(row)
    return row.site_session_data, row


def _one(user):
    """The user of a query of `_user_with_identity_sql` (or None), its identity rows kept."""
    if user is not None:
        user._site_identity_rows = _rows_of(user)
    return user


def _rows_of(user) -> tuple[list[str], list[tuple[object, bool]], bool, str | None]:
    """The identity columns of `_user_with_identity_sql`, as `_identity_rows` gives them."""
    emails = json.loads(user.site_emails or "[]") if user.email else []
    return (
        json.loads(user.site_groups or "[]"),
        [(user.pk if mine else None, bool(verified)) for mine, verified in emails],
        bool(user.site_device),
        user.site_profile_data,
    )


# Per engine: a JSON array of a subquery's values (as text), a pair, and `e.email` equal to
# `u.email` as Django's `iexact` compares on that engine (SQLite's LIKE folds ASCII case
# alone, as NOCASE does; PostgreSQL compares UPPER()s).
# The columns after the user's fields, in order (`_user_with_identity_sql`).
TOKEN_COLUMNS = ("site_token_id", "site_token_stale")
SESSION_COLUMNS = ("site_session_data",)
IDENTITY_COLUMNS = ("site_groups", "site_device", "site_emails", "site_profile_data")

_ENGINE_SQL = {
    "sqlite": ("json_group_array({})", "json_array({}, {})", "e.email = u.email COLLATE NOCASE"),
    "postgresql": (
        "json_agg({})::text",
        "json_build_array({}, {})",
        "UPPER(e.email::text) = UPPER(u.email::text)",
    ),
}
# The profile's JSON as text, on both engines (jsonb on PostgreSQL, text on SQLite).
PROFILE_TEXT = "CAST(p.data AS text)"


def _user_with_identity_sql(connection, source: str = "id") -> str | None:
    """`_identity_sql_for` this connection's engine (written once each); None on an engine
    other than SQLite and PostgreSQL."""
    if connection.vendor not in _ENGINE_SQL:
        return None
    return _identity_sql_for(connection.vendor, source)


@functools.cache
def _identity_sql_for(vendor: str, source: str) -> str:
    """The user's row, and as three more columns their group names (a JSON array), whether
    they have a confirmed TOTP device, and allauth's rows for their address (a JSON array of
    [is it this user's, is it verified]). Whose, by `source`:
    - "id": the user with an id; parameters: True, the id;
    - "token": the holder of the API token with a given hash, with two more columns, the
      token's id and whether it was last used at or before a given time, or never;
      parameters: that time, True, the hash;
    - "session": the row of a session (accounts.models.Session) that has not expired, with
      its data as one more column, and its user when it has one (else NULL columns);
      parameters: True, the session key, the time now.
    """
    aggregate, pair, same_email = _ENGINE_SQL[vendor]
    User = get_user_model()
    membership = User.groups.through._meta
    group, address, device, token, session, profile = (
        User.groups.field.related_model._meta,
        EmailAddress._meta,
        TOTPDevice._meta,
        ApiToken._meta,
        Session._meta,
        Profile._meta,
    )
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name  # the same on both engines
    columns = ", ".join(f"u.{quote(field.column)}" for field in User._meta.concrete_fields)
    user_id, users = f"u.{quote(User._meta.pk.column)}", User._meta.db_table
    if source == "token":
        columns += (
            ", t.id AS site_token_id, CASE WHEN t.last_used IS NULL OR t.last_used <= %s "
            "THEN 1 ELSE 0 END AS site_token_stale"
        )
        rows = (
            f"FROM {token.db_table} t INNER JOIN {users} u ON {user_id} = t.user_id "
            "WHERE t.key_hash = %s"
        )
    elif source == "session":
        columns += ", s.session_data AS site_session_data"
        rows = (
            f"FROM {session.db_table} s LEFT JOIN {users} u ON {user_id} = s.user_id "
            "WHERE s.session_key = %s AND s.expire_date > %s"
        )
    else:
        rows = f"FROM {users} u WHERE {user_id} = %s"
    return (
        f"SELECT {columns}, "  # noqa: S608 - our table and column names, every value a parameter
        f"(SELECT {aggregate.format('g.name')} FROM {group.db_table} g "
        f"INNER JOIN {membership.db_table} m ON g.id = m.group_id WHERE m.user_id = {user_id}) "
        "AS site_groups, "
        f"EXISTS (SELECT 1 FROM {device.db_table} d "
        f"WHERE d.user_id = {user_id} AND d.confirmed = %s) AS site_device, "
        f"(SELECT {aggregate.format(pair.format(f'e.user_id = {user_id}', 'e.verified'))} "
        f"FROM {address.db_table} e WHERE {same_email}) AS site_emails, "
        f"(SELECT {PROFILE_TEXT} FROM {profile.db_table} p WHERE p.user_id = {user_id}) "
        f"AS site_profile_data {rows}"
    )


NO_FLAG = "CAST(NULL AS integer)"


def _identity_sql(connection, user_id, email: str) -> tuple[str, list]:
    """`UNION ALL` of the user's group names ('g'), allauth's rows for their address ('e':
    is it this user's, is it verified), their confirmed TOTP devices ('d') and their profile
    values ('p', as JSON text).

    Our own table and column names; every value is a parameter. The address compares as
    Django's `iexact` does on each engine (LIKE on SQLite, UPPER() = UPPER() on PostgreSQL).
    """
    User = get_user_model()
    membership = User.groups.through._meta
    group, address, device, profile = (
        User.groups.field.related_model._meta,
        EmailAddress._meta,
        TOTPDevice._meta,
        Profile._meta,
    )
    sql = (
        # Typed NULLs: PostgreSQL resolves the column types of a UNION pair by pair.
        f"SELECT 'g', g.name, {NO_FLAG}, {NO_FLAG} FROM {group.db_table} g "  # noqa: S608 - names, no input
        f"INNER JOIN {membership.db_table} m ON g.id = m.group_id WHERE m.user_id = %s "
        f"UNION ALL SELECT 'd', NULL, {NO_FLAG}, {NO_FLAG} FROM {device.db_table} "
        "WHERE user_id = %s AND confirmed = %s "
        f"UNION ALL SELECT 'p', {PROFILE_TEXT}, {NO_FLAG}, {NO_FLAG} FROM {profile.db_table} p "
        "WHERE p.user_id = %s"
    )
    params: list = [user_id, user_id, True, user_id]
    if email:
        lhs = connection.ops.lookup_cast("iexact", "CharField") % "email"
        match = f"{lhs} {connection.operators['iexact'] % '%s'}"
        value = connection.ops.prep_for_iexact_query(email)
        sql += (
            " UNION ALL SELECT 'e', NULL, CASE WHEN user_id = %s THEN 1 ELSE 0 END, "  # noqa: S608
            f"CASE WHEN verified THEN 1 ELSE 0 END FROM {address.db_table} WHERE {match}"
        )
        params += [user_id, value]
    return sql, params


def principal_email(user) -> str:
    """`user.email` when it is a principal of the user, else "" (one query).

    The rule (`email_counts`): the address counts when allauth has it as a verified address of
    this user, or when neither this user has a row for it nor anybody has it verified (set by
    an administrator, the ORM or createsuperuser). An address typed at sign-up counts only
    once verified, so nobody gains an ACL entry by typing someone's address; and somebody
    else typing it (unverified) takes nothing from the user it belongs to.
    """
    email = user.email or ""
    if not email:
        return ""
    rows = EmailAddress.objects.filter(email__iexact=email).values_list("user_id", "verified")
    return email if email_counts(user.pk, list(rows)) else ""


def email_counts(user_id, rows: list[tuple[object, bool]]) -> bool:
    """Is an address a principal of user `user_id`, given allauth's rows for it (user, verified)?

    >>> email_counts(1, []), email_counts(1, [(1, True)]), email_counts(1, [(1, False)])
    (True, True, False)
    >>> email_counts(1, [(2, False)]), email_counts(1, [(2, True)])
    (True, False)
    """
    if (user_id, True) in rows:
        return True
    return all(holder != user_id and not verified for holder, verified in rows)


def users_named_by_email(address: str) -> list:
    """The users whose `email` is `address` (any case) and a principal of theirs (two queries).

    The rule of `principal_email`: for a share by e-mail, so that it reaches exactly whom an
    owner value with the address names.
    """
    User = get_user_model()
    users = list(User._default_manager.filter(email__iexact=address))
    if not users:
        return []
    rows = list(
        EmailAddress.objects.filter(email__iexact=address).values_list("user_id", "verified")
    )
    return [user for user in users if email_counts(user.pk, rows)]
