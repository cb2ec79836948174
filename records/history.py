"""Record history (contract §9): a version of every write of a record, deleted records, pruning.

`records.store` calls `version_*` in the transaction of each write it makes (create, bulk
create, save, delete, delete all, restore), so every path that writes a record through the store
keeps a version: the JSON API, block forms, block code, the admin, an import, a restore. One
`RecordVersion` row per write (a bulk create: one multi-row INSERT per batch, as its records).

Who wrote: the user the store was given (or its request's); else the `by` of the surrounding
`written_via`. By which path: each surface wraps its work in `written_via(name)` (the API
"api", the HTML forms "form", block code "block", the admin "admin", an import "import"); the
innermost wins, so block code run during a form's save writes as "block" and the form's own
write as "form". A write outside every surface (a management command, a shell) is an
operator's: "admin".

Files: a deleted record's uploads stay in storage while it can be restored (its delete row
lists them); `prune` removes them with that row. Imports: the site model and records only.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Exists, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_noop

from site_model.texts import Message

from .errors import InvalidInput
from .models import Record, RecordVersion, Upload
from .uploads import files_remove

VIA = ("api", "form", "import", "block", "admin", "restore")
OUTSIDE = "admin"  # a write outside every surface: an operator's (manage.py, a shell)

_via: ContextVar[str | None] = ContextVar("records_written_via", default=None)
_by: ContextVar[object] = ContextVar("records_written_by", default=None)


@contextmanager
def written_via(name: str, *, by=None):
    """Writes of records inside the `with` are kept as made `via` `name` (one of `VIA`), by
    `by` (a user or a user name) where the store is given no user:
    >>> with written_via("import", by=user):
    ...     store.records_create_many(app=app, rows=rows, user=user)
    Usable as a decorator too."""
    if name not in VIA:
        raise ValueError(f"unknown path {name!r}; one of {', '.join(VIA)}")
    via_token = _via.set(name)
    by_token = _by.set(by) if by is not None else None
    try:
        yield
    finally:
        _via.reset(via_token)
        if by_token is not None:
            _by.reset(by_token)


def current_via() -> str:
    return _via.get() or OUTSIDE


def username_of(user) -> str:
    """A user's name, or "" for None, an anonymous visitor or a name given as it is."""
    if isinstance(user, str):
        return user
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return user.get_username()


def writer(user=None, request=None) -> str:
    """The user name a version is kept under: `user`, else the request's, else `written_via`'s."""
    name = username_of(user) or username_of(getattr(request, "user", None))
    return name or username_of(_by.get())


# --- writing --------------------------------------------------------------------------------


def diff(before: dict, after: dict) -> dict:
    """`{item: [old, new]}` of the items that differ (a missing item counts as None)."""
    return {
        name: [before.get(name), after.get(name)]
        for name in before.keys() | after.keys()
        if before.get(name) != after.get(name)
    }


def _row(record: Record, kind: str, at, by: str, via: str, changes=None, extra=None):
    return RecordVersion(
        app_id=record.app_id,
        record_id=record.record_id,
        version=record.version,
        kind=kind,
        at=at,
        by=by,
        via=via,
        items=record.items,
        changes=changes,
        extra=extra,
    )


def version_created(record: Record, *, by: str, via: str | None = None) -> None:
    _row(record, "create", record.modified or timezone.now(), by, via or current_via()).save(
        force_insert=True
    )


def versions_created(records: list[Record], *, by: str) -> None:
    """Version 1 of each of a bulk create's records: multi-row INSERTs, no model per row."""
    connection = connections[router.db_for_write(RecordVersion)]
    meta = RecordVersion._meta
    items_field = meta.get_field("items")
    via = current_via()
    at = meta.get_field("at").get_db_prep_save(
        records[0].modified if records else timezone.now(), connection
    )
    columns = ("app_id", "record_id", "version", "kind", "at", "by", "via", "items")
    quote = connection.ops.quote_name
    row = f"({', '.join(['%s'] * len(columns))})"
    with connection.cursor() as cursor:
        for low in range(0, len(records), BULK_ROWS):
            batch = records[low : low + BULK_ROWS]
            params: list = []
            for record in batch:
                items = items_field.get_db_prep_save(record.items, connection)
                params += [record.app_id, record.record_id, record.version, "create", at, by]
                params += [via, items]
            # One multi-row INSERT per batch, as the store's own (store._insert_records).
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
                f"VALUES {', '.join([row] * len(batch))}",
                params,
            )


BULK_ROWS = 1000  # rows per INSERT: 8,000 parameters, within SQLite's 32,766


def version_saved(record: Record, *, before: dict, by: str, via: str | None = None) -> None:
    """The version of a save that left `record` as it is (`before`: its items before)."""
    changes = diff(before, record.items)
    _row(record, "update", record.modified, by, via or current_via(), changes=changes).save(
        force_insert=True
    )


def versions_deleted(records: Iterable[Record], *, by: str) -> None:
    """A delete row for each record about to be deleted: its last items, its author and its
    uploads (their files stay until the row is pruned)."""
    records = list(records)
    uploads: dict[int, list] = {}
    for pk, item, path, size, content_type, uploader, anonymous in Upload.objects.filter(
        record__in=[record.pk for record in records]
    ).values_list("record", "item", "path", "size", "content_type", "uploader", "anonymous"):
        uploads.setdefault(pk, []).append([item, path, size, content_type, uploader, anonymous])
    now, via = timezone.now(), current_via()
    rows = []
    for record in records:
        record.version += 1
        extra = {"author": record.author_id, "uploads": uploads.get(record.pk, [])}
        rows.append(_row(record, "delete", now, by, via, extra=extra))
    RecordVersion.objects.bulk_create(rows, batch_size=500)


