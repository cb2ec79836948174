"""THE permission core: every access decision of the site is made here.

Pages, blocks, element calls, the record routes, the JSON API and block code all ask the
functions below; none of them compares group names itself. Pure Python: this module imports
nothing from Django and sees no request, so it can be tested exhaustively without a database.

Rights are cumulative (manager > editor > author > reader); superusers are managers of every
app and pass every `view_permission`. Deny by default: an app with no ACL gives nobody but
managers access to its records.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

RIGHTS = ("reader", "author", "editor", "manager")
RANK = {right: rank for rank, right in enumerate(RIGHTS, start=1)}
SHARE_PERMISSIONS = ("view", "edit", "delete")


class Verdict(enum.Enum):
    ALLOW = "allow"
    LOGIN = "login"  # anonymous and not allowed: 401, or a redirect to the login page
    FORBID = "forbid"  # signed in and not allowed: 403
    HIDE = "hide"  # not even allowed to know it exists: 404

    def __bool__(self) -> bool:
        return self is Verdict.ALLOW


@dataclass(frozen=True)
class Who:
    """The visitor as the permission core sees them; built once per request."""

    username: str | None = None
    email: str = ""
    groups: frozenset[str] = frozenset()
    is_superuser: bool = False
    is_verified: bool = False

    @property
    def is_authenticated(self) -> bool:
        return self.username is not None


ANONYMOUS = Who()


def names(principal: str, who: Who, roles: Iterable[str] = ()) -> bool:
    """Does one principal name this visitor?

    '*' is everyone, `authenticated` any signed-in user, a string with '@' an e-mail address
    (case-insensitive), anything else a user name, a group name or one of `roles`.
    """
    if principal == "*":
        return True
    if not who.is_authenticated:
        return False
    if principal == "authenticated":
        return True
    if "@" in principal:
        return bool(who.email) and principal.casefold() == who.email.casefold()
    return principal == who.username or principal in who.groups or principal in roles


def names_any(principals: Iterable[str], who: Who, roles: Iterable[str] = ()) -> bool:
    roles = frozenset(roles)
    return any(names(principal, who, roles) for principal in principals)


def refuse(who: Who) -> Verdict:
    return Verdict.FORBID if who.is_authenticated else Verdict.LOGIN


def can_see(principals: Iterable[str], who: Who) -> Verdict:
    """`view_permission` of a page or a block."""
    if who.is_superuser or names_any(principals, who):
        return Verdict.ALLOW
    return refuse(who)


@dataclass(frozen=True)
class RecordFacts:
    """What the core needs to know of one record: who wrote it, who owns it, what is shared."""

    author: str | None = None
    owner_values: tuple[str, ...] = ()
    shared: frozenset[str] = frozenset()  # share permissions granted to this visitor


@dataclass(frozen=True)
class Access:
    """One visitor's rights and roles in one app."""

    who: Who
    level: int = 0
    roles: frozenset[str] = frozenset()
    row_owners: tuple[str, ...] = ()

    def has_right(self, right: str) -> bool:
        return self.level >= RANK[right]

    @property
    def rights(self) -> tuple[str, ...]:
        return tuple(right for right in RIGHTS if self.has_right(right))

    @property
    def sees_all_rows(self) -> bool:
        """Editors and managers are not filtered by row-level security."""
        return not self.row_owners or self.has_right("editor")

    def owns(self, facts: RecordFacts) -> bool:
        if not self.who.is_authenticated:
            return False
        if facts.author is not None and facts.author == self.who.username:
            return True
        return bool(self.row_owners) and names_any(
            (value for value in facts.owner_values if value not in ("*", "authenticated")),
            self.who,
            self.roles,
        )

    def can(self, action: str, facts: RecordFacts | None = None) -> Verdict:
        """May this visitor do `action` (view, create, edit, delete, delete_all, share, manage)?

        Without `facts` the question is about the app as a whole (may they list, create...);
        with them it is about one record, and a record they may not read is HIDE (404).
        """
        if facts is None:
            return self._can_in_app(action)
        if not self._can_read(facts):
            return (
                Verdict.HIDE
                if self.who.is_authenticated or self.has_right("reader")
                else refuse(self.who)
            )
        if action == "view":
            return Verdict.ALLOW
        if action in ("edit", "delete"):
            if self.has_right("editor") or action in facts.shared:
                return Verdict.ALLOW
            if self.has_right("author") and self.owns(facts):
                return Verdict.ALLOW
            return refuse(self.who)
        if action == "share":
            if self.has_right("editor") or (
                self.who.is_authenticated and facts.author == self.who.username
            ):
                return Verdict.ALLOW
            return refuse(self.who)
        return self._can_in_app(action)

    def _can_read(self, facts: RecordFacts) -> bool:
        if "view" in facts.shared:
            return True
        if not self.has_right("reader"):
            return False
        return self.sees_all_rows or self.owns(facts)

    def _can_in_app(self, action: str) -> Verdict:
        needed = {
            "view": "reader",
            "create": "author",
            "edit": "author",
            "delete": "author",
            "share": "author",
            "delete_all": "editor",
            "manage": "manager",
        }.get(action)
        if needed is None:
            raise ValueError(f"unknown action {action!r}")
        return Verdict.ALLOW if self.has_right(needed) else refuse(self.who)


@dataclass(frozen=True)
class AclRules:
    """The part of an app's `acl` the core reads (blocks.spec.AclSpec has this shape)."""

    rights: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    row_owners: tuple[str, ...] = ()


def access_for(acl: AclRules | None, who: Who) -> Access:
    """Rights and roles of `who` in an app with this ACL (None: no ACL, managers only)."""
    roles = frozenset(
        role
        for role, principals in (acl.roles.items() if acl else ())
        if names_any(principals, who)
    )
    if who.is_superuser:
        level = RANK["manager"]
    elif acl is None:
        level = 0
    else:
        level = max(
            (RANK[right] for right, principals in acl.rights.items() if names_any(principals, who)),
            default=0,
        )
    return Access(who=who, level=level, roles=roles, row_owners=acl.row_owners if acl else ())
