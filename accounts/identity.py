"""Who the visitor is, for the permission core: `who_for(user)` -> `site_model.acl.Who`."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import connections, router
from django_otp.plugins.otp_totp.models import TOTPDevice

from site_model.acl import ANONYMOUS, Who


@dataclass(frozen=True)
class Identity:
    """What a request needs to know of its signed-in user, read in one query (`identity_for`):
    their principals for the permission core, and whether they have a confirmed TOTP device
    (for the second-factor middleware and the Bearer check, accounts/otp.py)."""

    who: Who
    has_device: bool


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
    groups, email_rows, has_device = [], [], False
    with connections[router.db_for_read(EmailAddress)].cursor() as cursor:
        sql, params = _identity_sql(cursor.db, user.pk, user.email or "")
        cursor.execute(sql, params)
        for kind, name, mine, verified in cursor.fetchall():
            if kind == "g":
                groups.append(name)
            elif kind == "e":
                email_rows.append((user.pk if mine else None, bool(verified)))
            else:
                has_device = True
    email = user.email or ""
    is_verified = getattr(user, "is_verified", None)
    who = Who(
        username=user.get_username(),
        email=email if email and email_counts(user.pk, email_rows) else "",
        groups=frozenset(groups),
        is_superuser=user.is_superuser,
        is_verified=bool(is_verified()) if callable(is_verified) else False,
    )
    user._site_identity = found = Identity(who=who, has_device=has_device)
    return found


NO_FLAG = "CAST(NULL AS integer)"


def _identity_sql(connection, user_id, email: str) -> tuple[str, list]:
    """`UNION ALL` of the user's group names ('g'), allauth's rows for their address ('e':
    is it this user's, is it verified) and their confirmed TOTP devices ('d').

    Our own table and column names; every value is a parameter. The address compares as
    Django's `iexact` does on each engine (LIKE on SQLite, UPPER() = UPPER() on PostgreSQL).
    """
    User = get_user_model()
    membership = User.groups.through._meta
    group, address, device = (
        User.groups.field.related_model._meta,
        EmailAddress._meta,
        TOTPDevice._meta,
    )
    sql = (
        # Typed NULLs: PostgreSQL resolves the column types of a UNION pair by pair.
        f"SELECT 'g', g.name, {NO_FLAG}, {NO_FLAG} FROM {group.db_table} g "  # noqa: S608 - names, no input
        f"INNER JOIN {membership.db_table} m ON g.id = m.group_id WHERE m.user_id = %s "
        f"UNION ALL SELECT 'd', NULL, {NO_FLAG}, {NO_FLAG} FROM {device.db_table} "
        "WHERE user_id = %s AND confirmed = %s"
    )
    params: list = [user_id, user_id, True]
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
