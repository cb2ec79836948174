"""An app's API as an OpenAPI 3.1 document, cut to the caller (contract §4, issue 15).

Built from the site model alone: the app's blocks and their elements (the record schema comes
from the element definitions, api/schema.py), its indexes, and the caller's access
(the permission core's `Access`). Both the record routes (api.views) and the block routes
(`blocks/<block>[/<element>]`, api.block_views) are described from the site model, never from
the URLconf.

Cut to the caller: an operation the caller's rights cannot reach is left out (a reader sees
no write), so is every block the caller may not see, its element routes and its elements in the
record schemas; the `acl` of `GET /api/v1/<app>`, and which items are owner items
(`row_owners`), are described for a manager only. Each operation says what it needs in
`x-needs`: `nothing`, a right (`reader`, `author`, `editor`, `manager`), `view_permission`,
or `share`: a share of the record, which any signed-in caller may hold (contract §5).
"""

from __future__ import annotations

from records import access as gate
from records import selectors
from records.aggregate import MAX_LIMIT as AGGREGATE_MAX_LIMIT
from site_model.acl import SHARE_PERMISSIONS, Access, Verdict
from site_model.spec import AppSpec, BlockSpec
from site_model.totals import CREATED, METRIC_FORMS, declared_items, is_dated

from . import schema as record_schema
from .openapi_methods import method_refused, with_twins
from .serializers import RestoreBody, SearchBody, ShareBody

OPENAPI_VERSION = "3.1.0"
JSON = "application/json"
RECORD_ID_PATTERN = f"^{selectors.RECORD_ID_REGEX}$"  # the rule the server checks
RECORD_ID_SCHEMA = {
    "type": "string",
    "pattern": RECORD_ID_PATTERN,
    "maxLength": selectors.RECORD_ID_MAX_LENGTH,
}
WRITE_METHODS = ("put", "patch", "delete")


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def body(schema: dict, *, required: bool = True, description: str = "") -> dict:
    found = {"required": required, "content": {JSON: {"schema": schema}}}
    if description:
        found["description"] = description
    return found


def answer(description: str, schema: dict | None = None, headers: dict | None = None) -> dict:
    found: dict = {"description": description}
    if schema is not None:
        found["content"] = {JSON: {"schema": schema}}
    if headers:
        found["headers"] = headers
    return found


def error(description: str, headers: dict | None = None) -> dict:
    return answer(description, ref("Error"), headers)


# Headers every such answer carries (api/errors.py), so required.
CHALLENGE = {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}}
RETRY_AFTER = {"Retry-After": {"required": True, "schema": {"type": "integer"}}}
ERRORS = {
    "400": error("malformed JSON, a body of the wrong shape, or a bad parameter"),
    "401": error(
        "anonymous and not allowed, or bad credentials",
        CHALLENGE,
    ),
    "403": error("signed in and not allowed"),
    "404": error("no such record, or one the caller may not read"),
    "409": error("a record with this id exists"),
    "412": error("If-Match names a stale ETag: read the record again"),
    "413": error("the body is too large"),
    "429": error(
        "too many failed passwords lately (HTTP Basic)",
        RETRY_AFTER,
    ),
    "500": error("the site's block code failed"),
    "503": error(
        "the database is busy or unavailable; retry",
        RETRY_AFTER,
    ),
}
REFUSED = ("401", "403", "429", "503")


def errors(*codes: str) -> dict:
    return {code: ERRORS[code] for code in (*codes, *REFUSED)}


def operation(summary: str, needs: str, responses: dict, **extra) -> dict:
    return {"summary": summary, "x-needs": needs, "responses": responses, **extra}


def success(word: str) -> dict:
    return {
        "type": "object",
        "properties": {"success": {"const": word}},
        "required": ["success"],
        "additionalProperties": False,
    }


