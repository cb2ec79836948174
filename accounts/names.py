"""Names that cannot be claimed (contract §7 "Names"): may a new user or group take a name?

A principal is a bare name in one namespace (`site_model.acl.names`): a user name, a group, a role
of an app, or a name that records carry as an owner value or `_author`. An account that took
such a name would be named by every ACL entry, owner item and `_author` stamp meant for
someone or something else, and would read their rows. So a new name (a sign-up, a social
sign-up, an invitation, a user or group created or renamed in the admin) must be one the site
does not use yet. Names compare after NFKC normalisation and case folding: `ｂｏｂ` is `Bob` is
`bob`; and names are stored NFKC-normalised, so `ｂｏｂ` never sits beside `bob`.

What is looked up here: `*`, `authenticated`, anything with `@` (an e-mail address), users,
groups (of the database and of settings.yaml `groups`) and the roles of every app. Packages
above accounts add what they know with `register()` from their `AppConfig.ready()`
(records.ownership: the owner values and `_author` of records), so this module imports nothing
from them.

    >>> fold("ＢＯＢ"), normalize("ｂｏｂ")
    ('bob', 'bob')
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from site_model.loader import current_site

from . import audit

USER = "user"
GROUP = "group"
KINDS = (USER, GROUP)

# The refusal a visitor sees: it says the name is taken, never by whom (that would tell a
# stranger which names records carry).
TAKEN = gettext_lazy("This name is taken. Choose another one.")

# `*` names everyone and `authenticated` every signed-in user (site_model.acl.names).
RESERVED = ("*", "authenticated")

# A source answers "what uses this folded name?" with a few words for the audit trail, or None.
NameSource = Callable[[str], "str | None"]
_sources: dict[str, tuple[NameSource, tuple[str, ...]]] = {}


def normalize(name: str) -> str:
    """The form a name is stored in: NFKC (as Django's `normalize_username`)."""
    return unicodedata.normalize("NFKC", name)


def fold(name: str) -> str:
    """The form names are compared in: NFKC, case-folded (Unicode's NFKC_Casefold, nearly)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def register(key: str, source: NameSource, *, kinds: Iterable[str] = KINDS) -> None:
    """Add a source of names, asked when a name of one of `kinds` is about to be taken.

    `key` names the source (registering the same key again replaces it, so `ready()` may run
    twice). A source receives the folded name and returns what uses it, or None.
    """
    kinds = tuple(kinds)
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown kind '{unknown[0]}' of name; kinds: {', '.join(KINDS)}")
    _sources[key] = (source, kinds)


def unregister(key: str) -> None:
    _sources.pop(key, None)


def folded_rows(queryset: QuerySet, field: str, name: str) -> list:
    """The rows whose `field` folds as `name` does. One query: the database compares ASCII
    case (`iexact`), and rows holding anything else are compared here after folding (few:
    names are mostly ASCII), since a database's own case rules are not Unicode's case folding."""
    folded = fold(name)
    plain = Q(**{f"{field}__regex": r"^[ -~]*$"})
    rows = queryset.filter(Q(**{f"{field}__iexact": folded}) | ~plain)
    return [row for row in rows if fold(getattr(row, field) or "") == folded]


def user_named(name: str):
    """The user whose user name is `name`, compared as names are (NFKC, case-folded), or None.
    An exact match wins over a folded one."""
    User = get_user_model()
    field = User.USERNAME_FIELD
    exact = User._default_manager.filter(**{field: name}).first()
    if exact is not None:
        return exact
    found = folded_rows(User._default_manager.all(), field, name)
    return found[0] if len(found) == 1 else None


def _matching(queryset: QuerySet, field: str, folded: str) -> bool:
    """Does a row's `field` fold to `folded`? (`folded_rows`, reading only the field.)"""
    plain = Q(**{f"{field}__regex": r"^[ -~]*$"})
    rows = queryset.filter(Q(**{f"{field}__iexact": folded}) | ~plain)
    return any(fold(name) == folded for name in rows.values_list(field, flat=True))


def _reserved(folded: str) -> str | None:
    if not folded.strip():
        return "an empty name"
    if "@" in folded:
        return "an e-mail address"
    if folded in RESERVED:
        return f"the principal '{folded}'"
    return None


def _users(folded: str) -> str | None:
    User = get_user_model()
    if _matching(User._default_manager.all(), User.USERNAME_FIELD, folded):
        return "a user"
    return None


def _groups(folded: str) -> str | None:
    if _matching(Group.objects.all(), "name", folded):
        return "a group"
    return None


def _site_groups(folded: str) -> str | None:
    # A group settings.yaml names (it may not exist in the database yet). Not asked for a
    # group: creating the group settings.yaml names is what the list is for.
    if any(fold(name) == folded for name in current_site().settings.groups):
        return "a group of settings.yaml"
    return None


def _roles(folded: str) -> str | None:
    for app in current_site().apps.values():
        if app.acl is not None and any(fold(role) == folded for role in app.acl.roles):
            return f"a role of app '{app.id}'"
    return None


_BUILT_IN: tuple[tuple[NameSource, tuple[str, ...]], ...] = (
    (_reserved, KINDS),
    (_users, KINDS),
    (_groups, KINDS),
    (_site_groups, (USER,)),
    (_roles, KINDS),
)


def taken_by(name: str, *, kind: str = USER) -> str | None:
    """What already uses `name` (compared folded) for a new name of `kind`, or None.

    >>> taken_by("Authenticated")
    "the principal 'authenticated'"
    """
    folded = fold(name)
    for source, kinds in (*_BUILT_IN, *_sources.values()):
        if kind in kinds:
            found = source(folded)
            if found:
                return found
    return None


def name_check(
    name: str,
    *,
    kind: str = USER,
    current: str | None = None,
    request=None,
    record_refusal: bool = True,
) -> str:
    """`name` normalised (NFKC), or ValidationError(TAKEN, code="name_taken") when it is taken.

    `current` is the name the user or group has now (a rename): keeping it, in any case or
    width, is no new claim. A refusal goes to the audit trail unless `record_refusal` is false (names
    a program tries one after another, as allauth's generated ones).
    """
    name = normalize(name)
    if current is not None and fold(current) == fold(name):
        return name
    found = taken_by(name, kind=kind)
    if found is None:
        return name
    if record_refusal:
        audit.record(
            audit.Kind.NAME_REFUSED,
            request=request,
            username=name,
            detail=f"{kind} name refused: {found}",
        )
    raise ValidationError(TAKEN, code="name_taken")
