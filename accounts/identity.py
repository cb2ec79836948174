"""Who the visitor is, for the permission core: `who_for(user)` -> `records.acl.Who`."""

from __future__ import annotations

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
        email=user.email or "",
        groups=frozenset(user.groups.values_list("name", flat=True)),
        is_superuser=user.is_superuser,
        is_verified=bool(is_verified()) if callable(is_verified) else False,
    )
    user._site_who = who
    return who