PAGING = [
    {
        "name": "limit",
        "in": "query",
        "description": "records per page (default 100; above 1000 counts as 1000)",
        "schema": {"type": "integer", "minimum": 1},
    },
    {
        "name": "offset",
        "in": "query",
        "description": "records to skip",
        "schema": {"type": "integer", "minimum": 0},
    },
    {
        "name": "after",
        "in": "query",
        "description": "keyset paging: the records after the one with this id, in creation "
        "order (not with sort_index); the next page's Link uses it",
        "schema": {"type": "string"},
    },
]
FIELDS = {
    "name": "fields",
    "in": "query",
    "description": "item names separated by commas: only these items (and id); empty: id alone",
    "schema": {"type": "string"},
    "allowEmptyValue": True,
}
LINK = {
    "Link": {
        "description": '`<next page URL>; rel="next"` while more records remain',
        "schema": {"type": "string"},
    }
}
ETAG = {"ETag": {"description": "the record's version", "schema": {"type": "string"}}}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "description": "the ETag last read: a stale one is refused with 412 and nothing changes",
    "schema": {"type": "string"},
}
RECORD_ID = {
    "name": "record_id",
    "in": "path",
    "required": True,
    "description": f"a record id: {selectors.RECORD_ID_RULE}",
    "schema": RECORD_ID_SCHEMA,
}


