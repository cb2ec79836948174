"""The permission core (site_model/acl.py): pure, no database."""

import pytest

from site_model.acl import (
    ANONYMOUS,
    AclRules,
    RecordFacts,
    Verdict,
    Who,
    access_for,
    can_see,
    changed_owner_item,
    names,
    names_any,
    profile_principals,
    visitor_owner_keys,
)

ACL = AclRules(
    rights={
        "reader": ("readers", "Carol@Example.com"),
        "author": ("authors",),
        "editor": ("editors",),
        "manager": ("managers",),
    },
    roles={"PurchaseManager": ("eric", "buyers"), "Everyone": ("*",)},
)
ROWS = AclRules(
    rights={"reader": ("authenticated",), "author": ("authenticated",), "editor": ("eds",)},
    row_owners=("owner", "team"),
)


def who(name, *groups, email="", superuser=False):
    return Who(
        username=name,
        email=email or f"{name}@example.com",
        groups=frozenset(groups),
        is_superuser=superuser,
    )


READER, AUTHOR, EDITOR, MANAGER = (
    who("r", "readers"),
    who("a", "authors"),
    who("e", "editors"),
    who("m", "managers"),
)
STRANGER, ROOT = who("s"), who("root", superuser=True)
OWN, OTHERS = RecordFacts(author="a"), RecordFacts(author="someone")


@pytest.mark.parametrize(
    ("principal", "visitor", "expected"),
    [
        ("*", ANONYMOUS, True),
        ("authenticated", ANONYMOUS, False),
        ("authenticated", STRANGER, True),
        ("s", STRANGER, True),
        ("S", STRANGER, False),  # user names are exact
        ("readers", READER, True),
        ("readers", STRANGER, False),
        ("s@example.com", STRANGER, True),
        ("S@EXAMPLE.COM", STRANGER, True),  # e-mail: case-insensitive
        ("t@example.com", STRANGER, False),
        ("s@example.com", ANONYMOUS, False),
        ("x@y.z", Who(username="u", email=""), False),  # no e-mail matches nothing
    ],
)
def test_names(principal, visitor, expected):
    assert names(principal, visitor) is expected


def test_names_roles_and_any():
    assert names("Boss", STRANGER, roles={"Boss"})
    assert not names("Boss", ANONYMOUS, roles={"Boss"})
    assert names_any(("x", "readers"), READER)
    assert not names_any((), READER)


@pytest.mark.parametrize(
    ("visitor", "rights"),
    [
        (ANONYMOUS, ()),
        (STRANGER, ()),
        (READER, ("reader",)),
        (who("carol", email="carol@example.com"), ("reader",)),
        (AUTHOR, ("reader", "author")),
        (EDITOR, ("reader", "author", "editor")),
        (MANAGER, ("reader", "author", "editor", "manager")),
        (ROOT, ("reader", "author", "editor", "manager")),
        (who("x", "readers", "editors"), ("reader", "author", "editor")),  # the highest counts
    ],
)
def test_rights_are_cumulative(visitor, rights):
    assert access_for(ACL, visitor).rights == rights


@pytest.mark.parametrize(
    ("visitor", "expected"),
    [
        (ANONYMOUS, Verdict.LOGIN),
        (STRANGER, Verdict.FORBID),
        (EDITOR, Verdict.FORBID),
        (ROOT, Verdict.ALLOW),
    ],
)
def test_no_acl_is_managers_only(visitor, expected):
    access = access_for(None, visitor)
    for action in ("view", "create", "edit", "delete", "delete_all", "manage"):
        assert access.can(action) is expected


APP_ACTIONS = {
    # action: the visitors allowed
    "view": {"r", "a", "e", "m", "root"},
    "create": {"a", "e", "m", "root"},
    "edit": {"a", "e", "m", "root"},
    "delete": {"a", "e", "m", "root"},
    "delete_all": {"e", "m", "root"},
    "manage": {"m", "root"},
}


