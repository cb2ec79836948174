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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

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
    # `<field>:<value>` of each profile value that names them (`profile_principals`).
    profile: frozenset[str] = frozenset()

    @property
    def is_authenticated(self) -> bool:
        return self.username is not None


def profile_principals(values: Mapping) -> frozenset[str]:
    """The principals a user's profile values make them: `<field>:<value>` of each text value
    (a CHOICE's choice, say); a list names each of its texts.

    >>> sorted(profile_principals({"team": "east", "phone": "", "tags": ["a", 3], "age": 4}))
    ['tags:a', 'team:east']
    """
    found = set()
    for name, value in values.items():
        for text in value if isinstance(value, list) else (value,):
            if isinstance(text, str) and text:
                found.add(f"{name}:{text}")
    return frozenset(found)


ANONYMOUS = Who()


def names(principal: str, who: Who, roles: Iterable[str] = ()) -> bool:
    """Does one principal name this visitor?

    '*' is everyone, `authenticated` any signed-in user, a string with '@' an e-mail address
    (case-insensitive), `<field>:<value>` everyone whose profile field has that value,
    anything else a user name, a group name or one of `roles`.
    """
    if principal == "*":
        return True
    if not who.is_authenticated:
        return False
    if principal == "authenticated":
        return True
    if "@" in principal:
        return bool(who.email) and principal.casefold() == who.email.casefold()
    return (
        principal == who.username
        or principal in who.groups
        or principal in roles
        or principal in who.profile
    )


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


def readers_beyond(readers: Iterable[str], view_permission: Iterable[str]) -> tuple[str, ...]:
    """The principals of `readers` that `view_permission` does not let in, as written:

    >>> readers_beyond(["*", "staff"], ["admins"])
    ('*', 'staff')
    >>> readers_beyond(["staff", "*"], ["authenticated"])
    ('*',)
    >>> readers_beyond(["staff"], ["*"])
    ()
    """
    allowed = frozenset(view_permission)
    if "*" in allowed:
        return ()
    return tuple(
        dict.fromkeys(
            principal
            for principal in readers
            if principal not in allowed and (principal == "*" or "authenticated" not in allowed)
        )
    )


# --- row owners -------------------------------------------------------------------------------
#
# Who owns a record is decided by comparing keys: the record's owner keys (its author, and the
# values of its owner items) against the keys that name a visitor. The database keeps the
# record's keys in an indexed table (records.ownership), so a list filters with one index
# lookup; the same two functions below decide for one record, so a list and one record cannot
# disagree. Share keys are not stored: the filter matches them against guardian's share rows
# joined (by foreign key) to the user's or group's name as it is now, as one record does.

AUTHOR_KEY = "a:"  # the `_author` stamp: names a user only
OWNER_KEY = "o:"  # an owner item's value: a user name, an e-mail, a group, a role or `team:east`
SHARE_USER_KEY = "su:"  # a `view` share with a user (by user name)
SHARE_GROUP_KEY = "sg:"  # a `view` share with a group (by group name)
NOT_OWNERS = frozenset({"*", "authenticated"})  # these name everybody, so they own nothing
AUTHOR_ITEM = "_author"  # the item an author key comes from
SHARE_ITEM = "_share"  # the pseudo-item of share keys
SHARE_KEYS_PREFIXES = (SHARE_USER_KEY, SHARE_GROUP_KEY)


def owner_values(items: Mapping, row_owners: Iterable[str]) -> tuple[str, ...]:
    """The principals that a record's owner items name: each item a string or a list of them.

    >>> owner_values({"salesman": "bob", "team": ["east", 3]}, ("salesman", "team"))
    ('bob', 'east')
    """
    found: list[str] = []
    for name in row_owners:
        value = items.get(name)
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            found.extend(item for item in value if isinstance(item, str))
    return tuple(found)


def owner_key(value: str) -> str | None:
    """The key of one owner value, as `names()` compares it: e-mails case-insensitive.

    >>> owner_key("Bob@Example.com"), owner_key("east"), owner_key("*")
    ('o:bob@example.com', 'o:east', None)
    """
    if value in NOT_OWNERS or not value:
        return None
    return OWNER_KEY + (value.casefold() if "@" in value else value)