ACCESS_PARAMETERS = [
    {
        "name": "user",
        "in": "query",
        "required": True,
        "description": "the user name of the user to explain",
        "schema": {"type": "string", "minLength": 1},
    },
    {
        "name": "record",
        "in": "query",
        "description": f"a record id, for the verdicts on that record: {selectors.RECORD_ID_RULE}",
        "schema": RECORD_ID_SCHEMA,
    },
]
VERDICT_SCHEMA = {
    "type": "object",
    "properties": {"allowed": {"type": "boolean"}, "because": {"type": "string"}},
    "required": ["allowed", "because"],
    "additionalProperties": False,
}
ACCESS_SCHEMA = {
    "type": "object",
    "properties": {
        "user": {"type": "string"},
        "record": {"type": ["string", "null"]},
        "rights": {
            "type": "object",
            "properties": dict.fromkeys(
                ("read", "create", "edit", "delete", "share"), VERDICT_SCHEMA
            ),
            "required": ["read", "create", "edit", "delete", "share"],
            "additionalProperties": False,
        },
        "fields": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {"read": {"type": "boolean"}, "write": {"type": "boolean"}},
                "required": ["read", "write"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["user", "record", "rights", "fields"],
    "additionalProperties": False,
}


def visible_blocks(app: AppSpec, access: Access) -> list[BlockSpec]:
    return [
        block
        for _, block in sorted(app.blocks.items())
        if gate.block_verdict(block, access.who) is Verdict.ALLOW
    ]


def describe(app: AppSpec, access: Access, server: str) -> dict:
    """The OpenAPI document of `app`'s API as `access` may use it; `server` is the absolute
    URL of `/api/v1`. Items `access` may not read (field permissions) are not in it."""
    app = gate.app_as_seen(app, access)
    base = f"/{app.id}"
    reader, author = access.has_right("reader"), access.has_right("author")
    editor, manager = access.has_right("editor"), access.has_right("manager")
    # A signed-in caller may hold a share of a record whatever their rights in the app.
    shared = access.who.is_authenticated
    paths: dict[str, dict] = {}

    paths[base] = {
        "get": operation(
            "The app: its blocks and indexes (and its ACL, for a manager)",
            "nothing",
            {
                "200": answer(
                    "the app",
                    ref("App"),
                    {
                        "X-CSRF-Token": {
                            "description": "for writes with the session cookie",
                            "schema": {"type": "string"},
                        }
                    },
                ),
                **errors(),
            },
            operationId="getApp",
        )
    }
    paths[f"{base}/openapi.json"] = {
        "get": operation(
            "This description, cut to the caller",
            "nothing",
            {"200": answer("an OpenAPI 3.1 document", {"type": "object"}), **errors()},
            operationId="getDescription",
        )
    }
    if author:
        paths[base]["post"] = operation(
            "Create one record (the server picks an id unless the body names one)",
            "author",
            {"201": answer("created", ref("Created"), ETAG), **errors("400", "409", "413")},
            operationId="createRecord",
            requestBody=body(ref("RecordCreate")),
        )
    records: dict = {}
    if reader:
        records["get"] = operation(
            "List the records the caller may read, in creation order",
            "reader",
            {"200": answer("a page of records", ref("Listing"), LINK), **errors("400")},
            operationId="listRecords",
            parameters=[*PAGING, FIELDS],
        )
    if author:
        records["post"] = operation(
            "Create many records: all or nothing",
            "author",
            {
                "201": answer(
                    "created",
                    ref("CreatedMany"),
                ),
                **errors("400", "409", "413"),
            },
            operationId="createRecords",
            # At most 10,000 records (more is a 400), said in words: a `maxItems` would have
            # a fuzzer send 10,000 records at each boundary.
            requestBody=body(
                {"type": "array", "items": ref("RecordCreate")},
                description="a list of at most 10,000 records (more is a 400)",
            ),
        )
    if editor:
        records["delete"] = operation(
            "Delete every record of the app",
            "editor",
            {"200": answer("deleted", ref("Deleted")), **errors()},
            operationId="deleteRecords",
        )
    if records:
        paths[f"{base}/records"] = records

    record: dict = {}
    if reader or shared:
        record["get"] = operation(
            "One record",
            "reader" if reader else "share",
            {
                "200": answer("the record's items", ref("Record"), ETAG),
                "304": {
                    "description": "not modified: If-None-Match names its ETag",
                    "headers": ETAG,
                },
                **errors("400", "404"),
            },
            operationId="getRecord",
            parameters=[
                FIELDS,
                {
                    "name": "If-None-Match",
                    "in": "header",
                    "description": "an ETag read before: 304 while the record has not changed",
                    "schema": {"type": "string"},
                },
            ],
        )
    if author:
        record["put"] = operation(
            "Create the record with this id",
            "author",
            {"201": answer("created", ref("Created"), ETAG), **errors("400", "409", "413")},
            operationId="putRecord",
            requestBody=body(ref("RecordCreate")),
        )
    if author or shared:
        writer = "author" if author else "share"
        update = operation(
            "Update: the body's items are merged into the record",
            writer,
            {
                "200": answer("updated", ref("Updated"), ETAG),
                **errors("400", "404", "412", "413"),
            },
            parameters=[IF_MATCH],
            requestBody=body(ref("RecordInput")),
        )
        record["patch"] = {**update, "operationId": "patchRecord"}
        record["post"] = {**update, "operationId": "postRecord"}
        record["delete"] = operation(
            "Delete the record",
            writer,
            {"200": answer("deleted", ref("Deleted")), **errors("400", "404", "412")},
            operationId="deleteRecord",
            parameters=[IF_MATCH],
        )
    if record:
        paths[f"{base}/record/{{record_id}}"] = {"parameters": [RECORD_ID], **record}
    if author:
        share_errors = errors("400", "404", "413")
        paths[f"{base}/record/{{record_id}}/share"] = {
            "parameters": [RECORD_ID],
            "get": operation(
                "The record's shares (editor, or the record's author)",
                "author",
                {"200": answer("the shares", ref("Shares")), **errors("400", "404")},
                operationId="listShares",
            ),
            "post": operation(
                "Share the record with a user or a group",
                "author",
                {"200": answer("shared", ref("Shared")), **share_errors},
                operationId="share",
                requestBody=body(ref("Share")),
            ),
            "delete": operation(
                "Revoke a share",
                "author",
                {"200": answer("unshared", ref("Unshared")), **share_errors},
                operationId="unshare",
                requestBody=body(ref("Share")),
            ),
        }
    paths.update(
        history_paths(
            base,
            reads=("reader" if reader else "share") if reader or shared else None,
            writes=("author" if author else "share") if author or shared else None,
            editor=editor,
        )
    )
    if reader:
        paths[f"{base}/search"] = {
            "post": operation(
                "Search the records the caller may read",
                "reader",
                {"200": answer("a page of records", ref("Listing"), LINK), **errors("400", "413")},
                operationId="search",
                parameters=[
                    *PAGING,
                    {**FIELDS, "description": f"{FIELDS['description']}; wins over the body's"},
                ],
                requestBody=body(ref("Search"), required=False),
            )
        }
        paths[f"{base}/aggregate"] = {
            "post": operation(
                "Totals and groups over the records the caller may read",
                "reader",
                {"200": answer("the groups and totals", ref("Totals")), **errors("400", "413")},
                operationId="aggregate",
                requestBody=body(ref("Aggregate")),
            )
        }
    if manager:
        paths[f"{base}/refresh"] = {
            "post": operation(
                "Rebuild the app's indexes",
                "manager",
                {
                    "200": answer(
                        "refreshed",
                        ref("Refreshed"),
                    ),
                    **errors(),
                },
                operationId="refresh",
            )
        }
        paths[f"{base}/access"] = {
            "get": operation(
                "Why a user may or may not read, create, edit, delete and share",
                "manager",
                {
                    "200": answer("the verdicts and the rules that decided them", ref("Access")),
                    **errors("400", "404"),
                },
                operationId="explainAccess",
                parameters=ACCESS_PARAMETERS,
            )
        }
    paths.update(data_paths(base, reader=reader, author=author))
    for block in visible_blocks(app, access):
        paths.update(block_paths(base, block))
    tag_operations(paths, base)
    paths = with_twins(paths, base)

    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{app.title}: the JSON API",
            "version": "v1",
            "description": (
                f"The records and blocks of app '{app.id}', as this caller may use them "
                f"(rights: {', '.join(access.rights) or 'none'}). Every answer is JSON, "
                'errors too: `{"error": "<message>"}`.'
            ),
        },
        "servers": [{"url": server}],
        "tags": TAGS,
        "security": [{}, {"bearer": []}, {"basic": []}],
        "paths": paths,
        "components": {
            "schemas": schemas(app, visible_blocks(app, access), manager=manager),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a personal API token (the account page, or "
                    "`manage.py create_api_token <user>`)",
                },
                "basic": {"type": "http", "scheme": "basic"},
            },
        },
    }


