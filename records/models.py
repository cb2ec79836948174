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