def record_owner_keys(author: str | None, owner_values: Iterable[str] = ()) -> frozenset[str]:
    """A record's owner keys: its author's, and one per owner value."""
    keys = {AUTHOR_KEY + author} if author else set()
    keys.update(key for key in map(owner_key, owner_values) if key is not None)
    return frozenset(keys)


def visitor_owner_keys(who: Who, roles: Iterable[str] = ()) -> frozenset[str]:
    """The owner keys that name a visitor: the rule of `names()`, listed instead of asked.

    A principal holding '@' is an e-mail address, so user, group and role names holding one
    never match an owner value (as in `names()`).
    """
    if not who.is_authenticated:
        return frozenset()
    keys = {AUTHOR_KEY + who.username}
    keys.update(
        OWNER_KEY + name
        for name in (who.username, *who.groups, *roles, *who.profile)
        if "@" not in name and name not in NOT_OWNERS
    )
    if who.email:
        keys.add(OWNER_KEY + who.email.casefold())
    return frozenset(keys)


def share_key(*, user: str | None = None, group: str | None = None) -> str:
    """The key a `view` share with one user or one group leaves on the record."""
    return SHARE_USER_KEY + user if user is not None else SHARE_GROUP_KEY + str(group)


def visitor_share_keys(who: Who) -> frozenset[str]:
    if not who.is_authenticated:
        return frozenset()
    return frozenset({share_key(user=who.username), *(share_key(group=g) for g in who.groups)})


@dataclass(frozen=True)
class RowFilter:
    """Row-level security as data: a row is readable when one of its owner keys that came from
    one of `items` is in `keys`. Built by `Access.row_filter`; records.selectors makes it SQL."""

    items: tuple[str, ...]
    keys: frozenset[str]


@dataclass(frozen=True)
class RecordFacts:
    """What the core needs to know of one record: who wrote it, who owns it, what is shared.

    `owner_items` ((item, value) pairs of `owner_values`) and `shared_by` ((permission, the
    share's principal in words) pairs) only name the rule in an explanation (`Access.decide`);
    no verdict reads them."""

    author: str | None = None
    owner_values: tuple[str, ...] = ()
    shared: frozenset[str] = frozenset()  # share permissions granted to this visitor
    owner_items: tuple[tuple[str, str], ...] = ()
    shared_by: tuple[tuple[str, str], ...] = ()


class Decision(NamedTuple):
    """A verdict and the rule that decided it, in words (contract §10's `because`):
    "editor: group admins", "owner item salesman names alice", "shared with group east: view",
    or what is missing. A tuple: made on every `can`, so cheap to make."""

    verdict: Verdict
    reason: str | Callable[[], str]  # the words, or how to make them when they are read

    @property
    def because(self) -> str:
        return self.reason() if callable(self.reason) else self.reason

    def __bool__(self) -> bool:
        return self.verdict is Verdict.ALLOW


# The right each app-wide action needs.
NEEDED = {
    "view": "reader",
    "create": "author",
    "edit": "author",
    "delete": "author",
    "share": "author",
    "delete_all": "editor",
    "manage": "manager",
}


@dataclass(frozen=True)
class FieldRule:
    """`acl.fields.<item>` (contract §10): who may read and who may write one item of the
    app's records; None follows the record's rights (whoever may read or edit the record)."""

    read: tuple[str, ...] | None = None
    write: tuple[str, ...] | None = None
    line: int = field(default=1, compare=False)  # where settings.yaml names the item


