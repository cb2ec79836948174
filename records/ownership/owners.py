"""The owner table: kept by `records.store` on every create and save, read as one filter.

Each record has one `RecordOwner` row per owner key (`site_model.acl.record_owner_keys`): its
`_author` and each value of its owner items (`row_owners` of its app). `readable_q` is the
whole of row-level security in SQL:
`pk IN (SELECT record_id FROM owner WHERE principal IN (<visitor's keys>) AND item IN (...)
UNION ALL <records shared with the visitor's user name or one of their groups>)`:
index ranges that yield the visitor's few record ids. Shares are not copied here: the filter
reads guardian's direct-FK rows joined to the user's and group's current names, the very rows
`sharing.shared_with` reads for one record, so a rename cannot make the two disagree.
"""

from __future__ import annotations

import weakref
from functools import partial

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.db.models import BooleanField, F, Func, Q

from accounts.names import fold
from records import rls
from records.indexing import insert_rows
from records.models import Record
from site_model import acl
from site_model.loader import current_site
from site_model.spec import AppSpec

from .models import OwnedApp, RecordGroupShare, RecordOwner, RecordUserShare


def owner_keys(items: dict, row_owners: tuple[str, ...]) -> list[tuple[str, str]]:
    """(item, owner key) of a record's author and owner items."""
    author = items.get(acl.AUTHOR_ITEM)
    rows = {}
    if isinstance(author, str):
        for key in acl.record_owner_keys(author):
            rows[(acl.AUTHOR_ITEM, key)] = None
    for item in row_owners:
        for key in acl.record_owner_keys(None, acl.owner_values(items, (item,))):
            rows[(item, key)] = None
    return list(rows)


def owner_rows(record: Record, row_owners: tuple[str, ...]) -> list[RecordOwner]:
    """The rows of a record's author and owner items."""
    return [
        RecordOwner(
            record=record, app_id=record.app_id, item=item, principal=key, name=key_name(key)
        )
        for item, key in owner_keys(record.items, row_owners)
    ]


def key_name(key: str) -> str:
    """The folded name an owner key holds: `a:Bob` -> `bob` (accounts.names.fold)."""
    return fold(key.partition(":")[2])


@rls.as_server
def name_in_records(folded: str) -> str | None:
    """A source of accounts.names: does a record carry `folded` as an owner value or `_author`?

    One lookup of the `name` index. Apps whose `row_owners` changed get their rows rebuilt
    first (ensure_current), so the names of a newly listed owner item count at once.
    """
    for app in current_site().apps.values():
        if app.acl is not None and app.acl.row_owners:
            ensure_current(app)
    found = list(RecordOwner.objects.filter(name=folded).values_list("item", flat=True)[:1])
    if not found:
        return None
    return (
        "the _author of a record" if found[0] == acl.AUTHOR_ITEM else "an owner value of a record"
    )


def record_owners_sync(*, app: AppSpec, record: Record) -> None:
    """Rewrite a record's author and owner-item rows from its items (called by records.store)."""
    row_owners = app.acl.row_owners if app.acl is not None else ()
    with transaction.atomic(savepoint=False):
        RecordOwner.objects.filter(record=record).delete()
        RecordOwner.objects.bulk_create(owner_rows(record, row_owners))


def records_owners_new(*, app: AppSpec, records) -> None:
    """The owner rows of records just created (a bulk create): INSERTs of plain rows only."""
    row_owners = app.acl.row_owners if app.acl is not None else ()
    rows = [
        (record.pk, record.app_id, item, key, key_name(key))
        for record in records
        for item, key in owner_keys(record.items, row_owners)
    ]
    insert_rows(RecordOwner, ("record_id", "app_id", "item", "principal", "name"), rows)


