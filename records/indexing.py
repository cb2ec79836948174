"""Index maintenance (contract §4 `index_type`): the rows of `IndexEntry` and `IndexText`.

The only module that writes the index tables. `records.store` calls `record_index()` inside the
transaction that writes a record (create, save, `record.reindex()`); a delete removes the rows by
the foreign key's cascade. `app_refresh()` re-reads the app's declared indexes and re-indexes
every record of the app (`POST /api/v1/<app>/refresh`, `manage.py refresh_app`).

Rules (docs/architecture.md, "What writes the entries"), for each field index and each value of
the item (a list gives each element): the columns its element type's definition gives
(`site_model.elements`, `ElementType.index_values`): a number (not a boolean) -> `value_number`;
a string -> `value_text` (up to 1,000 characters), and also `value_date` for a DATETIME element
when it is an ISO 8601 date or date-time (no offset: UTC), `value_number` for a NUMBER element
when it is a numeric string (form posts). For each text index: one `IndexText` row holding the words of the
value (`records.query.words_of`). Values of other shapes are not entered: the record then simply
fails every comparison on that index. A record given several rows of one field index (a list)
marks that index of its app in `ListedIndex`, in the same transaction (records/aggregate.py
joins one row per record where no record has more).

Imports models and the pure query module; nothing from the API, the blocks or the selectors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import connections, router, transaction

from site_model.spec import AppSpec

from .models import IndexEntry, IndexText, ListedIndex, Record
from .query import FIELD, ID_INDEX, TEXT, IndexSpec, words_of

# The words of one text index of one record: far beyond prose, and well under PostgreSQL's 1 MB
# tsvector limit (a longer body would make to_tsvector fail the write).
MAX_TEXT_BODY = 200_000
REFRESH_BATCH = 1000


def index_specs(app: AppSpec) -> dict[str, IndexSpec]:
    """The app's indexes with the type of the element declaring each (the first one, as
    `AppSpec.indexes` picks it); `id` is always a field index on the record's id.

    >>> index_specs(app)  # an element `price: {type: NUMBER, index_type: field}`
    {'id': IndexSpec(id='id', kind='field', value_type='TEXT'),
     'price': IndexSpec(id='price', kind='field', value_type='NUMBER')}
    """
    specs = {"id": ID_INDEX}
    for block in app.blocks.values():
        for element in block.elements:
            if element.index_type in (FIELD, TEXT) and element.id not in specs:
                specs[element.id] = IndexSpec(element.id, element.index_type, element.type)
    return specs


def index_values(
    specs: dict[str, IndexSpec], items: dict
) -> tuple[list[tuple[str, dict]], list[tuple[str, str]]]:
    """The index rows of one record's `items` under `specs`, as data: (index, typed columns)
    of each field index entry, (index, body) of each text index."""
    entries: list[tuple[str, dict]] = []
    texts: list[tuple[str, str]] = []
    for spec in specs.values():
        if spec.id == "id" or spec.id not in items:
            continue  # `id` is compared on Record.record_id itself
        value = items[spec.id]
        if spec.kind == TEXT:
            body = text_body(value)
            if body:
                texts.append((spec.id, body))
            continue
        for one in value if isinstance(value, list) else [value]:
            typed = spec.element_type.index_values(one)
            if typed is not None:
                entries.append((spec.id, typed))
    return entries, texts


def index_rows(
    specs: dict[str, IndexSpec], *, app_id: str, record_pk: int, items: dict
) -> tuple[list[IndexEntry], list[IndexText]]:
    """The unsaved index rows of one record's `items` under `specs`."""
    entries, texts = index_values(specs, items)
    return (
        [IndexEntry(record_id=record_pk, app_id=app_id, index=i, **typed) for i, typed in entries],
        [IndexText(record_id=record_pk, app_id=app_id, index=i, body=body) for i, body in texts],
    )


