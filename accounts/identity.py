"""Who the visitor is, for the permission core: `who_for(user)` -> `records.acl.Who`."""

from __future__ import annotations

from allauth.account.models import EmailAddress

from records.acl import ANONYMOUS, Who


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

    It is when allauth has it as a verified address of this user, or has no row for the
    address at all (set by an administrator, the ORM or createsuperuser). An address typed at
    sign-up counts only once verified, so nobody gains an ACL entry by typing someone's
    address.
    """
    email = user.email or ""
    if not email:
        return ""
    rows = list(EmailAddress.objects.filter(email__iexact=email).values_list("user_id", "verified"))
    if not rows or (user.pk, True) in rows:
        return email
    return ""
