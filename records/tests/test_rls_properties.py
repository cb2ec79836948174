"""Row-level security, property-based (issue 6): every path agrees with a simple oracle.

Hypothesis generates users (groups, e-mail case), the app's rights and roles, records with
owner items (strings, lists, e-mails in any case, groups, roles, '*', junk) and shares. For
each visitor the oracle below, written from CONTRACT.md §5 and sharing no code with
site_model/acl.py, says which records they may read, edit and delete; every read path (list,
one record, search with an empty query, with a field query and sorted on a field index (both
ways, and a page of it), `readable()`, `search(secure=True)`, the record route) must return
exactly those, and every write path (the API's PATCH and DELETE, the record page's `_save` and
`_delete`, share, and an owner item changed through an `edit` share: contract §7) must refuse
the rest and change nothing. A hidden record must answer exactly as a missing one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from records import store
from records.models import Record
from records.ownership import sharing
from site_model.loader import current_site
from tests.helpers import new_client, site_property

pytestmark = pytest.mark.django_db(transaction=False)

USERS = ("ann", "ben", "cat")
GROUPS = ("east", "west", "north")
ROLES = ("lead", "crew")
RIGHTS = ("reader", "author", "editor")
PERMS = ("view", "edit", "delete")
PRINCIPALS = ("*", "authenticated", *USERS, *GROUPS, "Ann@Example.com", "BEN@example.com")

PROBE = """
def ids(context):
    return sorted(r.id for r in context.app.readable())

def secure(context):
    return sorted(r.id for r in context.app.search("", secure=True, limit=None))

def region_west(context):
    return sorted(r.id for r in context.app.search("region == 'west'", secure=True, limit=None))
