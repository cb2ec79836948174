"""Who the visitor is, for the permission core: `who_for(user)` -> `blocks.site.acl.Who`."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from blocks.site.acl import ANONYMOUS, Who


def who_for(user) -> Who:
    """The visitor's principals, read once per request and kept on the user object."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, "_site_who", None)
    if cached is not None:
        return cached
    is_verified = getattr(user, "is_verified", None)
    who = Who(
        username=user.get_username(),
        email=principal_email(user),
        groups=frozenset(user.groups.values_list("name", flat=True)),
        is_superuser=user.is_superuser,
        is_verified=bool(is_verified()) if callable(is_verified) else False,
    )
    user._site_who = who
    return who


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