@dataclass(frozen=True)
class Access:
    """One visitor's rights and roles in one app."""

    who: Who
    level: int = 0
    roles: frozenset[str] = frozenset()
    row_owners: tuple[str, ...] = ()
    field_rules: Mapping[str, FieldRule] = field(default_factory=dict, compare=False, hash=False)

    # --- field permissions (contract §10) -----------------------------------------------------
    #
    # On top of the record's verdict: a record the visitor may read shows only the items they
    # may read; an edit may change only the items they may write. Superusers pass every rule,
    # as they pass every `view_permission`. Writing needs reading too: nobody changes what
    # they cannot see.

    def may_read_item(self, item: str) -> bool:
        rule = self.field_rules.get(item)
        return rule is None or self._named_by(rule.read)

    def may_write_item(self, item: str) -> bool:
        rule = self.field_rules.get(item)
        return rule is None or (self._named_by(rule.read) and self._named_by(rule.write))

    @cached_property
    def hidden_items(self) -> frozenset[str]:
        """The items this visitor never receives: absent from every read, and any query,
        sort or group naming one answers as for an item no element declares."""
        return frozenset(item for item in self.field_rules if not self.may_read_item(item))

    @cached_property
    def unwritable_items(self) -> frozenset[str]:
        """The items this visitor may not write (the hidden ones among them)."""
        return frozenset(item for item in self.field_rules if not self.may_write_item(item))

    def _named_by(self, principals: tuple[str, ...] | None) -> bool:
        if principals is None or self.who.is_superuser:
            return True
        return names_any(principals, self.who, self.roles)

    # For explanations only (`decide`'s `because`): the first principal naming the visitor in
    # each right they hold, and the app's rights as written (None: the app has no ACL).
    grants: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)
    rights_written: Mapping[str, tuple[str, ...]] | None = field(
        default=None, compare=False, repr=False
    )

    def has_right(self, right: str) -> bool:
        return self.level >= RANK[right]

    @property
    def rights(self) -> tuple[str, ...]:
        return tuple(right for right in RIGHTS if self.has_right(right))

    @property
    def sees_all_rows(self) -> bool:
        """Editors and managers are not filtered by row-level security."""
        return not self.row_owners or self.has_right("editor")

    @cached_property
    def owner_keys(self) -> frozenset[str]:
        """The owner keys (see `record_owner_keys`) that name this visitor in this app."""
        return visitor_owner_keys(self.who, self.roles)

    @property
    def row_filter(self) -> RowFilter | None:
        """The rows of the app this visitor may read, as `_can_read` decides for one record.

        None: every row (readers not filtered by row-level security, editors, managers).
        Otherwise shares with `view` always count; a reader's own rows count too.
        """
        if self.has_right("reader") and self.sees_all_rows:
            return None
        if not self.who.is_authenticated:
            return RowFilter(items=(), keys=frozenset())
        if not self.has_right("reader"):
            return RowFilter(items=(SHARE_ITEM,), keys=visitor_share_keys(self.who))
        return RowFilter(
            items=(AUTHOR_ITEM, SHARE_ITEM, *self.row_owners),
            keys=self.owner_keys | visitor_share_keys(self.who),
        )

    def owns(self, facts: RecordFacts) -> bool:
        """Did they author the record, or does one of its owner items name them?"""
        owner_values = facts.owner_values if self.row_owners else ()
        return not record_owner_keys(facts.author, owner_values).isdisjoint(self.owner_keys)

    def can(self, action: str, facts: RecordFacts | None = None) -> Verdict:
        """May this visitor do `action` (view, create, edit, delete, delete_all, share, manage)?

        Without `facts` the question is about the app as a whole (may they list, create...);
        with them it is about one record, and a record they may not read is HIDE (404).
        """
        return self.decide(action, facts).verdict

    def decide(self, action: str, facts: RecordFacts | None = None) -> Decision:
        """`can`'s verdict with the rule that decided it: the one place both are made. The
        words are only made when read (`Decision.because`): every request asks `can`."""
        if facts is None:
            return self._in_app(action)
        readable = self._read(facts)
        if not readable:
            verdict = (
                Verdict.HIDE
                if self.who.is_authenticated or self.has_right("reader")
                else refuse(self.who)
            )
            return Decision(verdict, readable.reason)
        if action == "view":
            return readable
        if action in ("edit", "delete"):
            if self.has_right("editor"):
                return self._granted("editor")
            if action in facts.shared:
                return Decision(Verdict.ALLOW, lambda: self._share_words(facts, action))
            if self.has_right("author") and self.owns(facts):
                return Decision(
                    Verdict.ALLOW,
                    lambda: f"{self._grant_words('author')}; {self._owned_because(facts)}",
                )
            return Decision(
                refuse(self.who),
                lambda: (
                    f"{action} needs editor, or author and owning the record, or a share "
                    f"with {action}; {self._holds()}"
                    + (", and does not own the record" if self.has_right("author") else "")
                ),
            )
        if action == "share":
            # The author right held now, not only the `_author` stamp: an author who lost the
            # right may no longer share (contract §7), nor can a share be passed on.
            if self.has_right("editor"):
                return self._granted("editor")
            if self.has_right("author") and facts.author == self.who.username:
                return Decision(
                    Verdict.ALLOW,
                    lambda: (
                        f"{self._grant_words('author')}; {facts.author} is the record's _author"
                    ),
                )
            return Decision(
                refuse(self.who),
                lambda: (
                    "share needs editor, or author and being the record's _author; " + self._holds()
                ),
            )
        return self._in_app(action)

    def fixed_owner_items(self, facts: RecordFacts) -> tuple[str, ...]:
        """The owner items (`row_owners`) this visitor may not change in this record.

        An editor, or an author who owns the record, may hand it on; one who edits it only
        through an `edit` share may change its other items but none of these, so a share can
        never turn into ownership (contract §7).

        >>> access = access_for(AclRules(row_owners=("salesman",)), Who(username="sam"))
        >>> access.fixed_owner_items(RecordFacts(author="eve", shared=frozenset({"edit"})))
        ('salesman',)
        """
        if self.has_right("editor") or (self.has_right("author") and self.owns(facts)):
            return ()
        return self.row_owners

    def _can_read(self, facts: RecordFacts) -> bool:
        return bool(self._read(facts))

    def _read(self, facts: RecordFacts) -> Decision:
        if "view" in facts.shared:
            return Decision(Verdict.ALLOW, lambda: self._share_words(facts, "view"))
        if not self.has_right("reader"):
            missing = self._in_app("view")
            return Decision(
                refuse(self.who), lambda: f"{missing.because}, and no share grants view"
            )
        if self.has_right("editor") and self.row_owners:
            return Decision(Verdict.ALLOW, lambda: f"{self._grant_words('editor')} (every row)")
        if not self.row_owners:
            return self._granted("reader")
        if self.owns(facts):
            return Decision(Verdict.ALLOW, lambda: self._owned_because(facts))
        return Decision(
            Verdict.HIDE,
            lambda: (
                f"row-level security: no owner item names {self._name()}, their groups or "
                "roles, and no share"
            ),
        )

    def _owned_because(self, facts: RecordFacts) -> str:
        """Why they own the record (`owns` holds), in words."""
        if facts.author is not None and AUTHOR_KEY + facts.author in self.owner_keys:
            return f"{facts.author} is the record's _author"
        for item, value in facts.owner_items:
            if owner_key(value) in self.owner_keys:
                return f"owner item {item} names {self._owner_words(value)}"
        return "an owner item names them"

    def _owner_words(self, value: str) -> str:
        """An owner value naming this visitor, and how: "leads, a role of alice"."""
        name = self.who.username
        if value == name:
            return value
        if "@" in value:
            return f"{value}, the e-mail of {name}"
        return f"{value}, a {'group' if value in self.who.groups else 'role'} of {name}"

    def _in_app(self, action: str) -> Decision:
        needed = NEEDED.get(action)
        if needed is None:
            raise ValueError(f"unknown action {action!r}")
        if self.has_right(needed):
            return self._granted(needed)
        if self.rights_written is None:
            return Decision(
                refuse(self.who), f"{needed} needed: the app has no acl, only managers may"
            )
        written = ", ".join(self.rights_written.get(needed, ())) or "a principal (none listed)"
        return Decision(refuse(self.who), lambda: f"{needed} needs {written}; {self._holds()}")

    def _granted(self, needed: str) -> Decision:
        return Decision(Verdict.ALLOW, lambda: self._grant_words(needed))

    def _grant_words(self, needed: str) -> str:
        """The right held that grants `needed` and the principal that granted it:
        "editor: group admins"; the lowest such right."""
        if self.who.is_superuser:
            return "manager: superuser"
        for right, principal in self.grants:
            if RANK[right] >= RANK[needed]:
                return f"{right}: {self._principal_words(principal)}"
        return needed

    def _principal_words(self, principal: str) -> str:
        if principal in ("*", "authenticated") or "@" in principal:
            return principal
        if principal in self.who.groups:
            return f"group {principal}"
        return f"user {principal}"

    def _share_words(self, facts: RecordFacts, permission: str) -> str:
        shared_by = [who for perm, who in facts.shared_by if perm == permission]
        return f"shared with {' and '.join(shared_by) or 'them'}: {permission}"

    def _name(self) -> str:
        return self.who.username or "an anonymous visitor"

    def _holds(self) -> str:
        if not self.who.is_authenticated:
            return "not signed in"
        held = self.rights[-1] if self.rights else "no right"
        return f"{self.who.username} holds {held}"