LIST_PAGING = [
    {**PAGING[0], "description": "entries per page (default 100; above 1000 counts as 1000)"},
    {**PAGING[1], "description": "entries to skip"},
]


def history_paths(base: str, *, reads: str | None, writes: str | None, editor: bool) -> dict:
    """The routes of record history (contract §9): a record's versions, its restore, and
    the app's deleted records; `reads`, `writes`: what reading, restoring needs (None: the
    caller cannot)."""
    paths: dict[str, dict] = {}
    if reads:
        paths[f"{base}/record/{{record_id}}/history"] = {
            "parameters": [RECORD_ID],
            "get": operation(
                "The record's versions, newest first, without the items the caller may not "
                "read (a deleted record's: editors and managers)",
                reads,
                {"200": answer("the versions", ref("History"), LINK), **errors("400", "404")},
                operationId="recordHistory",
                parameters=LIST_PAGING,
            ),
        }
    if writes:
        paths[f"{base}/record/{{record_id}}/restore"] = {
            "parameters": [RECORD_ID],
            "post": operation(
                "Write a version's items back as a new version; on a deleted record's id "
                "(editors, managers), bring it back with its history",
                writes,
                {
                    "200": answer("restored", ref("Restored"), ETAG),
                    "201": answer("the deleted record is back", ref("Undeleted"), ETAG),
                    **errors("400", "404", "409", "412", "413"),
                },
                operationId="restoreRecord",
                parameters=[IF_MATCH],
                requestBody=body(ref("Restore")),
            ),
        }
    if editor:
        paths[f"{base}/deleted"] = {
            "get": operation(
                "The app's deleted records, most recently deleted first",
                "editor",
                {
                    "200": answer("the deleted records", ref("DeletedRecords"), LINK),
                    **errors("400"),
                },
                operationId="deletedRecords",
                parameters=LIST_PAGING,
            )
        }
    return paths