@pytest.mark.parametrize("action", APP_ACTIONS)
@pytest.mark.parametrize("visitor", [ANONYMOUS, STRANGER, READER, AUTHOR, EDITOR, MANAGER, ROOT])
def test_app_level_actions(action, visitor):
    verdict = access_for(ACL, visitor).can(action)
    if visitor.username in APP_ACTIONS[action]:
        assert verdict is Verdict.ALLOW
    else:
        assert verdict is (Verdict.FORBID if visitor.is_authenticated else Verdict.LOGIN)


@pytest.mark.parametrize(
    ("visitor", "facts", "view", "edit", "delete"),
    [
        (READER, OWN, Verdict.ALLOW, Verdict.FORBID, Verdict.FORBID),
        (AUTHOR, OWN, Verdict.ALLOW, Verdict.ALLOW, Verdict.ALLOW),
        (AUTHOR, OTHERS, Verdict.ALLOW, Verdict.FORBID, Verdict.FORBID),
        (EDITOR, OTHERS, Verdict.ALLOW, Verdict.ALLOW, Verdict.ALLOW),
        (MANAGER, OTHERS, Verdict.ALLOW, Verdict.ALLOW, Verdict.ALLOW),
        (ROOT, OTHERS, Verdict.ALLOW, Verdict.ALLOW, Verdict.ALLOW),
        (STRANGER, OWN, Verdict.HIDE, Verdict.HIDE, Verdict.HIDE),
        (ANONYMOUS, OWN, Verdict.LOGIN, Verdict.LOGIN, Verdict.LOGIN),
        (
            who("a", "readers"),
            OWN,
            Verdict.ALLOW,
            Verdict.FORBID,
            Verdict.FORBID,
        ),  # owns, but only reader
    ],
)
def test_record_actions(visitor, facts, view, edit, delete):
    access = access_for(ACL, visitor)
    assert (access.can("view", facts), access.can("edit", facts), access.can("delete", facts)) == (
        view,
        edit,
        delete,
    )


def test_anonymous_reader_of_public_app_gets_login_for_writes():
    access = access_for(
        AclRules(rights={"reader": ("*",), "author": ("authenticated",)}), ANONYMOUS
    )
    assert access.can("view", OWN) is Verdict.ALLOW
    assert access.can("edit", RecordFacts(author=None)) is Verdict.LOGIN


def test_roles_grant_nothing_by_themselves():
    eric = access_for(ACL, who("eric"))
    assert eric.roles == {"PurchaseManager", "Everyone"} and eric.rights == ()
    assert access_for(ACL, who("b", "buyers")).roles == {"PurchaseManager", "Everyone"}
    assert access_for(ACL, ANONYMOUS).roles == {"Everyone"}
    assert access_for(ACL, STRANGER).roles == {"Everyone"}


@pytest.mark.parametrize(
    ("visitor", "facts", "view"),
    [
        (who("u"), RecordFacts(author="u"), Verdict.ALLOW),
        (who("u"), RecordFacts(author="v"), Verdict.HIDE),
        (who("u"), RecordFacts(owner_values=("u",)), Verdict.ALLOW),
        (who("u", "team1"), RecordFacts(owner_values=("team1",)), Verdict.ALLOW),
        (who("u", email="U@x.org"), RecordFacts(owner_values=("u@X.ORG",)), Verdict.ALLOW),
        (
            who("u"),
            RecordFacts(owner_values=("*", "authenticated")),
            Verdict.HIDE,
        ),  # never everyone
        (who("u"), RecordFacts(author="v", shared=frozenset({"view"})), Verdict.ALLOW),
        (who("e", "eds"), RecordFacts(author="v"), Verdict.ALLOW),  # editors see every row
        (ANONYMOUS, RecordFacts(author="v"), Verdict.LOGIN),
    ],
)
def test_row_owners(visitor, facts, view):
    assert access_for(ROWS, visitor).can("view", facts) is view


def test_shares_add_permissions_on_top():
    access = access_for(ROWS, who("u"))
    shared = RecordFacts(author="v", shared=frozenset({"view", "edit"}))
    assert access.can("edit", shared) is Verdict.ALLOW
    assert access.can("delete", shared) is Verdict.FORBID


def test_share_right_is_editor_or_author_of_the_record():
    assert access_for(ACL, AUTHOR).can("share", OWN) is Verdict.ALLOW
    assert access_for(ACL, AUTHOR).can("share", OTHERS) is Verdict.FORBID
    assert access_for(ACL, EDITOR).can("share", OTHERS) is Verdict.ALLOW