def record_owners_resync(*, app: AppSpec, record: Record, before: dict) -> None:
    """After a save: rewrite the record's owner rows only if its keys changed from those of
    `before` (the items its rows were written for); otherwise no statement. A change of
    `row_owners` itself is caught by `ensure_current`, which rebuilds the app's rows."""
    row_owners = app.acl.row_owners if app.acl is not None else ()
    old = set(owner_keys(before, row_owners))
    new_rows = owner_rows(record, row_owners)
    if old == {(r.item, r.principal) for r in new_rows}:
        return
    RecordOwner.objects.filter(record=record).delete()
    RecordOwner.objects.bulk_create(new_rows)


def signature(app: AppSpec) -> str:
    return " ".join(app.acl.row_owners if app.acl is not None else ())


# The site objects (site_model.loader.current_site() rebuilds them only when a file changes) whose
# owner rows were found, or made, current for their `row_owners`, in committed state. A change
# of settings.yaml is a new AppSpec, so it is checked (and the rows rebuilt) on the next request
# in every process; until then a filtered list costs no round trip for the check. Weak keys: a
# replaced site object drops out by itself.
_checked: weakref.WeakKeyDictionary[AppSpec, bool] = weakref.WeakKeyDictionary()


def ensure_current(app: AppSpec) -> None:
    """Rebuild the app's owner rows if they were built for other `row_owners` (or never).

    Once per site object and process: one primary-key read, and after a change of `row_owners`
    in settings.yaml the first filtered list rebuilds (under a row lock, once), so a list never
    disagrees with one record, whose facts come from its items. The object is remembered only
    when the transaction that saw the rows current commits (at once outside a transaction), so
    a rolled-back rebuild is checked again.
    """
    if app in _checked:
        return
    # Plain SQL: an ORM .exists() costs more to compile (~0.6 ms) than the filtered list runs.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {OwnedApp._meta.db_table} WHERE app_id = %s AND row_owners = %s",  # noqa: S608
            (app.id, signature(app)),
        )
        current = cursor.fetchone() is not None
    if not current:
        with transaction.atomic():
            OwnedApp.objects.get_or_create(app_id=app.id, defaults={"row_owners": "\n"})
            state = OwnedApp.objects.select_for_update().get(app_id=app.id)
            if state.row_owners != signature(app):
                app_owners_rebuild(app=app)
    transaction.on_commit(partial(_checked.__setitem__, app, True))


@rls.as_server
def app_owners_rebuild(*, app: AppSpec, batch: int = 2000) -> int:
    """Rebuild the author and owner-item rows of every record of an app (after `row_owners`
    changed: ensure_current, POST /api/v1/<app>/refresh). Returns the number of records."""
    row_owners = app.acl.row_owners if app.acl is not None else ()
    done = 0
    with transaction.atomic():
        OwnedApp.objects.update_or_create(app_id=app.id, defaults={"row_owners": signature(app)})
        RecordOwner.objects.filter(app_id=app.id).delete()
        records = Record.objects.filter(app_id=app.id).only("pk", "app_id", "items").order_by("pk")
        rows: list[RecordOwner] = []
        for record in records.iterator(chunk_size=batch):
            rows.extend(owner_rows(record, row_owners))
            done += 1
            if len(rows) >= batch:
                RecordOwner.objects.bulk_create(rows)
                rows = []
        RecordOwner.objects.bulk_create(rows)
    return done


class OwnedBy(Func):
    """`<record pk> IN (<owner rows' record ids>)`, in the shape each engine plans best.

    PostgreSQL plans `pk IN (subquery)` under `ORDER BY pk LIMIT n` as a merge semi join that
    walks the records' primary key until n of them match (a fifth of the table at 100,000
    records for a reader owning 0.5%): `pk = ANY(ARRAY(subquery))` reads the few owned ids
    first, then fetches those rows in order. SQLite runs `IN (subquery)` that way already.
    The SQL is ours (table and column names); every value is a parameter.
    """

    output_field = BooleanField()

    def __init__(self, sql: str, params: tuple):
        super().__init__(F("pk"))
        self.owner_sql, self.owner_params = sql, params

    def as_sql(self, compiler, connection, **extra):
        pk_sql, pk_params = compiler.compile(self.source_expressions[0])
        shape = "{} = ANY(ARRAY({}))" if connection.vendor == "postgresql" else "{} IN ({})"
        return shape.format(pk_sql, self.owner_sql), (*pk_params, *self.owner_params)