NULLABLE_NAME = {"type": ["string", "null"]}
HISTORY_SCHEMAS = {
    "History": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "version": {"type": "integer", "minimum": 1},
                "at": {"type": "string", "format": "date-time"},
                "by": {**NULLABLE_NAME, "description": "the user name; null: anonymous"},
                "via": {"enum": ["api", "form", "import", "block", "admin", "restore"]},
                "changes": {
                    "type": "object",
                    "description": "item -> [old value, new value] (null: absent)",
                    "additionalProperties": {"type": "array", "minItems": 2, "maxItems": 2},
                },
            },
            "required": ["version", "at", "by", "via", "changes"],
            "additionalProperties": False,
        },
    },
    "Restore": RestoreBody.schema(),
    "Restored": {
        "type": "object",
        "properties": {
            "success": {"const": "restored"},
            "version": {"type": "integer", "minimum": 1},
        },
        "required": ["success", "version"],
        "additionalProperties": False,
    },
    "Undeleted": {
        "type": "object",
        "properties": {
            "success": {"const": "restored"},
            "version": {"type": "integer", "minimum": 1},
            "id": {"type": "string"},
            "path": {"type": "string"},
        },
        "required": ["success", "version", "id", "path"],
        "additionalProperties": False,
    },
    "DeletedRecords": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "deleted_at": {"type": "string", "format": "date-time"},
                "deleted_by": NULLABLE_NAME,
            },
            "required": ["id", "deleted_at", "deleted_by"],
            "additionalProperties": False,
        },
    },
}


TAGS = [
    {"name": "app", "description": "the app, this description, its indexes"},
    {"name": "records", "description": "create, read, update and delete records"},
    {"name": "shares", "description": "a record's shares with users and groups"},
    {"name": "history", "description": "a record's versions, restore, deleted records"},
    {"name": "search", "description": "search the records over the app's indexes"},
    {"name": "blocks", "description": "the app's blocks and their elements"},
    {"name": "data", "description": "import and export records; the jobs of imports"},
]


def tag_of(path: str, base: str) -> str:
    if path.startswith("/jobs/"):
        return "data"
    rest = path[len(base) :]
    if rest in ("/import", "/export"):
        return "data"
    if rest.endswith("/share"):
        return "shares"
    if rest.endswith(("/history", "/restore", "/deleted")):
        return "history"
    for prefix, tag in (("/record", "records"), ("/search", "search"), ("/blocks", "blocks")):
        if rest.startswith(prefix):
            return tag
    return "app"


def tag_operations(paths: dict, base: str) -> None:
    """Each operation's tag, by its path: app, records, shares, search or blocks."""
    for path, item in paths.items():
        for method, found in item.items():
            if method != "parameters":
                found["tags"] = [tag_of(path, base)]


STEP_UP_ERROR = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "step_up": {"type": "string", "description": "the second-factor page"},
        "login": {"type": "string", "description": "the page to sign in again"},
    },
    "required": ["error"],
    "additionalProperties": False,
}


def steps_up(block: BlockSpec, element=None) -> bool:
    """Does a call of `element` (any, with None) of `block` ask for a fresh sign-in or a
    second factor (contract §11)?"""
    if block.fresh_login or block.second_factor:
        return True
    candidates = [element] if element is not None else block.actions
    return any(e.is_action and e.second_factor for e in candidates)


# An element of a block with `fresh_login` or `second_factor` (or an ACTION with it).
STEP_UP_ERRORS = {
    "401": answer(
        "anonymous; or a session that must sign in again (`login`: where) or give its second "
        "factor again (`step_up`: where) first",
        ref("StepUpError"),
        CHALLENGE,
    ),
    "403": error("signed in and not allowed, or a Basic or Bearer caller (it cannot step up)"),
}


IMPORT_OPTIONS = {
    "block": {"type": "string", "description": "the block whose elements check every row"},
    "dry_run": {"type": "boolean", "description": "check every row, write nothing"},
    "on_conflict": {
        "enum": ["fail", "skip", "update"],
        "description": "a row whose id exists: a problem (default), skipped, or an update",
    },
}
LOCATION = {"Location": {"description": "the job's URL", "schema": {"type": "string"}}}
EXPORT_TYPES = {
    "text/csv": {"schema": {"type": "string"}},
    JSON: {"schema": ref("Export")},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "schema": {"type": "string", "contentMediaType": "application/octet-stream"}
    },
}