"""


@dataclass
class World:
    groups: dict[str, frozenset[str]]  # user -> groups
    emails: dict[str, str]
    rights: dict[str, list[str]]
    roles: dict[str, list[str]]
    records: list[dict]  # {"author", "salesman", "team", "region"}
    shares: list[tuple[int, str, frozenset[str]]] = field(default_factory=list)


owner_value = st.sampled_from(
    [
        *USERS,
        *GROUPS,
        *ROLES,
        "ann@example.com",
        "Ann@EXAMPLE.com",
        "ben@Example.COM",
        "cat@example.org",
        "*",
        "authenticated",
        "nobody",
        "",
    ]
)
owner_item = st.one_of(
    st.none(), owner_value, st.lists(st.one_of(owner_value, st.integers(0, 3)), max_size=3)
)


@st.composite
def worlds(draw) -> World:
    groups = {u: frozenset(draw(st.sets(st.sampled_from(GROUPS), max_size=2))) for u in USERS}
    emails = {
        u: draw(st.sampled_from([f"{u}@example.com", f"{u.upper()}@Example.com"])) for u in USERS
    }
    # Mostly readers who are not editors: the visitors row-level security is about.
    some = st.sets(st.sampled_from(PRINCIPALS), max_size=2).map(sorted)
    rights = {
        "reader": draw(st.one_of(st.just(["authenticated"]), some)),
        "author": draw(some),
        "editor": draw(
            st.one_of(st.just([]), st.sets(st.sampled_from(USERS + GROUPS), max_size=1).map(sorted))
        ),
    }
    roles = {r: sorted(draw(st.sets(st.sampled_from(PRINCIPALS), max_size=2))) for r in ROLES}
    records = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "author": st.sampled_from([None, *USERS]),
                    "salesman": owner_item,
                    "team": owner_item,
                    "region": st.sampled_from(["east", "west"]),
                }
            ),
            max_size=5,
        )
    )
    shares = []
    if records:
        shares = draw(
            st.lists(
                st.tuples(
                    st.integers(0, len(records) - 1),
                    st.sampled_from([*USERS, *GROUPS]),
                    st.frozensets(st.sampled_from(PERMS), min_size=1),
                ),
                max_size=3,
            )
        )
    return World(groups, emails, rights, roles, records, shares)


# --- the oracle: CONTRACT.md §5 written out plainly ----------------------------------------


def named(principal: str, user: str | None, world: World, roles=frozenset()) -> bool:
    if principal == "*":
        return True
    if user is None:
        return False
    if principal == "authenticated":
        return True
    if "@" in principal:
        return principal.lower() == world.emails[user].lower()
    return principal == user or principal in world.groups[user] or principal in roles


def level(user, world) -> int:
    found = 0
    for rank, right in enumerate(RIGHTS, start=1):
        if any(named(p, user, world) for p in world.rights[right]):
            found = rank
    return found


def roles_of(user, world) -> frozenset[str]:
    return frozenset(r for r, ps in world.roles.items() if any(named(p, user, world) for p in ps))


def shared(user, index, world) -> set[str]:
    if user is None:
        return set()
    found: set[str] = set()
    for i, principal, perms in world.shares:
        if i == index and (principal == user or principal in world.groups[user]):
            found |= perms
    return found


def owns(user, rec, world) -> bool:
    if user is None:
        return False
    if rec["author"] == user:
        return True
    values = []
    for item in ("salesman", "team"):
        value = rec[item]
        values += (
            [value] if isinstance(value, str) else [v for v in value or [] if isinstance(v, str)]
        )
    roles = roles_of(user, world)
    return any(v not in ("*", "authenticated", "") and named(v, user, world, roles) for v in values)


def may(user, action, index, world) -> bool:
    rec, lvl, shares = world.records[index], level(user, world), shared(user, index, world)
    readable = "view" in shares or (lvl >= 1 and (lvl >= 3 or owns(user, rec, world)))
    if action == "view" or not readable:
        return readable
    return lvl >= 3 or action in shares or (lvl >= 2 and owns(user, rec, world))


# --- the site and the world in the database ------------------------------------------------


@pytest.fixture
def crm_site(site_dir):
    site_dir.write(
        "apps/crm/blocks/probe.yaml",
        "elements:\n  ids: BASIC\n  secure: BASIC\n  region_west: BASIC\n"
        "  region: {type: TEXT, index_type: field}\n",
    )
    site_dir.write("apps/crm/blocks/probe.py", PROBE)
    # the block records are saved through, so that the record pages have a form
    site_dir.write("apps/crm/blocks/deal.yaml", "elements:\n  note: {type: TEXT}\n")
    return site_dir


def build(site_dir, world: World) -> list[str]:
    acl = {
        "rights": world.rights,
        "roles": world.roles,
        "row_owners": ["salesman", "team"],
    }
    site_dir.write("apps/crm/settings.yaml", json.dumps({"acl": acl}))
    app = current_site().apps["crm"]
    users = {}
    for name in USERS:
        user = get_user_model().objects.create_user(name, email=world.emails[name])
        user.groups.set(Group.objects.get_or_create(name=g)[0] for g in sorted(world.groups[name]))
        users[name] = user
    ids = []
    for index, rec in enumerate(world.records):
        items = {k: rec[k] for k in ("salesman", "team", "region") if rec[k] is not None}
        author = users.get(rec["author"])
        made = store.record_create(
            app=app, items=items, record_id=f"r{index}", user=author, block=app.blocks["deal"]
        )
        ids.append(made.record_id)
    for group in GROUPS:
        Group.objects.get_or_create(name=group)
    for index, principal, perms in world.shares:
        record = Record.objects.get(app_id="crm", record_id=ids[index])
        sharing.record_share(record=record, principal=principal, permissions=tuple(sorted(perms)))
    return ids


CSRF_TOKEN = re.compile(r'(?<=name="csrfmiddlewaretoken" value=")[^"]*')  # masked per response


def answer(response, record_id: str) -> tuple[int, str, str]:
    """Status, redirect and body with the record id (and the CSRF token) blanked, to compare a
    hidden and a missing record. The flash messages are left out: a delete rolled back by the
    test still left its "Deleted" message in the session, shown by whichever page comes next."""
    body = MESSAGES.sub("", response.content.decode())
    return (
        response.status_code,
        response.get("Location", "").replace(record_id, "ID"),
        CSRF_TOKEN.sub("TOKEN", body.replace(record_id, "ID")),
    )


MESSAGES = re.compile(r'<ul class="messages">.*?</ul>', re.S)


def in_order(ids, world, allowed, reverse: bool) -> list[str]:
    """The readable records sorted on `region` then creation; `reverse` flips both."""
    found = sorted(
        (i for i in range(len(ids)) if ids[i] in allowed),
        key=lambda i: (world.records[i]["region"], i),
        reverse=reverse,
    )
    return [ids[i] for i in found]


SAVE = (("_save", "1"), ("note", "changed"))
DELETE = (("_delete", "1"), ("_confirm", "1"))  # the confirmed step of a delete

PROPERTY = site_property(max_examples=20)


@PROPERTY
@given(world=worlds())
def test_every_read_path_returns_exactly_what_the_rules_allow(crm_site, world):
    with transaction.atomic():
        ids = build(crm_site, world)
        for user in (None, *USERS):
            client = new_client(user)
            lvl = level(user, world)
            allowed = {ids[i] for i in range(len(ids)) if may(user, "view", i, world)}
            refusal = 401 if user is None else 403

            listed = client.get("/api/v1/crm/records?limit=1000")
            searched = client.send("POST", "/api/v1/crm/search", {"query": ""})
            west = client.send("POST", "/api/v1/crm/search", {"query": "region == 'west'"})
            if lvl >= 1:
                assert {r["id"] for r in listed.json()} == allowed, (user, listed.json())
                assert {r["id"] for r in searched.json()} == allowed
                assert {r["id"] for r in west.json()} == {
                    ids[i]
                    for i in range(len(ids))
                    if ids[i] in allowed and world.records[i]["region"] == "west"
                }
                for reverse in (False, True):
                    body = {"query": "", "sort_index": "region", "reverse": reverse}
                    ordered = client.send("POST", "/api/v1/crm/search", body)
                    expected = in_order(ids, world, allowed, reverse)
                    assert [r["id"] for r in ordered.json()] == expected, (user, reverse)
                body = {
                    "query": "region != 'none'",
                    "sort_index": "region",
                    "limit": 2,
                    "offset": 1,
                }
                paged = client.send("POST", "/api/v1/crm/search", body)
                assert [r["id"] for r in paged.json()] == in_order(ids, world, allowed, False)[1:3]
            else:
                assert (listed.status_code, searched.status_code) == (refusal, refusal)
            in_code = sorted(allowed) if lvl >= 1 else []
            assert client.get("/api/v1/crm/blocks/probe/ids").json() == in_code
            assert client.get("/api/v1/crm/blocks/probe/secure").json() == in_code
            assert client.get("/api/v1/crm/blocks/probe/region_west").json() == sorted(
                ids[i]
                for i in range(len(ids))
                if ids[i] in in_code and world.records[i]["region"] == "west"
            )

            missing_api = answer(client.get("/api/v1/crm/record/zz-missing"), "zz-missing")
            missing_route = client.get("/apps/crm/records/zz-missing/").status_code
            for record_id in ids:
                one = client.get(f"/api/v1/crm/record/{record_id}")
                route = client.get(f"/apps/crm/records/{record_id}/")
                if record_id in allowed:
                    assert one.status_code == 200 and one.json()["id"] == record_id
                    assert route.status_code == 200
                else:
                    # hidden: the very answer a missing record gets
                    assert answer(one, record_id) == missing_api, (user, record_id)
                    assert route.status_code == missing_route
                    assert route.status_code in (302, 403, 404)
        transaction.set_rollback(True)


@PROPERTY
@given(world=worlds())
def test_every_write_path_refuses_what_the_rules_do_not_allow(crm_site, world):
    with transaction.atomic():
        ids = build(crm_site, world)
        for user in (None, *USERS):
            client = new_client(user)
            missing_page = {
                fields: answer(
                    client.post("/apps/crm/records/zz-missing/edit/", dict(fields)), "zz-missing"
                )
                for fields in (SAVE, DELETE)
            }
            for index, record_id in enumerate(ids):
                before = Record.objects.get(app_id="crm", record_id=record_id).items
                # the record page's form: `_save` and `_delete` posted to .../edit/
                page = f"/apps/crm/records/{record_id}/edit/"
                for action, fields in (("edit", SAVE), ("delete", DELETE)):
                    with transaction.atomic():
                        response = client.post(page, dict(fields))
                        after = [
                            r.items
                            for r in Record.objects.filter(app_id="crm", record_id=record_id)
                        ]
                        if may(user, action, index, world):
                            assert response.status_code == 302, (user, action, response.content)
                            assert "login" not in response["Location"]
                            assert after == (
                                [] if action == "delete" else [{**before, "note": "changed"}]
                            ), (user, action)
                        else:
                            assert response.status_code in (302, 403, 404), response.content
                            assert after == [before], (user, action)
                            if not may(user, "view", index, world):
                                assert answer(response, record_id) == missing_page[fields]
                        transaction.set_rollback(True)
                for action, method, body in (
                    ("edit", "PATCH", {"note": "changed"}),
                    ("delete", "DELETE", None),
                ):
                    with transaction.atomic():
                        response = client.send(method, f"/api/v1/crm/record/{record_id}", body)
                        if may(user, action, index, world):
                            assert response.status_code == 200, (user, action, response.content)
                        else:
                            assert response.status_code in (401, 403, 404), response.content
                            after = Record.objects.filter(app_id="crm", record_id=record_id)
                            assert [r.items for r in after] == [before]
                        transaction.set_rollback(True)
                # an owner item: only an editor, or an author who owns the record, may change
                # it; an `edit` share alone may not (contract §7)
                rec, lvl = world.records[index], level(user, world)
                may_own = may(user, "edit", index, world) and (
                    lvl >= 3 or (lvl >= 2 and owns(user, rec, world))
                )
                with transaction.atomic():
                    body = {"salesman": [user or "anyone", "x-new"]}  # always a change
                    response = client.send("PATCH", f"/api/v1/crm/record/{record_id}", body)
                    if may_own:
                        assert response.status_code == 200, (user, response.content)
                    else:
                        if may(user, "edit", index, world):
                            assert response.json() == {
                                "error": "an edit share may not change the owner item 'salesman'"
                            }, user
                        assert response.status_code in (401, 403, 404), response.content
                        after = Record.objects.filter(app_id="crm", record_id=record_id)
                        assert [r.items for r in after] == [before]
                    transaction.set_rollback(True)
                # sharing: an editor, or the record's `_author` holding the author right now
                # (contract §4, §7), who can read it
                may_share = may(user, "view", index, world) and (
                    lvl >= 3 or (lvl >= 2 and user is not None and rec["author"] == user)
                )
                with transaction.atomic():
                    response = client.send(
                        "POST",
                        f"/api/v1/crm/record/{record_id}/share",
                        {"principal": "east", "permissions": ["view"]},
                    )
                    assert (response.status_code == 200) == may_share, (user, response.content)
                    transaction.set_rollback(True)
        transaction.set_rollback(True)