def text_body(value: object) -> str:
    """The words a text index holds for `value`: a string's words, a list's strings' words;
    numbers count as their digits. At most MAX_TEXT_BODY characters, cut between words."""
    parts = value if isinstance(value, list) else [value]
    words: dict[str, None] = {}
    for part in parts:
        if isinstance(part, bool) or not isinstance(part, str | int | float):
            continue
        for word in words_of(str(part)):
            words.setdefault(word, None)
    body = " ".join(words)
    if len(body) > MAX_TEXT_BODY:
        body = body[: MAX_TEXT_BODY + 1].rsplit(" ", 1)[0]
    return body


# --- writes -------------------------------------------------------------------------------------


def record_index(
    *, app: AppSpec, record: Record, specs: dict[str, IndexSpec] | None = None
) -> None:
    """Replace the record's index rows with those of its current items (one transaction)."""
    specs = specs if specs is not None else index_specs(app)
    entries, texts = index_rows(specs, app_id=app.id, record_pk=record.pk, items=record.items)
    with transaction.atomic(savepoint=False):
        IndexEntry.objects.filter(record_id=record.pk).delete()
        IndexText.objects.filter(record_id=record.pk).delete()
        IndexEntry.objects.bulk_create(entries)
        IndexText.objects.bulk_create(texts)
        note_lists(app.id, repeated(entry.index for entry in entries))


def records_index_new(*, app: AppSpec, records: Iterable[Record]) -> None:
    """The index rows of records just created (a bulk create): INSERTs only, nothing to
    delete, written as plain rows (`insert_rows`): building a model per index row cost more
    than the database's work (bench/api.py)."""
    specs = index_specs(app)
    entries: list[tuple] = []
    texts: list[tuple] = []
    date_field = IndexEntry._meta.get_field("value_date")
    connection = connections[router.db_for_write(IndexEntry)]
    listed: set[str] = set()
    for record in records:
        more_entries, more_texts = index_values(specs, record.items)
        listed |= repeated(index for index, _ in more_entries)
        for index, typed in more_entries:
            date = typed.get("value_date")
            if date is not None:
                date = date_field.get_db_prep_save(date, connection)
            entries.append(
                (record.pk, app.id, index, typed.get("value_text"), typed.get("value_number"), date)
            )
        texts.extend((record.pk, app.id, index, body) for index, body in more_texts)
    insert_rows(IndexEntry, ENTRY_COLUMNS, entries)
    insert_rows(IndexText, TEXT_COLUMNS, texts)
    note_lists(app.id, listed)


ENTRY_COLUMNS = ("record_id", "app_id", "index", "value_text", "value_number", "value_date")
TEXT_COLUMNS = ("record_id", "app_id", "index", "body")


def insert_rows(model, columns: tuple[str, ...], rows: list[tuple], batch: int = 5000) -> None:
    """INSERT plain rows (values ready for the database) into `model`'s table, `executemany`
    in batches: no model instance per row. Columns are our own names."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        for low in range(0, len(rows), batch):
            cursor.executemany(sql, rows[low : low + batch])


def repeated(indexes: Iterable[str]) -> set[str]:
    """The indexes named more than once among one record's index rows (an item's list)."""
    seen: set[str] = set()
    twice: set[str] = set()
    for index in indexes:
        (twice if index in seen else seen).add(index)
    return twice


def note_lists(app_id: str, indexes: set[str]) -> None:
    """Mark `indexes` of the app as holding some record's list (`ListedIndex`, once each)."""
    if indexes:
        ListedIndex.objects.bulk_create(
            [ListedIndex(app_id=app_id, index=index) for index in sorted(indexes)],
            ignore_conflicts=True,
        )


def _by_index(rows, fields: tuple[str, ...]) -> dict[str, list[tuple]]:
    found: dict[str, list[tuple]] = {}
    for row in rows:
        found.setdefault(row.index, []).append(tuple(getattr(row, f) for f in fields))
    return found


ENTRY_VALUES = ("value_text", "value_number", "value_date")
TEXT_VALUES = ("body",)