def data_paths(base: str, *, reader: bool, author: bool) -> dict:
    """Import (authors), export (readers) and the jobs of imports (contract §9)."""
    paths: dict = {}
    if author:
        multipart = {
            "type": "object",
            "properties": {
                "file": {"type": "string", "contentMediaType": "application/octet-stream"},
                **{
                    name: {"type": "string", "description": schema["description"]}
                    for name, schema in IMPORT_OPTIONS.items()
                },
            },
            "required": ["file"],
        }
        rows = {
            "type": "object",
            "properties": {"rows": {"type": "array", "items": {"type": "object"}}},
            "required": ["rows"],
        }
        rows["properties"].update(IMPORT_OPTIONS)
        paths[f"{base}/import"] = {
            "post": operation(
                "Import records from a file (CSV, JSON or XLSX) or a list: a job, all or nothing",
                "author",
                {
                    "202": answer("queued: the job's URL", ref("JobQueued"), LOCATION),
                    **errors("400", "413"),
                },
                operationId="importRecords",
                requestBody={
                    "required": True,
                    "content": {
                        "multipart/form-data": {"schema": multipart},
                        JSON: {"schema": rows},
                    },
                },
            )
        }
        paths["/jobs/{job_id}"] = {
            "get": operation(
                "An import's job: its state, progress and problems (its creator only)",
                "author",
                {"200": answer("the job", ref("Job")), **errors("404")},
                operationId="getJob",
                parameters=[
                    {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
            )
        }
    if reader:
        paths[f"{base}/export"] = {
            "get": operation(
                "Download the records the caller may read (as /search finds them)",
                "reader",
                {
                    "200": {
                        "description": "the file, as an attachment",
                        "headers": {
                            "Content-Disposition": {
                                "description": "attachment; filename=...",
                                "schema": {"type": "string"},
                            }
                        },
                        "content": EXPORT_TYPES,
                    },
                    **errors("400"),
                },
                operationId="exportRecords",
                parameters=[
                    {
                        "name": "format",
                        "in": "query",
                        "description": "csv (default), json or xlsx",
                        "schema": {"enum": ["csv", "json", "xlsx"]},
                    },
                    {
                        "name": "query",
                        "in": "query",
                        "description": "a search query, as POST /search takes",
                        "schema": {"type": "string"},
                    },
                ],
            )
        }
    return paths


def job_schemas() -> dict:
    count = {"type": "integer", "minimum": 0}
    problem = {
        "type": "object",
        "properties": {
            "row": {
                "type": "integer",
                "description": "1-based, the header not counted; 0: the file",
            },
            "item": {"type": "string"},
            "error": {"type": "string"},
        },
        "required": ["row", "item", "error"],
        "additionalProperties": False,
    }
    names = ("done", "total", "created", "updated", "skipped")
    return {
        "Export": {
            "type": "array",
            "items": {"type": "object", "description": "a record's items, `id` among them"},
        },
        "JobQueued": {
            "type": "object",
            "properties": {"job": {"type": "string"}, "url": {"type": "string"}},
            "required": ["job", "url"],
            "additionalProperties": False,
        },
        "Job": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "state": {"enum": ["queued", "running", "done", "failed"]},
                **dict.fromkeys(names, count),
                "problems": {"type": "array", "items": problem},
            },
            "required": ["id", "state", *names, "problems"],
            "additionalProperties": False,
        },
    }


