"""Uploaded files: stored, tied to the record and FILE item they were uploaded to, removed.

A file belongs to the record and item it was uploaded to, and to nothing else: each stored
upload has a row (`models.Upload`: record, item, storage path, size, content type, uploader),
written by the store in the transaction that writes the record (`uploads_attach`). The file
route serves an item's file only when such a row holds it, and a write may carry a file-shaped
value only as the item's current one or as a fresh upload (records/validation.py), so a path
seen once (a share since revoked, a record since deleted) gives nobody access to the file.

Files go away with what needs them, in one place, `files_remove`, run after the transaction
that released them commits: a record's delete, a FILE item replaced by a new upload or emptied
(`uploads_release`), a write refused after its files were stored (`uploads_drop`, at once).
A user's uploads hold at most `settings.MAX_UPLOADS_BYTES_PER_USER` in all (the environment's
`MAX_UPLOADS_MB_PER_USER`); anonymous visitors share one such allowance (the uploads of an
account since deleted count against nobody).

Imports: the site model and records only.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from contextlib import contextmanager
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Sum
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_noop

from site_model.elements import FILE_KEYS
from site_model.spec import BlockSpec
from site_model.texts import Message

from . import rls
from .errors import InvalidItems
from .models import Record, Upload

# --- values -------------------------------------------------------------------------------


def is_file_value(value) -> bool:
    """Does `value` look like a FILE item: a JSON object naming a storage `path`, with no key
    a FILE item lacks (`{"path": "/faq/", "label": "FAQ"}` is a link, not a file)?"""
    return (
        isinstance(value, dict)
        and isinstance(value.get("path"), str)
        and set(value) <= set(FILE_KEYS)
    )


def file_values(value) -> list[dict]:
    """The file-shaped values `value` holds: itself, or those of a list."""
    values = value if isinstance(value, list) else [value]
    return [each for each in values if is_file_value(each)]


# --- the cap ------------------------------------------------------------------------------


def uploader_of(user):
    """The user an upload is counted against: None for an anonymous visitor."""
    return user if user is not None and user.is_authenticated else None


@rls.as_server
def stored_bytes(uploader) -> int:
    """What the uploads of `uploader` (None: anonymous visitors) hold now: every one, those of
    records they may not read too (row-level security would hide those)."""
    if uploader is not None:
        rows = Upload.objects.filter(uploader=uploader)
    else:  # not those of accounts since deleted: their uploader is None too
        rows = Upload.objects.filter(anonymous=True)
    return rows.aggregate(total=Sum("size"))["total"] or 0


# The key of PostgreSQL's advisory lock on the anonymous visitors' allowance (no row to lock).
ANONYMOUS_ALLOWANCE_LOCK = 0x75706C6F6164  # "upload"


def allowance_lock(uploader) -> None:
    """Lock `uploader`'s allowance (None: the anonymous visitors') until the current
    transaction ends, so that two uploads of one user do not both pass the cap, each reading
    what the user held before the other: the user's row is locked (`SELECT ... FOR UPDATE`);
    the anonymous allowance takes an advisory lock on PostgreSQL. SQLite needs neither: a
    transaction takes its write lock as it begins (settings: IMMEDIATE), one at a time."""
    if uploader is not None:
        rows = get_user_model().objects.select_for_update().filter(pk=uploader.pk)
        list(rows.values_list("pk", flat=True))
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ANONYMOUS_ALLOWANCE_LOCK])


def megabytes(size: int) -> str:
    """`size` bytes in MB, to two decimals at most: 200, 0.59, 1.5."""
    return f"{size / 2**20:.2f}".rstrip("0").rstrip(".")


CAPPED = gettext_noop(
    "uploads are capped at %(cap)s MB per user (MAX_UPLOADS_MB_PER_USER); yours hold "
    "%(held)s MB and this file is %(size)s MB"
)
CAPPED_ANONYMOUS = gettext_noop(
    "uploads are capped at %(cap)s MB for anonymous visitors together "
    "(MAX_UPLOADS_MB_PER_USER); theirs hold %(held)s MB and this file is %(size)s MB"
)


def check_cap(uploader, files: dict) -> None:
    """`InvalidItems` naming the first item whose file would take `uploader`'s uploads over
    `settings.MAX_UPLOADS_BYTES_PER_USER`; nothing is written."""
    cap = settings.MAX_UPLOADS_BYTES_PER_USER
    held = stored_bytes(uploader)
    for name, upload in files.items():
        if held + upload.size > cap:
            problem = Message(
                CAPPED if uploader else CAPPED_ANONYMOUS,
                cap=megabytes(cap),
                held=megabytes(held),
                size=megabytes(upload.size),
            )
            raise InvalidItems(f"item '{name}': {problem}", problems={name: problem})
        held += upload.size


# --- writing --------------------------------------------------------------------------------

# Bytes of a stored file's name: file systems take 255, and its folder adds to the path.
MAX_NAME_BYTES = 200


def stored_name(name: str) -> str:
    """The upload's name as stored and served: letters, digits, `-_.` only, at most
    `MAX_NAME_BYTES` bytes (a longer one is shortened, keeping its extension)."""
    try:
        name = get_valid_filename(name)
    except SuspiciousFileOperation:  # nothing left of it ("..")
        return "file"
    stem, extension = os.path.splitext(name)
    if len(extension.encode()) > MAX_NAME_BYTES // 2:
        stem, extension = name, ""
    room = MAX_NAME_BYTES - len(extension.encode())
    stem = stem.encode()[:room].decode(errors="ignore")
    return (stem + extension) or "file"


@contextmanager
def uploads_stored(*, app_id: str, files: dict, uploader):
    """`with uploads_stored(...) as (values, paths):` write the record in the `with`.

    Stores the uploaded `files` (`uploads_store`) in a transaction holding the uploader's
    allowance (`allowance_lock`) until the write that gives them their rows commits, so the
    cap holds against uploads made at once. Any error out of the `with` removes the files at
    once: no row names them, so nothing else ever would."""
    paths: tuple[str, ...] = ()
    try:
        with transaction.atomic():  # its commit failing is an error of the `with` too
            allowance_lock(uploader_of(uploader))
            values, paths = uploads_store(app_id=app_id, files=files, uploader=uploader)
            yield values, paths
    except BaseException:
        uploads_drop(paths)
        raise


def uploads_store(*, app_id: str, files: dict, uploader) -> tuple[dict, tuple[str, ...]]:
    """Store the uploaded `files` (item name -> Django's UploadedFile) within the uploader's
    cap; returns (item name -> FILE value, the storage paths written). The store ties each to
    its record (`uploads_attach`); a write refused meanwhile hands them to `uploads_drop`.
    Callers use `uploads_stored`, which holds the allowance until the record is written."""
    check_cap(uploader_of(uploader), files)
    values: dict[str, dict] = {}
    try:
        for name, upload in files.items():
            file_name = stored_name(upload.name)
            path = default_storage.save(f"{app_id}/{uuid.uuid4().hex}/{file_name}", upload)
            values[name] = {
                "name": file_name,
                "path": path,
                "size": upload.size,
                "content_type": upload.content_type or "application/octet-stream",
            }
    except BaseException:
        uploads_drop(tuple(value["path"] for value in values.values()))
        raise
    return values, tuple(value["path"] for value in values.values())


def uploads_attach(
    *, record: Record, paths: Iterable[str], uploader, block: BlockSpec | None = None
) -> None:
    """The rows of the fresh uploads (`paths`) the record's items now hold, one per file: call
    it in the transaction that wrote the record. A file held by several items (block code
    keeping a copy) belongs to the FILE element of `block` (the form it was uploaded with)
    that holds it; the copies are served from nowhere."""
    fresh = set(paths)
    if not fresh:
        return
    holders: dict[str, tuple[str, dict]] = {}
    for name, item in record.items.items():
        for value in file_values(item):
            if value["path"] in fresh and (
                value["path"] not in holders or is_file_element(block, name)
            ):
                holders[value["path"]] = (name, value)
    Upload.objects.bulk_create(
        Upload(
            record=record,
            item=name,
            path=path,
            size=int(value.get("size") or 0),
            content_type=str(value.get("content_type") or "")[:200],
            uploader=uploader_of(uploader),
            anonymous=uploader_of(uploader) is None,
        )
        for path, (name, value) in holders.items()
    )


def is_file_element(block: BlockSpec | None, name: str) -> bool:
    element = block.element(name) if block is not None else None
    return element is not None and element.definition.is_upload


def uploads_release(*, record: Record, before: dict) -> None:
    """After a save: the uploads of items whose file the save replaced or emptied lose their row,
    and their files go once the transaction commits. No query unless a file value changed."""
    after = record.items
    changed = [
        name
        for name in set(before) | set(after)
        if before.get(name) != after.get(name) and file_values(before.get(name))
    ]
    if not changed:
        return
    kept = {(name, v["path"]) for name in changed for v in file_values(after.get(name))}
    rows = Upload.objects.filter(record=record, item__in=changed)
    gone = [
        (pk, path)
        for pk, item, path in rows.values_list("pk", "item", "path")
        if (item, path) not in kept
    ]
    if gone:
        Upload.objects.filter(pk__in=[pk for pk, _ in gone]).delete()
        files_remove_on_commit([path for _, path in gone])


def upload_of(record: Record, item: str) -> Upload | None:
    """The upload item `item` of `record` holds, if it was uploaded there: None for a value
    that names no row of this record and item (copied from another record, or from nowhere)."""
    value = record.items.get(item)
    if not is_file_value(value):
        return None
    return Upload.objects.filter(record=record, item=item, path=value["path"]).first()


def record_files(records) -> list[str]:
    """The storage paths of the uploads of `records` (a queryset or a list of records): read
    before they are deleted (the rows go with them, by cascade)."""
    return list(Upload.objects.filter(record__in=records).values_list("path", flat=True))


# --- removing -------------------------------------------------------------------------------


def files_remove_on_commit(paths: list[str]) -> None:
    """Remove these files once the current transaction commits (never, if it rolls back)."""
    if paths:
        transaction.on_commit(partial(files_remove, list(paths)))


def files_remove(paths: Iterable[str]) -> None:
    """Remove stored files, and the folder each was alone in: the one place files are removed.

    Called after the transaction that released them committed (`transaction.on_commit`), as
    nothing may serve them then. When records become restorable (record history), a deleted
    record's files must stay while it can be restored: that deferral belongs here, and only
    here. A file already gone is no error.
    """
    for path in paths:
        try:
            default_storage.delete(path)
        except OSError:
            continue  # left for an operator: nothing refers to it any more
        except SuspiciousFileOperation:
            continue  # a path outside the storage (a row from old data): never touched
        remove_empty_folders(os.path.dirname(path))


def remove_empty_folders(folder: str) -> None:
    """`folder` (relative to the storage) and each parent of it, while they are empty."""
    while folder:
        try:
            os.rmdir(default_storage.path(folder))
        except (NotImplementedError, OSError, SuspiciousFileOperation):
            return  # not empty, gone already, a storage without folders, or outside it
        folder = os.path.dirname(folder)


def uploads_drop(paths: tuple[str, ...]) -> None:
    """Files stored for a write that was refused: no row names them, so they go at once."""
    files_remove(paths)
