"""Row-level security in PostgreSQL (contract §12, issue 28): the policies agree with the core.

Hypothesis generates sites of two apps (rights, roles, `row_owners` or none, a field rule),
records with authors and owner items, shares, and visitors (user name, e-mail in any case,
groups, profile values, superuser or not, anonymous). For each visitor the permission core
(site_model.acl, through records.access and records.selectors as the API asks it) says which
records they may read, edit and delete; a raw SELECT, UPDATE and DELETE run as that visitor
(records.rls) must touch exactly those, for every app, and the reporting view must show the
same records with the same items. The tables that reveal records (index, text, owner, share,
history, file rows) must reveal nothing of the others.

PostgreSQL only: on SQLite the Python gate alone decides (docs/deploy.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from records import access as gate
from records import policies, rls, selectors, store
from records.models import Record
from records.ownership import sharing
from site_model.acl import Verdict, Who, access_for
from site_model.loader import current_site
from tests.helpers import site_property

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL feature"),
]

USERS = ("ann", "ben", "cat")
GROUPS = ("east", "west")
ROLES = ("lead",)
PROFILE = ("team:east", "team:west")
PRINCIPALS = ("*", "authenticated", *USERS, *GROUPS, *PROFILE, "Ann@Example.com", "lead")
APPS = {"crm": ("salesman", "team"), "wiki": ()}


@dataclass
class World:
    rights: dict[str, dict[str, list[str]]]  # app -> right -> principals
    roles: dict[str, list[str]]  # crm's roles
    row_owners: list[str]  # crm's (wiki has none)
    margin_readers: list[str] | None  # crm's field rule on `margin`
    records: list[dict]  # {"app", "author", "salesman", "team"}
    shares: list[tuple[int, str, tuple[str, ...]]]
    visitors: list[Who]


principals = st.sets(st.sampled_from(PRINCIPALS), max_size=2).map(sorted)
owner_value = st.sampled_from([*USERS, *GROUPS, "lead", "team:east", "ANN@example.com", "*", ""])
owner_item = st.one_of(st.none(), owner_value, st.lists(owner_value, max_size=2))
visitor = st.builds(
    Who,
    username=st.sampled_from(USERS),
    email=st.sampled_from(["", "ann@example.com", "ANN@EXAMPLE.COM", "ben@example.com"]),
    groups=st.frozensets(st.sampled_from(GROUPS)),
    profile=st.frozensets(st.sampled_from(PROFILE)),
)


@st.composite
def worlds(draw) -> World:
    rights = {
        app: {
            "reader": draw(st.one_of(st.just(["authenticated"]), principals)),
            "author": draw(principals),
            "editor": draw(st.sets(st.sampled_from([*USERS, *GROUPS]), max_size=1).map(sorted)),
        }
        for app in APPS
    }
    records = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "app": st.sampled_from(sorted(APPS)),
                    "author": st.sampled_from([None, *USERS]),
                    "salesman": owner_item,
                    "team": owner_item,
                }
            ),
            max_size=6,
        )
    )
    shares = []
    if records:
        shares = draw(
            st.lists(
                st.tuples(
                    st.integers(0, len(records) - 1),
                    st.sampled_from([*USERS, *GROUPS]),
                    st.sets(st.sampled_from(["view", "edit", "delete"]), min_size=1).map(sorted),
                ),
                max_size=3,
            )
        )
    return World(
        rights=rights,
        roles={"lead": draw(principals)},
        row_owners=draw(st.sampled_from([["salesman", "team"], ["team"], []])),
        margin_readers=draw(st.one_of(st.none(), principals)),
        records=records,
        shares=[(i, who, tuple(perms)) for i, who, perms in shares],
        visitors=[
            Who(),
            Who(username="root", is_superuser=True),
            *draw(st.lists(visitor, min_size=3, max_size=3)),
        ],
    )


def build(site_dir, world: World) -> list[Record]:
    crm = {"rights": world.rights["crm"], "roles": world.roles, "row_owners": world.row_owners}
    if world.margin_readers is not None:
        crm["fields"] = {"margin": {"read": world.margin_readers}}
    site_dir.write("apps/crm/settings.yaml", json.dumps({"acl": crm}))
    site_dir.write("apps/wiki/settings.yaml", json.dumps({"acl": {"rights": world.rights["wiki"]}}))
    for app in APPS:
        site_dir.write(
            f"apps/{app}/blocks/note.yaml",
            "elements:\n  title: {type: TEXT, index_type: text}\n"
            "  margin: {type: NUMBER, index_type: field}\n",
        )
    site = current_site()
    users = {name: get_user_model().objects.create_user(name) for name in USERS}
    for group in GROUPS:
        Group.objects.create(name=group)
    made = []
    for index, rec in enumerate(world.records):
        items = {k: rec[k] for k in ("salesman", "team") if rec[k] is not None}
        made.append(
            store.record_create(
                app=site.apps[rec["app"]],
                items={**items, "title": f"note {index}", "margin": index},
                record_id=f"r{index}",
                user=users.get(rec["author"]),
            )
        )
    for index, principal, permissions in world.shares:
        sharing.record_share(record=made[index], principal=principal, permissions=permissions)
    policies.ensure_synced(site)
    return made


def core_verdicts(who: Who, records: list[Record]) -> dict[str, set[tuple[str, str]]]:
    """What the permission core lets `who` do, per action: {(app, record id)}."""
    site = current_site()
    found: dict[str, set[tuple[str, str]]] = {"view": set(), "edit": set(), "delete": set()}
    for record in records:
        access = access_for(site.apps[record.app_id].acl, who)
        facts = selectors.facts_for(record, access)
        for action, allowed in found.items():
            if access.can(action, facts) is Verdict.ALLOW:
                allowed.add((record.app_id, record.record_id))
    return found


def shares_naming(who: Who, world: World, records: list[Record]) -> set[int]:
    return {
        records[index].pk
        for index, principal, _ in world.shares
        if principal == who.username or principal in who.groups
    }


def shown_to(who: Who, record: Record) -> dict:
    """The items of `record` that `who` may read (field permissions, contract §10)."""
    app = current_site().apps[record.app_id]
    return gate.readable_items(app, access_for(app.acl, who), record.items)


def touched(statement: str) -> set[tuple[str, str]]:
    """The records `statement` (ending in RETURNING app_id, record_id) touches, undone after."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(statement)
            rows = set(cursor.fetchall())
        transaction.set_rollback(True)
    return rows