@dataclass(frozen=True)
class AclRules:
    """The part of an app's `acl` the core reads (site_model.spec.AclSpec has this shape)."""

    rights: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    row_owners: tuple[str, ...] = ()
    fields: Mapping[str, FieldRule] = field(default_factory=dict)


EMPTY = object()  # an owner item that names nobody: absent, None, "" or []


def value_or_empty(value):
    """`value`, or EMPTY for the values that name nobody."""
    return EMPTY if value is None or value == "" or value == [] else value


def changed_owner_item(before: Mapping, items: Mapping, fixed: Iterable[str]) -> str | None:
    """The first of the `fixed` items that writing `items` over `before` would change.

    Sending an owner item's current value again (a form re-posting every field) is no change.
    Empty values name nobody and are all alike: an absent item, None, "" and [] (the form
    posts "" for an item the record lacks).

    >>> changed_owner_item({"salesman": "eve"}, {"salesman": "eve", "note": 1}, ("salesman",))
    >>> changed_owner_item({"salesman": "eve"}, {"salesman": "sam"}, ("salesman",))
    'salesman'
    >>> changed_owner_item({}, {"salesman": "", "team": []}, ("salesman", "team"))
    >>> changed_owner_item({"team": "east"}, {"team": ""}, ("team",))
    'team'
    """
    return next(
        (
            name
            for name in fixed
            if name in items and value_or_empty(items[name]) != value_or_empty(before.get(name))
        ),
        None,
    )


