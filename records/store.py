"""Services that write records: the only module that creates, saves or deletes a `Record`.

Every path that writes (the JSON API, block forms, block code) comes through here, so the rules
live in one place:
- `_author` is stamped on create with the signed-in user's name, `block` with the block a
  record is saved through; the `author` and `block_id` columns mirror them;
- a save through a block runs its COMPUTED_ON_CREATION (create only) and COMPUTED_ON_SAVE
  element functions, in declaration order, each seeing the values before it;
- `record_id(context)` names a record created through a block; a taken id gets `-1`, `-2`...;
- `on_delete(context)` runs before every delete of a record saved with a block that has it;
- `If-Match` is checked against the row locked for the write (`StaleRecord` when stale);
- a record's block is set at create: a save may not change it (`InvalidItems`, but for block
  code, which is trusted);
- every item written fits its element's type and rules (records/validation.py, `InvalidItems`);
- the uploads a write brings get their rows (records/uploads.py), and the files a save
  replaces or empties, or a delete leaves behind, are removed once it commits;
- the items of the app's `on_create` are written from the creator (`stamp_on_create`): a
  client that is no editor may send only the value the server would write (`StampedItem`);
- an owner item holds at most `MAX_OWNER_VALUES` values (`InvalidItems`), and the owner items a
  visitor may not change (`acl.Access.fixed_owner_items`) are compared under that lock
  (`OwnerItemLocked`).
Refusals are the domain errors of records/errors.py (each surface maps them to its answer);
errors of site code come back as `site_model.code.BlockCodeError` naming `path:line`.
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.identity import identity_for
from site_model import acl, code
from site_model.check_ids import CODE_ERROR
from site_model.spec import PROFILE_STAMP, AppSpec, BlockSpec, Problem
from site_model.texts import Message

from . import history, hooks, indexing, planner, rls, validation
from .errors import (
    InvalidInput,
    InvalidItems,
    OwnerItemLocked,
    RecordExists,
    RecordNotFound,
    StaleRecord,
    StampedItem,
)
from .models import Record, Upload
from .ownership import owners
from .selectors import RECORD_ID_RULE, app_records, check_record_id, is_valid_record_id
from .uploads import file_values, uploads_attach, uploads_release

MAX_SUFFIX_TRIES = 1000
MAX_OWNER_VALUES = 100  # values of one owner item: each is a row of the owner table
OWNER_ITEM_LOCKED = gettext_noop("an edit share may not change the owner item '%(item)s'")


# --- values ----------------------------------------------------------------------------------


def json_value(value, what: str):
    """A value as JSON can hold it: dates become ISO 8601 strings, Decimals numbers.

    Raises TypeError naming `what` for anything else that JSON cannot hold.
    """
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, tuple | set | frozenset):
        value = list(value)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{what}: {type(value).__name__} value is not a JSON value ({exc})"
        ) from None
    return value


def new_record_id() -> str:
    return uuid.uuid4().hex[:12]


def free_record_id(app_id: str, wanted: str) -> str:
    """`wanted`, or the first of `wanted-1`, `wanted-2`... that no record of the app has."""
    taken = set(
        app_records(app_id).filter(record_id__startswith=wanted).values_list("record_id", flat=True)
    )
    if wanted not in taken:
        return wanted
    for n in range(1, MAX_SUFFIX_TRIES + len(taken)):
        candidate = f"{wanted}-{n}"
        if candidate not in taken:
            return check_record_id(candidate)
    raise RecordExists(f"no free record id for '{wanted}' in app '{app_id}'")


def matches(etag: str, if_match: str | None) -> bool:
    """Does an `If-Match` header (None: absent) accept this ETag? `*` and lists are understood."""
    if if_match is None:
        return True
    tags = [tag.strip() for tag in if_match.split(",")]
    return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)


def check_if_match(record: Record, if_match: str | None) -> None:
    if not matches(record.etag, if_match):
        raise StaleRecord(
            f"record '{record.record_id}' has changed: If-Match {if_match} but its ETag is "
            f"{record.etag}; read it again"
        )


def check_owner_items(app: AppSpec, items: dict) -> None:
    """`InvalidItems` when an owner item (`row_owners`) holds more than `MAX_OWNER_VALUES` values."""
    for name in app.acl.row_owners if app.acl is not None else ():
        value = items.get(name)
        if isinstance(value, list) and len(value) > MAX_OWNER_VALUES:
            raise InvalidItems(
                Message(
                    gettext_noop(
                        "item '%(item)s': an owner item holds at most %(max)s values, "
                        "found %(count)s"
                    ),
                    item=name,
                    max=MAX_OWNER_VALUES,
                    count=len(value),
                )
            )


def creator_stamps(app: AppSpec, user) -> dict:
    """What `on_create` writes into a record `user` creates: item -> value, None where the
    creator has none (no profile value, anonymous). A profile value written into an owner
    item (`row_owners`) is its principal `<field>:<value>` (`team:east`), so that the record
    is owned by everyone with that value rather than by a user or group named `east`."""
    if not app.on_create:
        return {}
    signed_in = user is not None and user.is_authenticated
    identity = identity_for(user) if signed_in else None
    row_owners = app.acl.row_owners if app.acl is not None else ()
    stamps = {}
    for item, stamp in app.on_create.items():
        value = None
        if identity is None:
            pass
        elif stamp == "user.username":
            value = identity.who.username
        elif stamp == "user.email":
            value = user.email or None
        else:
            name = stamp.removeprefix(PROFILE_STAMP)
            value = identity.profile.get(name)
            if value not in (None, "") and item in row_owners:
                value = f"{name}:{value}"
        stamps[item] = None if value == "" else value
    return stamps


def on_create_for(app: AppSpec, *, user, reader) -> tuple[dict, bool]:
    """(`creator_stamps`, may the client set those items itself): trusted code (`reader`
    None) and editors of the app may."""
    stamps = creator_stamps(app, user)
    if not stamps:
        return {}, True
    trusted = reader is None or acl.access_for(app.acl, _who(reader)).has_right("editor")
    return stamps, trusted


def stamp_on_create(app: AppSpec, items: dict, on_create: tuple[dict, bool]) -> None:
    """Write the app's `on_create` items into `items` (`on_create_for`'s answer).

    A value sent for one of them stands when the client may set it; anyone else may send only
    the value written anyway, or none (an empty one, as a form posts for a field left blank);
    another is `StampedItem`, naming the item.
    """
    stamps, trusted = on_create
    for item, value in stamps.items():
        sent = acl.value_or_empty(items.get(item))
        if sent is not acl.EMPTY and trusted:
            continue
        if sent is not acl.EMPTY and sent != value:
            refused = StampedItem(
                Message(
                    gettext_noop(
                        "the item '%(item)s' is written by the server from the record's creator "
                        "(on_create: %(source)s); send it empty or not at all"
                    ),
                    item=item,
                    source=app.on_create[item],
                )
            )
            refused.item = item
            raise refused
        if value is None:
            items.pop(item, None)
        else:
            items[item] = value


def _who(user) -> acl.Who:
    return identity_for(user).who if user.is_authenticated else acl.ANONYMOUS


def check_block_kept(record: Record, items: dict, block: BlockSpec | None) -> None:
    """`InvalidItems` (400) when a save would change the record's block (the `block` item, or
    the block saved through): it is set once, at create. The block decides which form and
    view_permission apply to the record and which `on_delete` runs: an editor or an
    edit-share holder who could move it would skip them. Sending the same value back is no
    change."""
    wanted = [items["block"]] if "block" in items else []
    wanted += [block.id] if block is not None else []
    if any(value != record.block_id for value in wanted):
        created = f"through block '{record.block_id}'" if record.block_id else "without a block"
        raise InvalidItems(
            f"the block item cannot change: record '{record.record_id}' was created {created}"
        )


def block_stamp(items: dict) -> str:
    """The `block_id` column mirrors the `block` item (checked against the app's blocks
    where a client sends it: api.views.client_items)."""
    block = items.get("block")
    return block if isinstance(block, str) else ""


# --- block code -----------------------------------------------------------------------------


def block_context(*, app: AppSpec, block: BlockSpec, request, record: Record | None, items: dict):
    """The `context` of block code run for `record` (None while creating) holding `items`."""
    return hooks.runner().context(app=app, block=block, request=request, record=record, items=items)


def run(ctx, function, name: str):
    return hooks.runner().run(ctx, function, name)


def run_formulas(ctx, block: BlockSpec, items: dict, *, creating: bool) -> None:
    """COMPUTED_ON_SAVE elements (and COMPUTED_ON_CREATION ones on create) into `items`."""
    for element in block.inputs:
        if element.mode == "COMPUTED_ON_SAVE" or (
            creating and element.mode == "COMPUTED_ON_CREATION"
        ):
            function = block.function(element.id)
            if function is None:
                continue  # reported by check_site: the element needs a function
            value = run(ctx, function, element.id)
            try:
                items[element.id] = json_value(value, f"{element.id}() returned a")
            except TypeError as exc:
                raise code.BlockCodeError(
                    Problem(
                        block.py_path or block.yaml_path,
                        function.__code__.co_firstlineno,
                        str(exc),
                        CODE_ERROR,
                    )
                ) from None


def hook_record_id(ctx, block: BlockSpec) -> str | None:
    function = block.function("record_id")
    if function is None:
        return None
    value = run(ctx, function, "record_id")
    if value is None:
        return None
    if not is_valid_record_id(value):
        raise code.BlockCodeError(
            Problem(
                block.py_path,
                function.__code__.co_firstlineno,
                f"record_id() returned {value!r}: a record id is {RECORD_ID_RULE}",
                CODE_ERROR,
            )
        )
    return value


# --- services -------------------------------------------------------------------------------


@rls.as_server
def record_create(
    *,
    app: AppSpec,
    items: dict,
    record_id: str | None = None,
    user=None,
    block: BlockSpec | None = None,
    request=None,
    suffix: bool = False,
    uploads: tuple[str, ...] = (),
    reader=None,
) -> Record:
    """Create a record. A taken `record_id` is `RecordExists`, unless `suffix` (then `id-1`, `id-2`...).

    Through a `block`: its `record_id` hook names the record when no id is given, its
    formulas fill the computed elements, and `block` is stamped. The items are checked first
    (`validation.check_items`; `uploads`: storage paths of files uploaded with them; `reader`:
    the client's user, whose sight bounds REFERENCE values; None for trusted code).
    """
    validation.check_items(
        app=app, items=items, block=block, creating=True, uploads=uploads, reader=reader
    )
    items = dict(items)
    # Before the block's formulas: they see the stamped items, and may set them (site code).
    stamp_on_create(app, items, on_create_for(app, user=user, reader=reader))
    if block is not None:
        ctx = block_context(
            app=app,
            block=block,
            request=request,
            record=None,
            items=items,
        )
        if record_id is None:
            record_id = hook_record_id(ctx, block)
            suffix = True
        run_formulas(ctx, block, items, creating=True)
        items["block"] = block.id
    check_owner_items(app, items)
    author = user if user is not None and user.is_authenticated else None
    if author is not None:
        items["_author"] = author.get_username()
    if record_id is None:
        record_id, suffix = new_record_id(), True
    check_record_id(record_id)
    with transaction.atomic():
        for _ in range(3):
            chosen = free_record_id(app.id, record_id) if suffix else record_id
            if not suffix and app_records(app.id).filter(record_id=chosen).exists():
                raise RecordExists(f"record '{chosen}' exists already in app '{app.id}'")
            try:
                with transaction.atomic():
                    record = Record.objects.create(
                        app_id=app.id,
                        record_id=chosen,
                        block_id=block_stamp(items),
                        items=items,
                        author=author,
                        version=history.next_versions(app.id, [chosen]).get(chosen, 1),
                    )
                    history.version_created(record, by=history.writer(user, request))
                    indexing.record_index(app=app, record=record)
                    owners.record_owners_sync(app=app, record=record)
                    uploads_attach(record=record, paths=uploads, uploader=user, block=block)
                    return record
            except IntegrityError:
                if not suffix:
                    raise RecordExists(
                        f"record '{chosen}' exists already in app '{app.id}'"
                    ) from None
        raise RecordExists(f"record '{record_id}' exists already in app '{app.id}'")


# ids per lookup, rows per INSERT of a bulk create (Django splits further: SQLite's 999 parameters)
BULK_BATCH = 1000


@rls.as_server
def records_create_many(
    *, app: AppSpec, rows: list[tuple[dict, str | None]], user=None, reader=None
) -> list[Record]:
    """Create many records at once, all or nothing (`POST /api/v1/<app>/records`):
    `rows` are (items, record id or None), checked as `record_create` checks one.

    The rules of `record_create` for a record created without a block (the API's): the
    `_author` stamp and `author` column, `block_id` mirroring a `block` item, owner items
    within their size, every item fitting its element (records/validation.py), valid ids; a
    taken id (`RecordExists`) or a bad item (`InvalidInput`) carries its position in `rows`
    (`exc.position`), and nothing is written. Records, index rows and owner rows each go in
    with `bulk_create` (a few INSERTs per thousand records), instead of a dozen statements a
    record. Ids not given are new random ones, as in `record_create`. Block code (formulas,
    `record_id`) runs only for a create through a block: callers with a block use
    `record_create` for each record.
    """
    author = user if user is not None and user.is_authenticated else None
    # Read once: `request.user` is a lazy object, each attribute of it a detour.
    author_id = author.pk if author is not None else None
    username = author.get_username() if author is not None else None
    stamped: list[tuple[dict, str]] = []
    on_create = on_create_for(app, user=user, reader=reader)
    for position, (items, record_id) in enumerate(rows):
        items = dict(items)
        try:
            check_owner_items(app, items)
            validation.check_items(app=app, items=items, creating=True, reader=reader)
            stamp_on_create(app, items, on_create)
        except (InvalidInput, StampedItem) as exc:
            exc.position = position
            raise
        if username is not None:
            items["_author"] = username
        stamped.append((items, check_record_id(record_id) if record_id is not None else None))
    with transaction.atomic():
        given = [record_id for _, record_id in stamped if record_id is not None]
        taken = taken_ids(app.id, given)
        if taken:
            position = next(i for i, (_, rid) in enumerate(stamped) if rid in taken)
            chosen = stamped[position][1]
            exc = RecordExists(f"record '{chosen}' exists already in app '{app.id}'")
            exc.position = position
            raise exc
        fresh = [new_record_id() for _, record_id in stamped if record_id is None]
        # A clash of random ids (with each other, the list's or the app's): practically never.
        while len(set(fresh)) < len(fresh) or set(fresh) & set(given) or taken_ids(app.id, fresh):
            fresh = [new_record_id() for _ in fresh]
        fresh_ids = iter(fresh)
        # An id that a deleted record had: its history goes on from where it stopped.
        starts = history.next_versions(app.id, given) if given else {}
        records = [
            Record(
                app_id=app.id,
                record_id=record_id if record_id is not None else next(fresh_ids),
                block_id=block_stamp(items),
                items=items,
                author_id=author_id,
                version=starts.get(record_id, 1),
            )
            for items, record_id in stamped
        ]
        try:
            with transaction.atomic():
                _insert_records(records)
        except IntegrityError:  # created meanwhile by another request
            raise RecordExists(
                f"a record id of the list exists already in app '{app.id}'"
            ) from None
        indexing.records_index_new(app=app, records=records)
        owners.records_owners_new(app=app, records=records)
        history.versions_created(records, by=username or history.writer())
        planner.after_bulk_write(len(records))  # statistics, once committed
    return records


def _insert_records(records: list[Record]) -> None:
    """INSERT ... RETURNING new records in batches, setting each one's pk: `bulk_create`
    without its per-field, per-row preparation (most of a bulk create's time, bench/api.py),
    and in batches of BULK_BATCH where Django's SQLite batches stop at 999 parameters."""
    connection = connections[router.db_for_write(Record)]
    meta, quote = Record._meta, connection.ops.quote_name
    now = timezone.now()
    stamp = meta.get_field("created").get_db_prep_save(now, connection)
    items_field = meta.get_field("items")
    columns = ("app_id", "record_id", "block_id", "items", "author_id", "created", "modified")
    columns += ("version",)
    row = f"({', '.join(['%s'] * len(columns))})"
    by_id = {record.record_id: record for record in records}
    with connection.cursor() as cursor:
        for low in range(0, len(records), BULK_BATCH):
            batch = records[low : low + BULK_BATCH]
            params = []
            for record in batch:
                prepared = items_field.get_db_prep_save(record.items, connection)
                params += [record.app_id, record.record_id, record.block_id, prepared]
                params += [record.author_id, stamp, stamp, record.version]
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
                f"VALUES {', '.join([row] * len(batch))} RETURNING {quote('id')}, "
                f"{quote('record_id')}",
                params,
            )
            for pk, record_id in cursor.fetchall():
                by_id[record_id].pk = pk
    for record in records:
        record.created = record.modified = now
        record._state.adding = False
        record._state.db = connection.alias


@rls.as_server
def taken_ids(app_id: str, record_ids: list[str]) -> set[str]:
    """The ids of `record_ids` that a record of the app holds, whoever may read it (a write
    decides on each as the server: contract §12), looked up BULK_BATCH at a time."""
    taken: set[str] = set()
    for low in range(0, len(record_ids), BULK_BATCH):
        batch = record_ids[low : low + BULK_BATCH]
        taken.update(
            app_records(app_id).filter(record_id__in=batch).values_list("record_id", flat=True)
        )
    return taken


@rls.as_server
def record_save(
    *,
    app: AppSpec,
    record: Record,
    items: dict,
    block: BlockSpec | None = None,
    request=None,
    if_match: str | None = None,
    fixed: tuple[str, ...] = (),
    keep_block: bool = True,
    uploads: tuple[str, ...] = (),
    locked: bool = False,
    reader=None,
) -> Record:
    """Merge `items` into the record (a name present replaces its value) and save it.

    Through a `block`: its COMPUTED_ON_SAVE formulas run on the merged items and `block` is
    stamped. `fixed`: the owner items the caller may not change (`Access.fixed_owner_items`),
    checked against the locked row: sending one with another value is `OwnerItemLocked` naming
    it. `keep_block`: the record's block is the one it was created through
    (`check_block_kept`); only block code (trusted, `record.save(block_id=...)`) passes False
    to move it. A record deleted meanwhile is `RecordNotFound`. Returns the record as saved,
    with its new version. `locked`: the caller read `record` with `SELECT ... FOR UPDATE` in
    the transaction this runs in (access.record_for(..., lock=True)), so it is not read again.

    Statements: the lock (unless `locked`), one UPDATE of the record, and only the index and
    owner rows whose values changed (records.indexing.record_reindex_changed,
    owners.record_owners_resync): a PATCH of one indexed item is one more UPDATE.
    """
    # `locked`: the caller's transaction is ours (an error rolls all of it back): no savepoint.
    with transaction.atomic(savepoint=not locked):
        if locked:
            current = record
        else:
            current = Record.objects.select_for_update().filter(pk=record.pk).first()
        if current is None:
            raise RecordNotFound(f"no record '{record.record_id}' in app '{app.id}'")
        check_if_match(current, if_match)
        if keep_block:
            check_block_kept(current, items, block)
        refused = acl.changed_owner_item(current.items, items, fixed)
        if refused is not None:
            raise OwnerItemLocked(Message(OWNER_ITEM_LOCKED, item=refused))
        validation.check_items(
            app=app,
            items=items,
            block=block,
            current=current.items,
            uploads=uploads,
            reader=reader,
        )
        before = current.items
        merged = {**before, **items}
        if block is not None:
            ctx = block_context(
                app=app,
                block=block,
                request=request,
                record=current,
                items=merged,
            )
            run_formulas(ctx, block, merged, creating=False)
            merged["block"] = block.id
        check_owner_items(app, merged)
        _write(
            app=app,
            current=current,
            items=merged,
            before=before,
            block=block,
            uploads=uploads,
            uploader=getattr(request, "user", None),
            by=history.writer(reader, request),
        )
    return current


def _write(
    *, app: AppSpec, current: Record, items: dict, before: dict, block, uploads, uploader, by: str
) -> None:
    """Write `items` over the locked record `current` (its items were `before`): the row,
    the index and owner rows that changed, the uploads, the version."""
    # Under the row lock the version cannot move: the new one is known without re-reading.
    current.items = items
    current.block_id = block_stamp(items)
    current.version += 1
    current.modified = timezone.now()
    written = Record.objects.filter(pk=current.pk).update(
        items=current.items,
        block_id=current.block_id,
        version=current.version,
        modified=current.modified,
    )
    if not written:  # deleted before the caller's lock was taken
        raise RecordNotFound(f"no record '{current.record_id}' in app '{app.id}'")
    indexing.record_reindex_changed(app=app, record=current, before=before)
    owners.record_owners_resync(app=app, record=current, before=before)
    uploads_attach(record=current, paths=uploads, uploader=uploader, block=block)
    uploads_release(record=current, before=before)
    history.version_saved(current, before=before, by=by)


def run_on_delete(*, app: AppSpec | None, record: Record, request=None) -> None:
    block = app.blocks.get(record.block_id) if app is not None and record.block_id else None
    if block is None or block.function("on_delete") is None:
        return
    ctx = block_context(
        app=app,
        block=block,
        request=request,
        record=record,
        items=record.items,
    )
    run(ctx, block.function("on_delete"), "on_delete")


@rls.as_server
def record_delete(
    *, app: AppSpec | None, record: Record, request=None, if_match: str | None = None
) -> None:
    """Delete a record; its block's `on_delete` runs first (an error there deletes nothing).

    `app` None: the record's app is no longer in the site folder (the admin), so there is no
    block code to run."""
    with transaction.atomic():
        locked = Record.objects.select_for_update().filter(pk=record.pk).first()
        if locked is None:
            return
        check_if_match(locked, if_match)
        run_on_delete(app=app, record=locked, request=request)
        # Its files stay while it can be restored: history.prune removes them.
        history.versions_deleted([locked], by=history.writer(request=request))
        locked.delete()


@rls.as_server
def record_delete_all(*, app: AppSpec, request=None) -> int:
    """Delete every record of the app, running `on_delete` for each one whose block has it."""
    with transaction.atomic():
        hooked = [block_id for block_id, block in app.blocks.items() if block.function("on_delete")]
        for record in app_records(app.id).filter(block_id__in=hooked).iterator():
            run_on_delete(app=app, record=record, request=request)
        by = history.writer(request=request)
        records = app_records(app.id).order_by("pk")
        last = 0
        while True:
            batch = list(records.filter(pk__gt=last)[:BULK_BATCH])
            if not batch:
                break
            history.versions_deleted(batch, by=by)
            last = batch[-1].pk
        deleted, _ = app_records(app.id).delete()
    return deleted


SERVER_ITEMS = ("_author", "block")  # kept as they are by a restore: set at create


@rls.as_server
def record_restore(
    *,
    app: AppSpec,
    record: Record,
    version: int,
    if_match: str | None = None,
    fixed: tuple[str, ...] = (),
    readable=None,
    check_writes=None,
    locked: bool = False,
    user=None,
    whole_history: bool = True,
) -> Record:
    """Write version `version`'s items back over the record, as a new version made via
    "restore" (`POST .../restore`, contract §9): items it did not hold go, items it held come
    back. `readable(items)`: the items the caller may read (records.access.readable_items);
    those they may not keep their stored values, as an update by that caller would.
    `check_writes(items, before)`: raises for an item the caller may not write that the restore
    would change (records.access.check_item_writes). The record's block and `_author` stay. `fixed`, `if_match`, `locked`: as for `record_save`.
    `whole_history`: the versions of a deleted record of the same id may be restored
    (records.access.sees_whole_history). The values are those the record held: the element
    rules are not asked again."""
    shown = readable or (lambda items: items)
    with transaction.atomic(savepoint=not locked):
        current = record if locked else selectors_lock(record)
        if current is None:
            raise RecordNotFound(f"no record '{record.record_id}' in app '{app.id}'")
        check_if_match(current, if_match)
        past = history.version_get(app.id, current.record_id, version, whole=whole_history).items
        before = current.items
        visible = shown(before)
        items = {name: value for name, value in before.items() if name not in visible}
        items.update({n: v for n, v in shown(past).items() if n not in SERVER_ITEMS})
        items.update({name: before[name] for name in SERVER_ITEMS if name in before})
        if check_writes is not None:
            restored = {name: items.get(name) for name in {*visible, *shown(past)}}
            check_writes({n: v for n, v in restored.items() if n not in SERVER_ITEMS}, before)
        gone = {name: None for name in fixed if name not in items}  # removed: emptied
        refused = acl.changed_owner_item(before, {**gone, **items}, fixed)
        if refused is not None:
            raise OwnerItemLocked(Message(OWNER_ITEM_LOCKED, item=refused))
        check_owner_items(app, items)
        with history.written_via("restore"):
            _write(
                app=app,
                current=current,
                items=items,
                before=before,
                block=None,
                uploads=(),
                uploader=user,
                by=history.writer(user),
            )
    return current


def selectors_lock(record: Record) -> Record | None:
    return Record.objects.select_for_update().filter(pk=record.pk).first()


@rls.as_server
def record_undelete(*, app: AppSpec, record_id: str, version: int, user=None) -> Record:
    """Bring a deleted record back (`POST .../restore` on its id) holding version `version`'s
    items, with its history, the uploads its delete kept, and its author; a new version made
    via "restore". `RecordExists` when a record of that id lives (created meanwhile)."""
    with transaction.atomic():
        deletion = history.deletion_of(app.id, record_id)
        if deletion is None:
            raise RecordExists(f"record '{record_id}' exists already in app '{app.id}'")
        items = dict(history.version_get(app.id, record_id, version).items)
        extra = deletion.extra or {}
        author_id = extra.get("author")
        if author_id is not None and not get_user_model().objects.filter(pk=author_id).exists():
            author_id = None
        try:
            with transaction.atomic():
                record = Record.objects.create(
                    app_id=app.id,
                    record_id=record_id,
                    block_id=block_stamp(items),
                    items=items,
                    author_id=author_id,
                    version=deletion.version + 1,
                )
        except IntegrityError:
            raise RecordExists(f"record '{record_id}' exists already in app '{app.id}'") from None
        indexing.record_index(app=app, record=record)
        owners.record_owners_sync(app=app, record=record)
        _uploads_back(record, extra.get("uploads") or [])
        history.version_created(record, by=history.writer(user), via="restore")
    return record


def _uploads_back(record: Record, kept: list) -> None:
    """The upload rows of a restored record: those its delete kept whose file its items
    still name (restoring an older version may name older files, long gone)."""
    named = {
        (name, value["path"]) for name, item in record.items.items() for value in file_values(item)
    }
    taken = set(Upload.objects.filter(path__in=[u[1] for u in kept]).values_list("path", flat=True))
    Upload.objects.bulk_create(
        Upload(
            record=record,
            item=item,
            path=path,
            size=size,
            content_type=content_type,
            uploader_id=uploader,
            anonymous=anonymous,
        )
        for item, path, size, content_type, uploader, anonymous in kept
        if (item, path) in named and path not in taken
    )


def run_on_save(*, app: AppSpec, block: BlockSpec, record: Record, request) -> str | None:
    """The block's `on_save` hook after a save through it; a returned string is a URL."""
    function = block.function("on_save")
    if function is None:
        return None
    ctx = block_context(
        app=app,
        block=block,
        request=request,
        record=record,
        items=dict(record.items),
    )
    target = run(ctx, function, "on_save")
    return target if isinstance(target, str) and target else None


@rls.as_server
def record_reindex(*, app: AppSpec, record: Record) -> None:
    """Rewrite the record's index rows from its stored items (`record.reindex()`)."""
    with transaction.atomic():
        locked = Record.objects.select_for_update().filter(pk=record.pk).first()
        if locked is not None:
            indexing.record_index(app=app, record=locked)


@rls.as_server
def app_reindex(*, app: AppSpec, progress=None) -> list[str]:
    """Re-declare the app's indexes and re-index all its records (POST /api/v1/<app>/refresh,
    `manage.py refresh_app`); returns the sorted index ids. See `indexing.app_refresh`."""
    owners.app_owners_rebuild(app=app)  # `row_owners` may have changed too
    indexes = indexing.app_refresh(app=app, progress=progress)
    transaction.on_commit(planner.gather)  # every index row rewritten: fresh statistics
    return indexes