def record_reindex_changed(
    *, app: AppSpec, record: Record, before: dict, specs: dict[str, IndexSpec] | None = None
) -> None:
    """After a save: rewrite only the index rows of the indexes whose values changed from
    `before` (the items the record's rows were written for) to `record.items`.

    The rows of a record are always those of its items under the declared indexes (every
    write and `refresh` keep them so), so what changed is known without reading them. One
    changed index holding one value before and after is one UPDATE (an INSERT if the row was
    missing, as after a declaration that no refresh followed yet); anything else is one DELETE
    of the changed indexes' rows and one INSERT of their new ones, per table. Nothing changed:
    no statement. Runs inside the caller's transaction (records.store).
    """
    specs = specs if specs is not None else index_specs(app)
    old_entries, old_texts = index_rows(specs, app_id=app.id, record_pk=record.pk, items=before)
    new_entries, new_texts = index_rows(
        specs, app_id=app.id, record_pk=record.pk, items=record.items
    )
    for model, fields, old, new in (
        (IndexEntry, ENTRY_VALUES, old_entries, new_entries),
        (IndexText, TEXT_VALUES, old_texts, new_texts),
    ):
        was, now = _by_index(old, fields), _by_index(new, fields)
        changed = sorted(i for i in was.keys() | now.keys() if was.get(i) != now.get(i))
        if not changed:
            continue
        rows = model.objects.filter(record_id=record.pk)
        if len(changed) == 1 and len(was.get(changed[0], ())) == 1 == len(now.get(changed[0], ())):
            values = dict(zip(fields, now[changed[0]][0], strict=True))
            if rows.filter(index=changed[0]).update(**values) == 1:
                continue
        rows.filter(index__in=changed).delete()
        written = [row for row in new if row.index in changed]
        model.objects.bulk_create(written)
        if model is IndexEntry:
            note_lists(app.id, repeated(row.index for row in written))


def app_refresh(
    *,
    app: AppSpec,
    batch_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[str]:
    """Re-declare the app's indexes and re-index every record of the app; the sorted index ids.

    Rows of indexes no longer declared go first. Then records are re-indexed in batches of
    `batch_size` (default REFRESH_BATCH), each batch in its own transaction with its records locked, so a save running
    at the same time is applied either before or after its batch, never half-way; a search
    meanwhile sees each record fully indexed under the old or the new declaration.
    `progress(done, total)` is called after each batch.
    """
    batch_size = batch_size or REFRESH_BATCH
    specs = index_specs(app)
    fields = [i for i, spec in specs.items() if spec.kind == FIELD and i != "id"]
    texts = [i for i, spec in specs.items() if spec.kind == TEXT]
    with transaction.atomic():
        IndexEntry.objects.filter(app_id=app.id).exclude(index__in=fields).delete()
        IndexText.objects.filter(app_id=app.id).exclude(index__in=texts).delete()
    total = Record.objects.filter(app_id=app.id).count()
    done = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            batch = list(
                Record.objects.select_for_update()
                .filter(app_id=app.id, pk__gt=last_pk)
                .order_by("pk")
                .values_list("pk", "items")[:batch_size]
            )
            if not batch:
                break
            _reindex_batch(specs, app.id, batch)
        last_pk = batch[-1][0]
        done += len(batch)
        if progress is not None:
            progress(min(done, max(total, done)), max(total, done))
    return sorted(specs)


def _reindex_batch(specs: dict[str, IndexSpec], app_id: str, batch: Iterable[tuple[int, dict]]):
    pks = [pk for pk, _ in batch]
    entries: list[IndexEntry] = []
    texts: list[IndexText] = []
    listed: set[str] = set()
    for pk, items in batch:
        more_entries, more_texts = index_rows(
            specs, app_id=app_id, record_pk=pk, items=items if isinstance(items, dict) else {}
        )
        entries.extend(more_entries)
        texts.extend(more_texts)
        listed |= repeated(entry.index for entry in more_entries)
    IndexEntry.objects.filter(record_id__in=pks).delete()
    IndexText.objects.filter(record_id__in=pks).delete()
    IndexEntry.objects.bulk_create(entries, batch_size=1000)
    IndexText.objects.bulk_create(texts, batch_size=1000)
    note_lists(app_id, listed)