def access_for(acl: AclRules | None, who: Who) -> Access:
    """Rights and roles of `who` in an app with this ACL (None: no ACL, managers only)."""
    roles = frozenset(
        role
        for role, principals in (acl.roles.items() if acl else ())
        if names_any(principals, who)
    )
    grants = []  # (right, the first principal of it naming them), lowest right first
    for right in RIGHTS if acl else ():
        principal = _first_naming(acl.rights.get(right, ()), who)
        if principal is not None:
            grants.append((right, principal))
    if who.is_superuser:
        level = RANK["manager"]
    else:
        level = max((RANK[right] for right, _ in grants), default=0)
    return Access(
        who=who,
        level=level,
        roles=roles,
        row_owners=acl.row_owners if acl else (),
        field_rules=acl.fields if acl else {},
        grants=tuple(grants),
        rights_written=dict(acl.rights) if acl else None,
    )


def _first_naming(principals: Iterable[str], who: Who) -> str | None:
    return next((principal for principal in principals if names(principal, who)), None)


def unwritable_item(access: Access, items: Mapping, before: Mapping | None) -> str | None:
    """The first item of `items` the visitor may not write (`before`: the stored items of an
    update; None on a create), or None.

    An item they may not read is refused whenever it is sent: accepting its stored value
    again would let them guess it. One they may read is refused only when its value would
    change, as an owner item is (`changed_owner_item`): a form re-posts what it shows.

    >>> rules = {"margin": FieldRule(read=("admins",)), "note": FieldRule(write=("admins",))}
    >>> access = access_for(AclRules(rights={"author": ("*",)}, fields=rules), Who("sam"))
    >>> unwritable_item(access, {"margin": 3}, {"margin": 3})
    'margin'
    >>> unwritable_item(access, {"note": "hi"}, {"note": "hi"})
    >>> unwritable_item(access, {"note": "new"}, {"note": "hi"})
    'note'
    """
    if not access.unwritable_items:
        return None
    hidden = next((name for name in items if name in access.hidden_items), None)
    if hidden is not None:
        return hidden
    return changed_owner_item(before or {}, items, sorted(access.unwritable_items))