def rows_of(sql: str) -> set:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return set(cursor.fetchall())


@site_property(max_examples=25)
@given(world=worlds())
def test_what_the_policies_let_a_raw_statement_touch_is_what_the_core_answers(site_dir, world):
    with transaction.atomic():
        records = build(site_dir, world)
        by_pk = {record.pk: (record.app_id, record.record_id) for record in records}
        for who in world.visitors:
            core = core_verdicts(who, records)
            with rls.acting_as(who):
                seen = rows_of("SELECT app_id, record_id FROM records_record")
                assert seen == core["view"], who
                edited = touched(
                    "UPDATE records_record SET version = version RETURNING app_id, record_id"
                )
                assert edited == core["edit"], who
                deleted = touched("DELETE FROM records_record RETURNING app_id, record_id")
                assert deleted == core["delete"], who
                # What reveals records reveals none of the others.
                for table in ("records_indexentry", "records_indextext", "records_upload"):
                    revealed = {by_pk[pk] for (pk,) in rows_of(f"SELECT record_id FROM {table}")}  # noqa: S608
                    assert revealed <= core["view"], (who, table)
                owner_rows = rows_of("SELECT record_id FROM ownership_recordowner")
                assert {by_pk[pk] for (pk,) in owner_rows} <= core["view"], who
                shares = rows_of(
                    "SELECT content_object_id FROM ownership_recordusershare UNION ALL "
                    "SELECT content_object_id FROM ownership_recordgroupshare"
                )
                # A share naming the visitor is theirs to see (not the record it names).
                theirs = {by_pk[pk] for pk in shares_naming(who, world, records)}
                assert {by_pk[pk] for (pk,) in shares} <= core["view"] | theirs, who
                versions = rows_of("SELECT app_id, record_id FROM records_recordversion")
                assert versions <= core["view"], who
                reported = rows_of("SELECT app, id, items::text FROM reporting.records")
            assert {(app, rid): json.loads(items) for app, rid, items in reported} == {
                (record.app_id, record.record_id): shown_to(who, record)
                for record in records
                if (record.app_id, record.record_id) in core["view"]
            }
        transaction.set_rollback(True)


# --- the database holds when the Python filter is broken ---------------------------------------