def next_versions(app_id: str, record_ids: list[str]) -> dict[str, int]:
    """The version a record created at each of these ids starts from, where an earlier
    record of that id (since deleted) left history: one past its last. Ids without history
    are left out (they start at 1)."""
    found: dict[str, int] = {}
    for low in range(0, len(record_ids), 1000):
        batch = record_ids[low : low + 1000]
        last = (
            RecordVersion.objects.filter(app_id=app_id, record_id__in=batch)
            .values("record_id")
            .annotate(last=Max("version"))
            .order_by()
        )
        found.update({row["record_id"]: row["last"] + 1 for row in last})
    return found


# --- reading --------------------------------------------------------------------------------


def own_versions(app_id: str, record_id: str):
    """The versions of the record living (or last deleted) under this id, from its latest
    create that is not a restore: a record made again under a deleted one's id (callers choose
    ids) goes on with that history for editors and managers, who see deleted records; its other
    readers may never have been allowed to read the deleted one, so theirs starts at the new
    create. A restore brings its record's history back."""
    rows = RecordVersion.objects.filter(app_id=app_id, record_id=record_id)
    start = rows.filter(kind="create").exclude(via="restore").order_by("-version")
    return rows.filter(version__gte=Coalesce(Subquery(start.values("version")[:1]), 0))


def kept_versions(app_id: str, record_id: str, *, whole: bool):
    """Every version kept under this id (`whole`: for those who see deleted records), or the
    living record's own (`own_versions`)."""
    if whole:
        return RecordVersion.objects.filter(app_id=app_id, record_id=record_id)
    return own_versions(app_id, record_id)


def versions_of(
    app_id: str,
    record_id: str,
    *,
    whole: bool = True,
    limit: int | None = None,
    offset: int = 0,
):
    """The record's versions, newest first (`whole`: `kept_versions`)."""
    rows = kept_versions(app_id, record_id, whole=whole).order_by("-version")
    return list(rows[offset : offset + limit] if limit is not None else rows[offset:])


def changes_of(version: RecordVersion) -> dict:
    """`{item: [old, new]}` of one version: a create against nothing, a delete to nothing."""
    if version.kind == "create":
        return {name: [None, value] for name, value in version.items.items()}
    if version.kind == "delete":
        return {name: [value, None] for name, value in version.items.items()}
    return version.changes or {}


def as_json(version: RecordVersion, shown: Callable[[dict], dict]) -> dict:
    """A version as the API answers it; `shown` leaves out the items the caller may not read."""
    return {
        "version": version.version,
        "at": version.at.isoformat(),
        "by": version.by or None,
        "via": version.via,
        "changes": shown(changes_of(version)),
    }


def version_get(app_id: str, record_id: str, version, *, whole: bool = True) -> RecordVersion:
    """Version `version` of the record (`whole`: `kept_versions`); `InvalidInput` (400) naming
    the versions there are."""
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InvalidInput(f"version must be a positive integer, found {version!r}"[:120])
    kept = kept_versions(app_id, record_id, whole=whole)
    found = kept.filter(version=version).first()
    if found is None:
        numbers = sorted(kept.values_list("version", flat=True))
        listed = ", ".join(map(str, numbers[-20:])) or "none"
        raise InvalidInput(
            Message(
                gettext_noop(
                    "record '%(record)s' has no version %(version)s; versions kept: %(kept)s"
                ),
                record=record_id,
                version=version,
                kept=listed,
            )
        )
    return found


def deleted_q(app_id: str):
    """Delete rows that are the last word on their record id: no record of that id now, and
    no later version (a record created at the id since)."""
    live = Record.objects.filter(app_id=app_id, record_id=OuterRef("record_id"))
    later = RecordVersion.objects.filter(
        app_id=app_id, record_id=OuterRef("record_id"), version__gt=OuterRef("version")
    )
    return (
        RecordVersion.objects.filter(app_id=app_id, kind="delete")
        .filter(~Exists(live))
        .filter(~Exists(later))
    )


def deleted_records(app_id: str, *, limit: int, offset: int = 0) -> list[RecordVersion]:
    """The app's deleted records (their delete rows), most recently deleted first."""
    return list(deleted_q(app_id).order_by("-at", "-pk")[offset : offset + limit])


def deletion_of(app_id: str, record_id: str) -> RecordVersion | None:
    """The delete row of a deleted record of this id, or None (no such id, or a record lives)."""
    return deleted_q(app_id).filter(record_id=record_id).first()


# --- pruning --------------------------------------------------------------------------------


def keep_days() -> int:
    return settings.HISTORY_KEEP_DAYS


def prune(*, before: datetime.datetime, batch: int = 1000, progress=None) -> int:
    """Delete the versions written before `before`, `batch` rows a transaction; a deleted
    record whose delete row goes is gone for good: its files are removed (those no upload row
    holds: a record restored since owns its own). `progress(done)` after each batch.
    Returns how many rows went."""
    done = 0
    while True:
        with transaction.atomic():
            rows = list(
                RecordVersion.objects.filter(at__lt=before)
                .order_by("pk")
                .values_list("pk", "kind", "extra")[:batch]
            )
            if not rows:
                return done
            paths = [
                upload[1]
                for _, kind, extra in rows
                if kind == "delete" and extra
                for upload in extra.get("uploads", [])
            ]
            RecordVersion.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
            held = set(Upload.objects.filter(path__in=paths).values_list("path", flat=True))
            orphans = [path for path in paths if path not in held]
            if orphans:
                transaction.on_commit(lambda orphans=orphans: files_remove(orphans))
        done += len(rows)
        if progress is not None:
            progress(done)