def block_paths(base: str, block: BlockSpec) -> dict:
    """`blocks/<block>` and one path per element, for a block the caller may see."""
    needs = "nothing" if block.view_permission == ("*",) else "view_permission"
    element_ids = [element.id for element in block.elements]
    found = {
        f"{base}/blocks/{block.id}": {
            "get": operation(
                f"Block '{block.id}': {block.title or block.id}",
                needs,
                {
                    "200": answer(
                        "the block and its elements",
                        {
                            "type": "object",
                            "properties": {
                                "id": {"const": block.id},
                                "title": {"type": "string"},
                                "elements": {
                                    "type": "object",
                                    "properties": {
                                        e: {
                                            "type": "object",
                                            "properties": {"type": {"type": "string"}},
                                        }
                                        for e in element_ids
                                    },
                                    "additionalProperties": False,
                                },
                            },
                            "required": ["id", "title", "elements"],
                        },
                    ),
                    **errors("404"),
                },
                operationId=f"block_{block.id}",
            )
        }
    }
    params = {
        "required": False,
        "description": "parameters for the block code (context.params), with the query "
        "string's: a JSON object, or form fields; a body of any other type is not read",
        "content": {
            JSON: {"schema": {"type": "object"}},
            "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
            "multipart/form-data": {"schema": {"type": "object"}},
            "*/*": {"schema": {}},
        },
    }
    for element in block.elements:
        value = {
            "200": answer("the element's value", {}),
            **errors("400", "404", "413", "500"),
        }
        if (
            block.fresh_login
            or block.second_factor
            or (element.is_action and element.second_factor)
        ):
            value.update(STEP_UP_ERRORS)
        summary = f"{element.type} element '{element.id}' of block '{block.id}'"
        path = f"{base}/blocks/{block.id}/{element.id}"
        if element.is_action:
            refused = {"405": method_refused("get", ["POST"]), **errors("404")}
            found[path] = {
                "post": operation(
                    f"Run {summary}",
                    needs,
                    value,
                    operationId=f"run_{block.id}_{element.id}",
                    requestBody=params,
                ),
                # The view takes GET for the other elements: an action's refuses it itself.
                "get": operation(
                    "An action runs by POST only: 405",
                    needs,
                    refused,
                    operationId=f"run_{block.id}_{element.id}_get_405",
                ),
            }
        else:
            found[path] = {
                "get": operation(
                    f"The value of {summary}",
                    needs,
                    value,
                    operationId=f"value_{block.id}_{element.id}",
                ),
                "post": operation(
                    f"The value of {summary}, with parameters in the body",
                    needs,
                    value,
                    operationId=f"value_{block.id}_{element.id}_post",
                    requestBody=params,
                ),
            }
    return found


def schema_words(schema: dict) -> str:
    kinds = []
    for option in schema.get("anyOf", [schema]):
        kind = option.get("format") or option.get("type") or "any value"
        if kind == "array":
            kind = "a list of them"
        if kind not in kinds:
            kinds.append(kind)
    return ", ".join(kinds)