SALES = """
acl:
  rights:
    reader: [authenticated]
    author: [authenticated]
    editor: [admins]
  row_owners: [salesman]
"""

RAW_SQL = """
from django.db import connection
from records.models import Record

def raw(context):
    with connection.cursor() as cursor:
        cursor.execute("SELECT record_id FROM records_record ORDER BY record_id")
        return [row[0] for row in cursor.fetchall()]

def remove(context):
    # block code's own ORM, as the visitor: Django deletes the derived rows first
    deleted, _ = Record.objects.filter(record_id="s0").delete()
    return deleted
"""


@pytest.fixture
def sales(site_dir, user_factory):
    site_dir.write("apps/sales/settings.yaml", SALES)
    site_dir.write(
        "apps/sales/blocks/sale.yaml",
        "elements:\n  amount: {type: NUMBER, index_type: field}\n  salesman: TEXT\n  raw: BASIC\n"
        "  remove: BASIC\n",
    )
    site_dir.write("apps/sales/blocks/sale.py", RAW_SQL)
    app = current_site().apps["sales"]
    users = {name: user_factory(name) for name in ("alice", "bob")}
    for number, salesman in enumerate(["alice", "bob", "alice", "carol", "bob"]):
        items = {"amount": number, "salesman": salesman}
        store.record_create(app=app, items=items, record_id=f"s{number}")
    return users


def ids_seen_by(client) -> dict[str, list[str]]:
    """The record ids each read path of the API gives `client`."""
    listed = client.get("/api/v1/sales/records?limit=100").json()
    searched = client.send("POST", "/api/v1/sales/search", {"query": "amount >= 0"}).json()
    summed = client.send(
        "POST", "/api/v1/sales/aggregate", {"group_by": ["amount"], "metrics": {"n": "count"}}
    ).json()
    exported = client.get("/api/v1/sales/export?format=json")
    return {
        "list": sorted(r["items"]["id"] for r in listed),
        "search": sorted(r["items"]["id"] for r in searched),
        # the amounts are the record numbers: s0 -> 0, s2 -> 2
        "aggregate": sorted(f"s{group['amount']:g}" for group in summed["groups"]),
        "export": sorted(r["id"] for r in json.loads(b"".join(exported.streaming_content))),
        "block code's own SQL": client.get("/api/v1/sales/blocks/sale/raw").json(),
        "one record": sorted(
            rid
            for rid in ("s0", "s1", "s2", "s3", "s4")
            if client.get(f"/api/v1/sales/record/{rid}").status_code == 200
        ),
    }


def test_with_the_python_row_filter_broken_the_api_still_shows_only_the_readers_rows(
    sales, monkeypatch
):
    from tests.helpers import new_client

    alice = new_client(sales["alice"])
    mine = ["s0", "s2"]
    assert set(map(tuple, ids_seen_by(alice).values())) == {tuple(mine)}
    # Every row passes the Python filter now; the database alone holds.
    monkeypatch.setattr("site_model.acl.Access.row_filter", property(lambda self: None))
    monkeypatch.setattr("site_model.acl.Access._can_read", lambda self, facts: True)
    with rls.trusted():
        everything = selectors.records_page(
            current_site().apps["sales"],
            access=gate.access_to(current_site().apps["sales"], sales["alice"]),
        )
    assert len(everything.records) == 5  # the broken filter lets every row through
    assert ids_seen_by(alice) == dict.fromkeys(
        ("list", "search", "aggregate", "export", "block code's own SQL", "one record"), mine
    )


@pytest.mark.parametrize(
    "transactions",
    [
        pytest.param("the test's", marks=pytest.mark.django_db),
        # as served: no transaction around the requests, each statement its own
        pytest.param("none", marks=pytest.mark.django_db(transaction=True)),
    ],
)
def test_requests_on_one_kept_connection_never_see_each_others_caller(sales, transactions):
    from tests.helpers import new_client

    clients = [new_client(sales["alice"]), new_client(sales["bob"]), new_client()]
    seen = []
    for _ in range(2):
        for client in clients:
            seen.append(client.get("/api/v1/sales/blocks/sale/raw").json())
    # One connection served them all (the test's), in turn: each saw its own rows only.
    assert seen == [["s0", "s2"], ["s1", "s4"], []] * 2