def test_share_needs_the_author_right_held_now():
    # the `_author` stamp alone is not enough: a demoted author (here a reader) may not share
    demoted = who("a", "readers")
    assert access_for(ACL, demoted).can("share", OWN) is Verdict.FORBID
    # with no right left they may not even read it (the API then answers its app-level 403)
    assert access_for(ACL, who("a")).can("share", OWN) is Verdict.HIDE
    assert access_for(ACL, ANONYMOUS).can("share", RecordFacts(author=None)) is Verdict.LOGIN
    # nor does a share pass the right to share on
    everything = RecordFacts(author="v", shared=frozenset({"view", "edit", "delete"}))
    assert access_for(ROWS, who("u")).can("share", everything) is Verdict.FORBID


@pytest.mark.parametrize(
    ("visitor", "facts", "fixed"),
    [
        (who("u"), RecordFacts(author="v", shared=frozenset({"view", "edit"})), ("owner", "team")),
        (who("u"), RecordFacts(author="u"), ()),  # an author who owns it may hand it on
        (who("u"), RecordFacts(author="v", owner_values=("u",)), ()),
        (who("e", "eds"), RecordFacts(author="v"), ()),  # an editor
    ],
)
def test_fixed_owner_items(visitor, facts, fixed):
    assert access_for(ROWS, visitor).fixed_owner_items(facts) == fixed


def test_a_reader_with_an_edit_share_may_not_change_owner_items():
    rows = AclRules(rights={"reader": ("authenticated",)}, row_owners=("owner",))
    access = access_for(rows, who("u"))
    # owning by an owner item is not enough without the author right
    facts = RecordFacts(author="v", owner_values=("u",), shared=frozenset({"edit"}))
    assert access.can("edit", facts) is Verdict.ALLOW
    assert access.fixed_owner_items(facts) == ("owner",)


@pytest.mark.parametrize(
    ("before", "items", "changed"),
    [
        ({"owner": "v"}, {"owner": "u"}, "owner"),
        ({"owner": "v"}, {"owner": ["v"]}, "owner"),
        ({}, {"team": "u"}, "team"),
        ({"owner": "v"}, {"owner": "v", "note": 1}, None),  # the same value again
        ({"owner": "v"}, {"note": 1}, None),
        ({}, {"elsewhere": "u"}, None),
    ],
)
def test_changed_owner_item(before, items, changed):
    assert changed_owner_item(before, items, ("owner", "team")) == changed


def test_unknown_action_is_a_bug():
    with pytest.raises(ValueError, match="unknown action 'fly'"):
        access_for(ACL, ROOT).can("fly")


@pytest.mark.parametrize(
    ("principals", "visitor", "expected"),
    [
        (("*",), ANONYMOUS, Verdict.ALLOW),
        (("authenticated",), ANONYMOUS, Verdict.LOGIN),
        (("admins",), STRANGER, Verdict.FORBID),
        (("admins",), ROOT, Verdict.ALLOW),
        ((), STRANGER, Verdict.FORBID),
    ],
)
def test_can_see(principals, visitor, expected):
    assert can_see(principals, visitor) is expected


def test_sees_all_rows():
    assert access_for(ACL, READER).sees_all_rows
    assert not access_for(ROWS, who("u")).sees_all_rows
    assert access_for(ROWS, who("e", "eds")).sees_all_rows


def test_a_profile_value_is_a_principal_and_an_owner_key():
    who = Who(username="ann", profile=profile_principals({"team": "east", "phone": "1"}))
    assert names("team:east", who) and not names("team:west", who)
    assert not names("east", who)  # the bare value names a user or group called east
    keys = visitor_owner_keys(who)
    assert "o:team:east" in keys and "o:east" not in keys
    rules = AclRules(rights={"reader": ("team:east",)}, roles={"lead": ("team:east",)})
    access = access_for(rules, who)
    assert access.has_right("reader") and access.roles == frozenset({"lead"})
    other = access_for(rules, Who(username="bob"))
    assert not other.has_right("reader") and not other.roles
