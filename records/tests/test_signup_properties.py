"""Sign-up cannot claim rows, property-based (issue 10, finding 1; contract §7 "Names").

Hypothesis builds a site that uses names in every way one can (users, a deleted user whose
records keep its `_author`, groups of the database and of settings.yaml, roles of the app with
row_owners and of another app, owner values in any case and width, e-mails, shares) and then
signs up, through the real sign-up form, with those names in other cases and widths, with `*`,
`authenticated`, names holding `@`, and a few free names, each with an e-mail address that may
be somebody else's. The oracle, written from the contract and sharing no code with
accounts.names: a name the site uses (compared after NFKC and case folding) is refused, and no
new account ever reads a row (the list, or one record) that it could not read before signing up.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from records import store
from records.ownership import sharing
from site_model.loader import current_site
from tests.helpers import signup, site_property

pytestmark = pytest.mark.django_db(transaction=False)

USERS = ("ann", "ben")
DELETED = "dora"  # authored records, then was deleted
GROUPS = ("east", "West")
SITE_GROUPS = ("admins",)  # settings.yaml `groups`, not in the database
ROLES = ("lead", "Crew")  # of app crm (row_owners)
OTHER_ROLES = ("Gardener",)  # of app wiki (no row_owners)
VALUES = (*USERS, *GROUPS, *ROLES, "nobody", "Nobody", "ｎｏｂｏｄｙ", "team-x", "boss@example.com")
FREE = ("zed", "newbie", "Carol9")
BASES = (
    *USERS,
    DELETED,
    *GROUPS,
    *SITE_GROUPS,
    *ROLES,
    *OTHER_ROLES,
    "nobody",
    "team-x",
    "*",
    "authenticated",
    "ann@example.com",
    "boss@example.com",
    "x@y",
    *FREE,
)
EMAILS = ("ann@example.com", "Boss@Example.com", "new@example.com", "other@example.org")


def full_width(name: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in name)


VARIANTS = {
    "same": lambda n: n,
    "upper": str.upper,
    "title": str.title,
    "swapcase": str.swapcase,
    "full-width": full_width,
}


@dataclass
class World:
    rights: dict[str, list[str]]
    records: list[dict]  # {"author": user | DELETED | None, "salesman": ..., "team": ...}
    shares: list[tuple[int, str]]
    signups: list[tuple[str, str]]  # (user name, e-mail)


owner_value = st.sampled_from(VALUES)
owner_item = st.one_of(st.none(), owner_value, st.lists(owner_value, max_size=2))
signup_name = st.builds(
    lambda base, variant: VARIANTS[variant](base),
    st.sampled_from(BASES),
    st.sampled_from(sorted(VARIANTS)),
)


@st.composite
def worlds(draw) -> World:
    rights = {
        "reader": draw(st.sampled_from([["authenticated"], ["*"], ["authenticated", "east"]])),
        "author": draw(st.sampled_from([[], ["authenticated"]])),
    }
    records = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "author": st.sampled_from([None, *USERS, DELETED]),
                    "salesman": owner_item,
                    "team": owner_item,
                }
            ),
            min_size=1,
            max_size=5,
        )
    )
    shares = draw(
        st.lists(
            st.tuples(st.integers(0, len(records) - 1), st.sampled_from([*USERS, *GROUPS])),
            max_size=2,
        )
    )
    signups = draw(
        st.lists(st.tuples(signup_name, st.sampled_from(EMAILS)), min_size=1, max_size=3)
    )
    return World(rights, records, shares, signups)


# --- the oracle ------------------------------------------------------------------------------


def folded(name: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def names_in_use(world: World, made: list[str]) -> set[str]:
    """Every name the site uses, folded: contract §7 "Names" written out plainly."""
    used = {*USERS, *GROUPS, *SITE_GROUPS, *ROLES, *OTHER_ROLES, "*", "authenticated", *made}
    for rec in world.records:
        if rec["author"]:
            used.add(rec["author"])
        for item in ("salesman", "team"):
            value = rec[item]
            used.update([value] if isinstance(value, str) else value or [])
    return {folded(name) for name in used}


def taken(name: str, in_use: set[str]) -> bool:
    return "@" in name or folded(name) in in_use


# --- the site --------------------------------------------------------------------------------


@pytest.fixture
def crm_site(site_dir):
    site_dir.write(
        "settings.yaml",
        "title: Test site\nauth:\n  signup: true\n  email_verification: optional\n"
        f"groups: [{', '.join(SITE_GROUPS)}]\n",
    )
    site_dir.write("apps/crm/blocks/deal.yaml", "elements:\n  note: {type: TEXT}\n")
    site_dir.write("apps/wiki/settings.yaml", "acl:\n  roles:\n    Gardener: [ann]\n")
    return site_dir


def build(site_dir, world: World) -> list[str]:
    acl = {
        "rights": world.rights,
        "roles": {"lead": ["ann"], "Crew": ["West"]},
        "row_owners": ["salesman", "team"],
    }
    site_dir.write("apps/crm/settings.yaml", json.dumps({"acl": acl}))
    app = current_site().apps["crm"]
    User = get_user_model()
    users = {name: User.objects.create_user(name, email=f"{name}@example.com") for name in USERS}
    users[DELETED] = User.objects.create_user(DELETED, email="dora@example.com")
    users["ben"].groups.add(Group.objects.create(name="West"))
    Group.objects.create(name="east")
    ids = []
    for index, rec in enumerate(world.records):
        items = {k: rec[k] for k in ("salesman", "team") if rec[k] is not None}
        made = store.record_create(
            app=app,
            items=items,
            record_id=f"r{index}",
            user=users.get(rec["author"]),
            block=app.blocks["deal"],
        )
        ids.append(made.record_id)
    for index, principal in world.shares:
        record = app_record(ids[index])
        sharing.record_share(record=record, principal=principal, permissions=("view",))
    users[DELETED].delete()
    return ids


def app_record(record_id: str):
    from records.models import Record

    return Record.objects.get(app_id="crm", record_id=record_id)


def readable(client: Client, ids: list[str]) -> set[str]:
    """The rows a visitor reads: those listed, and those one GET answers."""
    listed = client.get("/api/v1/crm/records?limit=1000")
    found = {r["id"] for r in listed.json()} if listed.status_code == 200 else set()
    found.update(rid for rid in ids if client.get(f"/api/v1/crm/record/{rid}").status_code == 200)
    return found


PROPERTY = site_property(max_examples=30)


@PROPERTY
@given(world=worlds())
def test_no_signup_reads_a_row_it_did_not_read_before(crm_site, api_client, world):
    with transaction.atomic():
        ids = build(crm_site, world)
        made: list[str] = []
        for name, email in world.signups:
            cache.clear()  # allauth's limits (sign-ups, mails) are not under test here
            in_use = names_in_use(world, made)
            client = api_client()
            before = readable(client, ids)
            response = signup(client, username=name, email=email)
            after = readable(client, ids)
            assert after <= before, (name, email, after - before)
            if taken(name, in_use):
                assert response.status_code == 200, (name, response.get("Location"))
                assert response.context["form"].errors.get("username"), name
            if response.status_code == 302:  # stored normalised
                stored = unicodedata.normalize("NFKC", name)
                assert get_user_model().objects.filter(username=stored).exists(), name
                made.append(stored)
        transaction.set_rollback(True)