def test_uploads_on_records_the_uploader_may_not_read_still_count_against_the_cap(
    site_dir, api_client, settings
):
    """The cap is the server's accounting: anonymous visitors may add tickets they cannot read
    back (row_owners, and no owner names nobody), and their files count all the same."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MAX_UPLOADS_BYTES_PER_USER = 2**20
    site_dir.write(
        "apps/tickets/settings.yaml",
        "acl:\n  rights:\n    author: ['*']\n    editor: [admins]\n  row_owners: [owner]\n",
    )
    site_dir.write("apps/tickets/blocks/ticket.yaml", "elements:\n  name: TEXT\n  scan: FILE\n")
    anonymous = api_client()

    def post(name):
        scan = SimpleUploadedFile("scan.pdf", b"x" * (600 * 1024), "application/pdf")
        return anonymous.post(
            "/apps/tickets/blocks/ticket/", {"_save": "1", "name": name, "scan": scan}
        )

    assert post("first").status_code == 302
    refused = post("second")
    assert refused.status_code == 400
    assert "Uploads are capped at 1 MB for anonymous visitors together" in refused.content.decode()
    with rls.trusted():
        assert Record.objects.filter(app_id="tickets").count() == 1


def test_an_anonymous_import_is_queued_and_run_as_on_sqlite(site_dir):
    """An app whose authors are everyone (`'*'`) takes imports from anonymous visitors: their
    job has no creator, which the jobs' policy (creator = caller) refused with a 500."""
    from records.models import Job
    from tests.helpers import new_client

    site_dir.write("apps/wall/settings.yaml", "acl:\n  rights:\n    author: ['*']\n")
    site_dir.write("apps/wall/blocks/note.yaml", "elements:\n  name: TEXT\n")
    response = new_client().send("POST", "/api/v1/wall/import", {"rows": [{"name": "x"}]})
    assert response.status_code == 202, response.content
    with rls.trusted():
        job = Job.objects.get(pk=response.json()["job"])
        assert (job.state, job.created, job.creator_id) == ("done", 1, None)
        assert Record.objects.filter(app_id="wall").count() == 1


@pytest.mark.django_db(transaction=True)
def test_after_a_callers_transactions_one_without_a_caller_sees_nothing(sales):
    # The policies keep a caller's context in the session (migration 0018): a later
    # transaction that names nobody, or sets no caller at all, must not inherit it.
    from accounts.identity import who_for

    alice = who_for(sales["alice"])
    policies.ensure_synced(current_site())  # as a request's first step
    for caller in (alice, rls.TRUSTED):
        with rls.acting_as(caller), transaction.atomic():
            assert rows_of("SELECT record_id FROM records_record")
        with rls.acting_as(rls.NOBODY), transaction.atomic():
            assert rows_of("SELECT record_id FROM records_record") == set()
        # straight to the driver: no caller is set in this transaction at all
        with connection.connection.transaction():
            found = connection.connection.execute("SELECT count(*) FROM records_record")
            assert found.fetchone() == (0,)


@pytest.mark.django_db(transaction=True)  # the request commits: a deferred key is checked
def test_block_codes_own_orm_deletes_a_record_the_visitor_may_delete_with_its_derived_rows(sales):
    from records.models import IndexEntry
    from records.ownership.models import RecordOwner
    from tests.helpers import new_client

    def left() -> tuple[bool, int, int]:
        with rls.trusted():
            record = Record.objects.filter(app_id="sales", record_id="s0").first()
            if record is None:
                return False, 0, 0
            return (
                True,
                IndexEntry.objects.filter(record_id=record.pk).count(),
                RecordOwner.objects.filter(record_id=record.pk).count(),
            )

    kept = left()
    assert kept[0] and kept[1] and kept[2]
    # bob may not delete alice's record: nothing goes, no error
    assert new_client(sales["bob"]).get("/api/v1/sales/blocks/sale/remove").status_code == 200
    assert left() == kept
    # alice, its salesman and an author, may: the record goes with its index and owner rows
    answer = new_client(sales["alice"]).get("/api/v1/sales/blocks/sale/remove")
    assert answer.status_code == 200, answer.content[:500]
    assert left() == (False, 0, 0)


def test_the_sites_connections_run_without_jit():
    """JIT compiling cost an editor's aggregate 760 ms of 900: the policies' subplans raise a
    statement's estimate past jit_above_cost (site_config/postgresql)."""
    with connection.cursor() as cursor:  # the test database's, configured as the site's are
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