def schemas(app: AppSpec, blocks: list[BlockSpec], *, manager: bool) -> dict:
    """The components: records typed by the elements of `blocks` (those the caller may see),
    owner items told apart only for a manager (who sees the ACL too)."""
    items = record_schema.item_schemas(app, blocks, owners=manager)
    field_indexes = sorted(name for name, kind in app.indexes.items() if kind == "field")
    record_items = {
        "type": "object",
        "description": "a record's items as stored: any JSON values (RecordInput gives the "
        "types a client should write)",
        "properties": {
            "id": {"type": "string"},
            "_author": {"type": "string", "readOnly": True, "description": "who created it"},
            "block": {"type": "string", "description": "the block it was saved through"},
            **{
                name: {"description": f"written as {schema_words(schema)}"}
                for name, schema in items.items()
            },
        },
    }
    app_schema = {
        "type": "object",
        "properties": {
            "id": {"const": app.id},
            "title": {"type": "string"},
            "blocks": {"type": "array", "items": {"type": "string"}},
            "indexes": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["id", "title", "blocks", "indexes"],
        "additionalProperties": False,
    }
    found = {
        "Error": {
            "type": "object",
            "properties": {"error": {"type": "string"}},
            "required": ["error"],
            "additionalProperties": False,
        },
        "App": app_schema,
        "RecordItems": record_items,
        "Record": {**record_items, "required": ["id"]},
        "RecordInput": {
            "type": "object",
            "description": "items to write; names starting with '_' are the server's (400)",
            "properties": {
                "id": RECORD_ID_SCHEMA,
                "block": {"enum": [block.id for block in blocks]} if blocks else {"not": {}},
                **items,
            },
            "propertyNames": {"pattern": "^[^_]"},
        },
        "RecordCreate": {
            "description": "a new record's items: through a block (its `block` item), the "
            "block's required inputs too",
            "allOf": [ref("RecordInput"), *record_schema.required_on_create(blocks)],
        },
        "Listing": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "path": {"type": "string", "description": "the record's API URL"},
                    "items": ref("RecordItems"),
                },
                "required": ["id", "path", "items"],
                "additionalProperties": False,
            },
        },
        "Created": {
            "type": "object",
            "properties": {
                "success": {"const": "created"},
                "id": {"type": "string"},
                "path": {"type": "string"},
            },
            "required": ["success", "id", "path"],
            "additionalProperties": False,
        },
        **{
            word.capitalize(): success(word)
            for word in ("deleted", "updated", "shared", "unshared")
        },
        "CreatedMany": {
            "type": "object",
            "properties": {
                "success": {"const": "created"},
                "total": {"type": "integer", "minimum": 0},
            },
            "required": ["success", "total"],
            "additionalProperties": False,
        },
        "Refreshed": {
            "type": "object",
            "properties": {
                "success": {"const": "refresh"},
                "indexes": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["success", "indexes"],
            "additionalProperties": False,
        },
        "Search": SearchBody.schema(app, field_indexes),
        **job_schemas(),
        **aggregate_schemas(app),
        **HISTORY_SCHEMAS,
        "Share": ShareBody.schema(),
        "Shares": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "principal": {"type": "string"},
                    "kind": {"enum": ["user", "group"]},
                    "permissions": {
                        "type": "array",
                        "items": {"enum": list(SHARE_PERMISSIONS)},
                    },
                },
                "required": ["principal", "kind", "permissions"],
                "additionalProperties": False,
            },
        },
    }
    if manager:
        principals = {"type": "array", "items": {"type": "string"}}
        found["Acl"] = {
            "type": ["object", "null"],
            "properties": {
                "rights": {"type": "object", "additionalProperties": principals},
                "roles": {"type": "object", "additionalProperties": principals},
                "row_owners": principals,
            },
        }
        if app.acl is not None and app.acl.fields:
            found["Acl"]["properties"]["fields"] = {
                "type": "object",
                "description": "field permissions: per item, who may read and write it",
                "additionalProperties": {
                    "type": "object",
                    "properties": {"read": principals, "write": principals},
                    "additionalProperties": False,
                },
            }
        found["Access"] = ACCESS_SCHEMA
        app_schema["properties"]["acl"] = ref("Acl")
        app_schema["required"] = [*app_schema["required"], "acl"]
    if any(steps_up(block) for block in blocks):
        found["StepUpError"] = STEP_UP_ERROR
    return found


def aggregate_schemas(app: AppSpec) -> dict:
    """The body and the answer of `POST .../aggregate` (contract §8), naming the items this
    app's field indexes let it total and group on."""
    declared = declared_items(app)
    items = sorted(name for name, element in declared.items() if element.index_type == "field")
    dates = sorted(name for name in items if is_dated(declared[name])) + [CREATED]
    metric = {
        "type": "string",
        "description": f"{METRIC_FORMS}; <item> one of: {', '.join(items) or '(none)'}",
    }
    group = {
        "type": "string",
        "description": f"an item ({', '.join(items) or 'none'}) or year:, month:, day: of "
        f"{', '.join(dates)} (ISO strings 2026, 2026-03, 2026-03-05)",
    }
    value = {"type": ["number", "string", "null"]}
    return {
        "Aggregate": {
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "as for search; empty: every record"},
                "group_by": {"type": "array", "items": group},
                "metrics": {"type": "object", "additionalProperties": metric, "minProperties": 1},
                "sort": {"type": "string", "description": "a group or a metric name"},
                "reverse": {"type": "boolean"},
                "limit": {"type": "integer", "minimum": 1, "maximum": AGGREGATE_MAX_LIMIT},
            },
            "required": ["metrics"],
            "additionalProperties": False,
        },
        "Totals": {
            "type": "object",
            "properties": {
                "groups": {
                    "type": "array",
                    "items": {"type": "object", "additionalProperties": value},
                },
                "totals": {"type": "object", "additionalProperties": value},
                "skipped": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "rows whose value a numeric metric could not use",
                },
            },
            "required": ["groups", "totals", "skipped"],
            "additionalProperties": False,
        },
    }
