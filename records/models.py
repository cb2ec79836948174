"""Records: the tables of the `records` app.

Models hold data and no business rules: every write goes through `records.store`, every read
through `records.selectors`. (API tokens are credentials: accounts.models.ApiToken.)
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.crypto import salted_hmac


class Record(models.Model):
    """One record of one app: its items are a JSON object, as the API shows them (minus `id`).

    `items` holds what clients and blocks wrote, plus the server's stamps `_author` (the
    user name of the creator) and `block` (the block it was saved through). `block_id` and
    `author` mirror those stamps as columns so they can be filtered on without reading JSON.
    `version` grows by one on every write; the `ETag` is an HMAC of the primary key, the app,
    the record id and the version, so it changes on every write and tells a client nothing
    (not how many records other apps hold, nor how often this one was written).
    """

    app_id = models.CharField(max_length=100)
    record_id = models.CharField(max_length=200)
    block_id = models.CharField(max_length=100, blank=True, default="")
    items = models.JSONField(default=dict, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="authored_records",
    )
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["app_id", "record_id"], name="record_id_unique_per_app"
            ),
        ]
        # Pages of a list are ordered by (app_id, pk): without this SQLite sorts the whole app.
        indexes = [models.Index(fields=["app_id", "id"], name="record_app_pk")]
        ordering = ["app_id", "id"]

    def __str__(self) -> str:
        return f"{self.app_id}/{self.record_id}"

    @property
    def etag(self) -> str:
        # The primary key keeps a deleted and re-created id from matching an old tag.
        mac = salted_hmac(
            "records.Record.etag", f"{self.pk}\n{self.app_id}\n{self.record_id}\n{self.version}"
        )
        return f'"{mac.hexdigest()[:24]}"'


SPAN_BITS = 10  # a span is 1,024 consecutive primary keys


class RecordSpan(models.Model):
    """How many records of an app have a primary key in one span (`pk >> SPAN_BITS`).

    Kept by the database itself: triggers on `records_record` (migration 0004) count every
    insert, delete and move, whatever wrote it (the store, a bulk create, the admin, a
    cascade, SQL by hand). Read by `selectors.records_page` to find where a deep offset's
    page begins without walking every record before it: a few hundred rows summed in place of
    50,000 index entries stepped over.
    """

    app_id = models.CharField(max_length=100)
    span = models.BigIntegerField()
    count = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["app_id", "span"], name="record_span_unique")
        ]

    def __str__(self) -> str:
        return f"{self.app_id}: {self.count} records from pk {self.span << SPAN_BITS}"


class IndexEntry(models.Model):
    """One value of one field index of one record (contract §4 `index_type: field`).

    Written only by `records.indexing`: a number goes to `value_number`, a string to
    `value_text` (and, for a DATETIME element, its instant to `value_date`); a list gives one
    row per element. Each typed column has an index led by (app_id, index, value) and ending
    with the record, so a condition is one index range scan that yields the record ids.
    """

    # Its index is `entry_values` below, led by the record (what the foreign key's own was).
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+", db_index=False)
    app_id = models.CharField(max_length=100)
    index = models.CharField(max_length=100)
    # NULL, not "": the empty string is a value that can be searched for.
    value_text = models.CharField(max_length=1000, null=True, blank=True)  # noqa: DJ001
    value_number = models.FloatField(null=True, blank=True)
    value_date = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["app_id", "index", "value_text", "record"], name="entry_text"),
            models.Index(fields=["app_id", "index", "value_number", "record"], name="entry_number"),
            models.Index(fields=["app_id", "index", "value_date", "record"], name="entry_date"),
            # One record's rows of one index, with their values: an aggregate joins each
            # counted record to its rows through it and reads the values from the index
            # alone (records/aggregate.py, which leaves the app out of that lookup so that no
            # planner takes the value indexes above, scanning every row of the index for
            # each record). It also serves the cascade from the record.
            models.Index(
                fields=["record", "index", "value_number", "value_date", "value_text"],
                name="entry_values",
            ),
        ]

    def __str__(self) -> str:
        value = next(
            v for v in (self.value_number, self.value_date, self.value_text, "") if v is not None
        )
        return f"{self.app_id}/{self.index}={value}"


class ListedIndex(models.Model):
    """A field index of an app in which some record has had several rows at once (its item
    held a list). An aggregate joins each record to one row per index only where none has
    (records/aggregate.py `Joined`). Written by `records.indexing` in the transaction that
    writes the rows, and never removed: once the list is gone, the mark only costs an
    aggregate its faster plan. It names no record."""

    app_id = models.CharField(max_length=100)
    index = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["app_id", "index"], name="listed_index_unique")
        ]

    def __str__(self) -> str:
        return f"{self.app_id}/{self.index}"


class IndexText(models.Model):
    """The words of one text index of one record (contract §4 `index_type: text`).

    `body` is `records.query.words_of(value)` joined by spaces. The engine's full-text index
    is made by migration 0002, outside Django's model state: on PostgreSQL a generated column
    `document = to_tsvector('simple', body)` with a GIN index; on SQLite an FTS5 table
    `records_indextext_fts(body)` whose rowid is this row's id, kept in step by triggers.
    """

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")
    app_id = models.CharField(max_length=100)
    index = models.CharField(max_length=100)
    body = models.TextField()

    class Meta:
        indexes = [models.Index(fields=["app_id", "index", "record"], name="itext_app_index")]

    def __str__(self) -> str:
        return f"{self.app_id}/{self.index}: {self.body[:40]}"


class Upload(models.Model):
    """A file stored for one FILE item of one record: the proof that the file belongs there.

    Written by `records.uploads` when a write that brought the upload is stored; the file route
    serves a record's FILE item only when a row of this record and item holds the item's
    `path` (a file-shaped value copied from elsewhere names no row of its record). Removed,
    with its file, when the record is deleted or the item replaced or emptied
    (`records.uploads.files_remove`). `size` sums into the uploader's share of
    `MAX_UPLOADS_MB_PER_USER`; anonymous uploads (`anonymous`) share one allowance. The
    uploads of an account since deleted (`uploader` None, not `anonymous`) count against nobody.
    """

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="uploads")
    item = models.CharField(max_length=100)
    path = models.CharField(max_length=500, unique=True)
    size = models.BigIntegerField()
    content_type = models.CharField(max_length=200)
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="uploads",
    )
    anonymous = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["record", "item"], name="upload_record_item")]

    def __str__(self) -> str:
        return f"{self.record_id}/{self.item}: {self.path}"


def new_job_id() -> str:
    from secrets import token_hex

    return token_hex(12)


class Job(models.Model):
    """A background job (contract §9: an import), as `GET /api/v1/jobs/<id>` shows it.

    Written only by records.tasks (state, progress, the worker running it) and records.imports
    (what it found). The id is random: it names nothing about other jobs. `source` holds the
    uploaded file until the job ends, so a job whose worker died can run again; `worker`
    (`host:pid`) and `heartbeat` tell a dead worker's job from a running one.
    """

    STATES = ("queued", "running", "done", "failed")

    id = models.CharField(max_length=32, primary_key=True, default=new_job_id, editable=False)
    kind = models.CharField(max_length=20, default="import")
    app_id = models.CharField(max_length=100)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="jobs",
    )
    state = models.CharField(max_length=10, default="queued")
    phase = models.CharField(max_length=10, blank=True, default="")  # checking, writing
    options = models.JSONField(default=dict, blank=True)
    source = models.BinaryField(null=True, blank=True)
    source_format = models.CharField(max_length=10, blank=True, default="")
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=200, blank=True, default="")
    heartbeat = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state"], name="job_state")]

    def __str__(self) -> str:
        return f"{self.kind} {self.app_id} {self.id}: {self.state}"


class RecordVersion(models.Model):
    """One write of one record (contract §9), kept by `records.history` in the transaction
    of the write: the store calls it on every path (create, bulk create, save, delete, restore).

    Keyed by the app and the record id, not by a foreign key: a deleted record keeps its
    versions, and a restore brings it back with them. `version` is the record's `version` after
    the write (a delete: the next one). `items` is the record as this write left it (a delete:
    as it was), so a restore needs one row; `changes` is `{item: [old, new]}` of an update
    (None for a create or a delete, whose changes are `items` against nothing). `extra`, on a
    delete: what a restore needs that the items do not hold (the author's key, the uploads).
    """

    KINDS = (("create", "create"), ("update", "update"), ("delete", "delete"))

    app_id = models.CharField(max_length=100)
    record_id = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=KINDS)
    at = models.DateTimeField()
    by = models.CharField(max_length=150, blank=True, default="")  # a user name; "": nobody
    via = models.CharField(max_length=8)
    items = models.JSONField(default=dict)
    changes = models.JSONField(null=True, blank=True)
    extra = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["app_id", "record_id", "version"], name="record_version_unique"
            ),
        ]
        # Only what a write must keep up: the unique key (a record's history) and the deletes
        # (`GET .../deleted`). Pruning walks the primary key, oldest first, with no index on
        # `at`: a bulk create pays for one index per version, not three.
        indexes = [
            models.Index(
                fields=["app_id", "at"],
                name="version_deleted",
                condition=models.Q(kind="delete"),
            ),
        ]
        ordering = ["app_id", "record_id", "-version"]

    def __str__(self) -> str:
        return f"{self.app_id}/{self.record_id} v{self.version} ({self.kind} via {self.via})"


# --- Row-level security in PostgreSQL (contract §12) ------------------------------------------
#
# What the policies of migration 0012 read of the site: written by records.policies from the
# apps' `acl` whenever settings.yaml changes (a hot-reloaded ACL holds in the database on the
# next request, no migration), read by SQL only. `match` is a principal as the policies compare
# it: an e-mail address folded (Python's casefold), anything else as written.


class PolicyApp(models.Model):
    """One app of the site: its `row_owners` (a JSON list of items)."""

    app_id = models.CharField(max_length=100, primary_key=True)
    row_owners = models.JSONField(default=list)

    def __str__(self) -> str:
        return self.app_id


class PolicyRight(models.Model):
    """One principal of one right of an app: `rank` 1 reader, 2 author, 3 editor, 4 manager."""

    app_id = models.CharField(max_length=100)
    rank = models.PositiveSmallIntegerField()
    match = models.CharField(max_length=300)

    class Meta:
        indexes = [models.Index(fields=["match", "app_id", "rank"], name="policy_right_match")]

    def __str__(self) -> str:
        return f"{self.app_id}: {self.rank} {self.match}"


class PolicyRole(models.Model):
    """One principal of one role of an app."""

    app_id = models.CharField(max_length=100)
    role = models.CharField(max_length=300)
    match = models.CharField(max_length=300)

    def __str__(self) -> str:
        return f"{self.app_id}: {self.role} {self.match}"


class PolicyField(models.Model):
    """An item of an app with a `read` rule (`acl.fields`): `readers` lists its principals."""

    app_id = models.CharField(max_length=100)
    item = models.CharField(max_length=100)
    readers = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"{self.app_id}.{self.item}"


class PolicyState(models.Model):
    """The site the policy tables were last written for (a digest of every app's `acl`)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    signature = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.signature


class ReportingLogin(models.Model):
    """A PostgreSQL login role for a BI tool (`manage.py reporting_role`): it reads the view
    `reporting.records` as the user `username` (their caller as of the last refresh)."""

    role = models.CharField(max_length=63, primary_key=True)
    username = models.CharField(max_length=150)
    caller = models.JSONField()
    refreshed = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.role} ({self.username})"