def _among(subquery: str) -> str:
    """`<column> IN (subquery)`'s right side, as each engine runs it without a join."""
    if connection.vendor == "postgresql":
        return f"= ANY(ARRAY({subquery}))"
    return f"IN ({subquery})"


def _shares_sql(keys: list[str]) -> tuple[list[str], list[str]]:
    """SELECTs of the ids of records with a `view` share naming one of the visitor's share keys
    (`acl.share_key`: their user name, their groups' names), by foreign key and current names."""
    users = [k.removeprefix(acl.SHARE_USER_KEY) for k in keys if k.startswith(acl.SHARE_USER_KEY)]
    groups = [
        k.removeprefix(acl.SHARE_GROUP_KEY) for k in keys if k.startswith(acl.SHARE_GROUP_KEY)
    ]
    User = get_user_model()
    permission = Permission._meta
    selects, params = [], []
    for share, principal, names, name_field in (
        (RecordUserShare, User, users, User.USERNAME_FIELD),
        (RecordGroupShare, Group, groups, "name"),
    ):
        if not names:
            continue
        meta, by = share._meta, "user" if share is RecordUserShare else "group"
        # No joins: each id list is its own sub-plan (PostgreSQL's `= ANY(ARRAY(...))`), so
        # the planner has no join order to search; planning a three-table join cost more
        # than the round trip ensure_current saves (bench/rls.py).
        selects.append(
            f"SELECT {meta.get_field('content_object').column} FROM {meta.db_table} "  # noqa: S608
            f"WHERE {meta.get_field(by).column} "
            + _among(
                f"SELECT {principal._meta.pk.column} FROM {principal._meta.db_table} "  # noqa: S608
                f"WHERE {principal._meta.get_field(name_field).column} "
                f"IN ({', '.join(['%s'] * len(names))})"
            )
            + f" AND {meta.get_field('permission').column} "
            + _among(
                f"SELECT {permission.pk.column} FROM {permission.db_table} "  # noqa: S608
                f"WHERE {permission.get_field('codename').column} = %s"
            )
        )
        params.extend([*names, "view_record"])
    return selects, params


def readable_q(access: acl.Access) -> Q:
    """`access.row_filter` as one filter on records: an empty Q when every row is readable.

    Written as SQL with parameters, not as a sub-queryset: compiling a sub-queryset costs
    more than running it (about 0.7 ms against 0.3 ms at 100,000 records, bench/rls.py).
    """
    rows = access.row_filter
    if rows is None:
        return Q()
    if not rows.keys or not rows.items:
        return Q(pk__in=[])
    share = acl.SHARE_KEYS_PREFIXES
    keys = sorted(k for k in rows.keys if not k.startswith(share))
    items = sorted(set(rows.items) - {acl.SHARE_ITEM})
    selects, params = [], []
    if keys and items:
        selects.append(
            f"SELECT record_id FROM {RecordOwner._meta.db_table} "  # noqa: S608 - names, no input
            f"WHERE principal IN ({', '.join(['%s'] * len(keys))}) "
            f"AND item IN ({', '.join(['%s'] * len(items))})"
        )
        params.extend([*keys, *items])
    if acl.SHARE_ITEM in rows.items:
        shares, share_params = _shares_sql(sorted(k for k in rows.keys if k.startswith(share)))
        selects.extend(shares)
        params.extend(share_params)
    if not selects:
        return Q(pk__in=[])
    return Q(OwnedBy(" UNION ALL ".join(selects), tuple(params)))
