"""The JSON API (contract §4): `/api/v1/<app_id>/...`.

Each route is a table of method handlers wrapped by `endpoint()`, which answers 405 for other
methods, authenticates (api/auth.py), checks CSRF for cookie-authenticated writes and turns
every `ApiError`, and every domain error of the services (records/errors.py, mapped by
`errors.api_error`), into `{"error": ...}`. Permission questions go to the gate
(records/access.py), whose refusal becomes an answer in `errors.deny()`; reads go through
records/selectors.py and writes through records/store.py.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cached_property, partial, wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.csrf import csrf_exempt

from accounts import audit
from blocks.context import api_path
from records import access as gate
from records import aggregate as totals
from records import selectors, store
from records.errors import InvalidInput, RecordError, RecordExists
from records.models import Record
from records.ownership import sharing
from site_model import code
from site_model.acl import Access
from site_model.loader import current_site
from site_model.spec import AppSpec, Site

from . import auth
from .errors import (
    DATABASE_UNAVAILABLE,
    ApiError,
    BadRequest,
    BlockFailed,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    api_error,
    error_response,
)

logger = logging.getLogger("api")

SEARCH_KEYS = ("query", "sort_index", "reverse", "limit", "offset", "after", "fields")
MAX_BULK_RECORDS = 10_000  # records per bulk create (contract §7 "Size and load")
MAX_OFFSET = 2**62  # offset + limit must still fit a 64-bit SQL integer


# --- plumbing ------------------------------------------------------------------------------


def endpoint(**handlers):
    """A view dispatching on the method to `handlers` (GET also answers HEAD)."""
    allowed = sorted(handlers) + (["HEAD"] if "GET" in handlers else [])

    @csrf_exempt
    def view(request, **kwargs):
        try:
            method = "GET" if request.method == "HEAD" else request.method
            handler = handlers.get(method)
            if handler is None:
                raise MethodNotAllowed(request.method, allowed)
            auth.authenticate(request)
            auth.check_csrf(request)
            return handler(request, **kwargs)
        except (ApiError, RecordError) as exc:
            return error_response(api_error(exc))
        except code.BlockCodeError as exc:
            app = current_site().apps.get(kwargs.get("app_id", ""))
            detail = f": {exc.problem}" if app is not None and app.debug else ""
            return error_response(BlockFailed(f"the site's block code failed{detail}"))
        except DATABASE_UNAVAILABLE:
            logger.warning(
                "%s %s: database unavailable", request.method, request.path, exc_info=True
            )
            return error_response(ServiceUnavailable())

    return view


REFUSALS = frozenset({401, 403, 404})


def refusals_audited(handler):
    """Write each 401, 403 and 404 a records route answers to the audit trail: who (the
    user, else anonymous), what (`<app>/<record id or '*'>`, the method and the message),
    from where. The one place the API records refusals; authentication failures before the
    handler runs are recorded by the authentication itself."""

    @wraps(handler)
    def audited(request, **kwargs):
        try:
            return handler(request, **kwargs)
        except (ApiError, RecordError) as exc:
            error = api_error(exc)
            if error.status in REFUSALS:
                audit.record(
                    audit.Kind.ACCESS_REFUSED,
                    request=request,
                    target=f"{kwargs.get('app_id', '')}/{kwargs.get('record_id', '*')}",
                    status=error.status,
                    detail=f"{request.method}: {error.message}",
                )
            raise error from None

    return audited


@dataclass
class Call:
    """One API request: the site, the app and the visitor's access in it. Permission
    questions go to the gate (records/access.py); its `Denied` becomes a 401, 403 or 404
    through `errors.deny` (endpoint, refusals_audited)."""

    request: object
    site: Site
    app: AppSpec

    @cached_property
    def access(self) -> Access:
        return gate.access_to(self.app, self.request.user)

    def require(self, action: str) -> None:
        """Refuse unless the visitor may do `action` in the app as a whole."""
        gate.require(self.app, self.access, action)

    def record(self, record_id: str, action: str, *, lock: bool = False) -> gate.Granted:
        """The record, if the visitor may do `action` to it (the gate's order); `lock`: read
        for the write that follows, in the caller's transaction."""
        return gate.record_for(self.app, self.access, record_id, action, lock=lock)

    def path(self, record_id: str) -> str:
        return self.request.build_absolute_uri(api_path(self.app.id, record_id))

    @property
    def user(self):
        return self.request.user


def call_for(request, app_id: str) -> Call:
    site = current_site()
    app = site.apps.get(app_id)
    if app is None:
        raise NotFound(f"no app '{app_id}'")
    return Call(request, site, app)


def read_json(request, *, default=...):
    """The body as JSON: 413 when too large, 400 when not UTF-8, not JSON or with bad text."""
    try:
        raw = request.body
    except RequestDataTooBig:
        raise PayloadTooLarge(
            f"the body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes"
        ) from None
    if not raw.strip():
        if default is not ...:
            return default
        raise BadRequest("the body is empty: send JSON")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"the body is not valid UTF-8 (bad byte at position {exc.start})"
        ) from None
    try:
        value = json.loads(
            text, parse_constant=_no_constant, parse_float=_finite, parse_int=_bounded_int
        )
    except RecursionError:
        raise BadRequest("the body is not valid JSON: nested too deeply") from None
    except ValueError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    check_text(value)
    return value


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 100:
        raise ValueError(f"a number of {len(text.lstrip('-'))} digits is too long (at most 100)")
    return int(text)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def check_text(value) -> None:
    """Refuse strings a database cannot store: lone surrogates (from \\ud800 escapes) and NUL."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                raise BadRequest("the body holds a NUL character (\\u0000), which cannot be stored")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise BadRequest(
                    "the body holds a lone surrogate (\\ud800-\\udfff), which is not valid Unicode"
                ) from None


def json_type(value) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        type(None): "null",
    }.get(type(value), "a number")


def client_items(app: AppSpec, value, record_id: str | None = None) -> tuple[dict, str | None]:
    """A client's record: a JSON object, no `_` names, an `id` (if any) valid and matching,
    a `block` (if any) naming a block of the app, owner items within their size.

    Returns (items without `id`, the id it names or None).
    """
    if not isinstance(value, dict):
        raise BadRequest(f"a record must be a JSON object of items, found {json_type(value)}")
    for name in value:
        if name.startswith("_"):
            raise BadRequest(f"item '{name}': item names starting with '_' are the server's")
    block = value.get("block")
    if "block" in value and not (isinstance(block, str) and block in app.blocks):
        # `block` is the server's stamp of the block a record is saved through: a client
        # may only name one of the app's (contract §7).
        shown = f"'{block[:60]}'" if isinstance(block, str) else json_type(block)
        raise BadRequest(
            f"item 'block' must name a block of app '{app.id}' "
            f"({', '.join(sorted(app.blocks)) or 'it has none'}), found {shown}"
        )
    items = dict(value)
    store.check_owner_items(app, items)
    given = items.pop("id", None)
    if given is not None or "id" in value:
        selectors.check_record_id(given)
        if record_id is not None and given != record_id:
            raise BadRequest(f"the body's id '{given}' is not the record's id '{record_id}'")
    return items, given


def positive_int(raw, name: str, *, minimum: int) -> int:
    rule = "a positive integer" if minimum == 1 else "a whole number >= 0"
    if isinstance(raw, str):
        text = raw.strip()
        # Beyond 18 digits a page is past any table's end: clamp rather than overflow SQL.
        value = int(text[:19]) if text.isascii() and text.isdigit() else None
    elif isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        value = None
    if value is None or value < minimum:
        shown = raw if isinstance(raw, str) else json.dumps(raw)
        if len(shown) > 40:
            shown = shown[:40] + "…"
        raise BadRequest(f"{name} must be {rule}, found '{shown}'")
    return min(value, MAX_OFFSET)


def paging(source: dict) -> tuple[int, int]:
    limit = selectors.DEFAULT_LIMIT
    if source.get("limit") is not None:
        limit = min(positive_int(source["limit"], "limit", minimum=1), selectors.MAX_LIMIT)
    offset = 0
    if source.get("offset") is not None:
        offset = positive_int(source["offset"], "offset", minimum=0)
    return limit, offset


def after_of(source: dict) -> str | None:
    """`after=<record id>`: keyset paging (selectors.records_page); None when absent."""
    after = source.get("after")
    if after is None:
        return None
    if not isinstance(after, str):
        raise BadRequest(f"after must be a record id, found {json_type(after)}")
    return selectors.check_record_id(after)


def listing(c: Call, rows: list[tuple[str, str]], fields: set[str] | None) -> HttpResponse:
    """`[{"id", "path", "items"}]` with each record's items spliced in as stored (JSON text),
    `"id"` first among them, as `GET record/<id>` answers (contract §4); with `fields`, only
    those items, as `GET record/<id>?fields=` answers."""
    base = c.path("")
    items_of = with_id if fields is None else partial(with_id_only, fields=fields)
    body = ",".join(
        f'{{"id": {json.dumps(record_id)}, "path": {json.dumps(base + record_id)}, '
        f'"items": {items_of(record_id, items)}}}'
        for record_id, items in rows
    )
    return HttpResponse(f"[{body}]", content_type="application/json")


def with_id(record_id: str, items: str) -> str:
    """A record's items (a JSON object's text) with `"id"` spliced in first.

    >>> with_id("a", '{"x": 1}')
    '{"id": "a", "x": 1}'
    """
    inner = items.strip()[1:-1].strip()
    return "{" + f'"id": {json.dumps(record_id)}' + (f", {inner}" if inner else "") + "}"


def with_id_only(record_id: str, items: str, fields: set[str]) -> str:
    """A record's items (a JSON object's text), only those named in `fields`, `"id"` first.

    >>> with_id_only("a", '{"x": 1, "y": 2}', {"y", "z"})
    '{"id": "a", "y": 2}'
    """
    return json.dumps({"id": record_id, **only(json.loads(items), fields)})


def created(c: Call, record: Record) -> JsonResponse:
    path = c.path(record.record_id)
    response = JsonResponse(
        {"success": "created", "id": record.record_id, "path": path}, status=201
    )
    response["ETag"] = record.etag
    response["Location"] = path
    return response


def if_match(request) -> str | None:
    return request.META.get("HTTP_IF_MATCH")


# --- /api/v1/<app> ----------------------------------------------------------------------------


def acl_json(app: AppSpec) -> dict | None:
    if app.acl is None:
        return None
    return {
        "rights": {right: list(p) for right, p in app.acl.rights.items()},
        "roles": {role: list(p) for role, p in app.acl.roles.items()},
        "row_owners": list(app.acl.row_owners),
    }


def app_info(request, app_id):
    c = call_for(request, app_id)
    body = {
        "id": c.app.id,
        "title": c.app.title,
        "blocks": sorted(c.app.blocks),
        "indexes": sorted(c.app.indexes),
    }
    if c.access.has_right("manager"):
        body["acl"] = acl_json(c.app)
    response = JsonResponse(body)
    response["X-CSRF-Token"] = get_token(request)
    return response


@refusals_audited
def app_create(request, app_id):
    c = call_for(request, app_id)
    c.require("create")
    items, record_id = client_items(c.app, read_json(request))
    return created(c, store.record_create(app=c.app, items=items, record_id=record_id, user=c.user))


# --- /records -------------------------------------------------------------------------------


@refusals_audited
def records_list(request, app_id):
    c = call_for(request, app_id)
    c.require("view")
    limit, offset = paging(request.GET)
    after = after_of(request.GET)
    fields = fields_of(request.GET)
    page = selectors.records_page(
        c.app, access=c.access, limit=limit, offset=offset, after=after, rows=True
    )
    return paged(request, listing(c, page.records, fields), page, limit, keyset=True)


def paged(
    request, response: HttpResponse, page, limit: int, *, offset: int = 0, keyset: bool = False
) -> HttpResponse:
    """Add `Link: <this path?limit=..&after=..>; rel="next"` while more records remain.

    `keyset` (the page is in creation order): the next page starts after this page's last
    record (`after=<id>`), so it costs what the first one did however deep; otherwise (a
    search sorted on an index) `offset=` the next one. The URL's `fields` go along: the next
    page has the same shape."""
    if page.has_more:
        if keyset:
            query = {"limit": limit, "after": page.records[-1][0]}
        else:
            query = {"limit": limit, "offset": offset + limit}
        if "fields" in request.GET:
            query["fields"] = request.GET["fields"]
        next_url = request.build_absolute_uri(f"{request.path}?{urlencode(query, safe=',')}")
        response["Link"] = f'<{next_url}>; rel="next"'
    return response


@refusals_audited
def records_create(request, app_id):
    c = call_for(request, app_id)
    c.require("create")
    body = read_json(request)
    if not isinstance(body, list):
        raise BadRequest(f"the body must be a JSON list of records, found {json_type(body)}")
    if len(body) > MAX_BULK_RECORDS:
        raise BadRequest(
            f"a bulk create takes at most {MAX_BULK_RECORDS} records, found {len(body)}: "
            "send them in several requests"
        )
    checked, seen = [], set()
    for index, value in enumerate(body):
        try:
            items, record_id = client_items(c.app, value)
        except (BadRequest, InvalidInput) as exc:
            raise BadRequest(f"record {index}: {exc.message}") from None
        if record_id is not None:
            if record_id in seen:
                raise BadRequest(f"record {index}: id '{record_id}' appears twice in the list")
            seen.add(record_id)
        checked.append((items, record_id))
    try:  # all or nothing
        store.records_create_many(app=c.app, rows=checked, user=c.user)
    except (RecordExists, InvalidInput) as exc:
        position = getattr(exc, "position", None)
        if position is None:
            raise
        raise type(exc)(f"record {position}: {exc.message}") from None
    return JsonResponse({"success": "created", "total": len(checked)}, status=201)


@refusals_audited
def records_delete(request, app_id):
    c = call_for(request, app_id)
    c.require("delete_all")
    store.record_delete_all(app=c.app, request=request)
    return JsonResponse({"success": "deleted"})


# --- /record/<id> ---------------------------------------------------------------------------


@refusals_audited
def record_read(request, app_id, record_id):
    c = call_for(request, app_id)
    selectors.check_record_id(record_id)
    record = c.record(record_id, "view").record
    if if_none_match(request, record.etag):
        response = HttpResponse(status=304)
    else:
        fields = fields_of(request.GET)
        response = JsonResponse({"id": record.record_id, **only(record.items, fields)})
    response["ETag"] = record.etag
    return response


def if_none_match(request, etag: str) -> bool:
    """Does the request's `If-None-Match` name this ETag (or `*`)? Then the client's copy is
    current: 304."""
    header = request.META.get("HTTP_IF_NONE_MATCH")
    return header is not None and store.matches(etag, header)


def fields_of(query) -> set[str] | None:
    """`?fields=a,b`: the item names asked for; None without it (every item)."""
    if "fields" not in query:
        return None
    return item_names(query["fields"].split(","))


def item_names(names: list[str]) -> set[str]:
    return {name.strip() for name in names}


def only(items: dict, fields: set[str] | None) -> dict:
    """Only the items named in `fields` (those the record has); every item for None."""
    if fields is None:
        return items
    return {name: value for name, value in items.items() if name in fields}


@refusals_audited
def record_put(request, app_id, record_id):
    c = call_for(request, app_id)
    selectors.check_record_id(record_id)
    c.require("create")
    items, _ = client_items(c.app, read_json(request), record_id)
    return created(c, store.record_create(app=c.app, items=items, record_id=record_id, user=c.user))


@refusals_audited
def record_update(request, app_id, record_id):
    c = call_for(request, app_id)
    selectors.check_record_id(record_id)
    body = read_json(request)
    with transaction.atomic():
        # The record is read once, locked, and written as read: no second SELECT, no re-read.
        granted = c.record(record_id, "edit", lock=True)
        items, _ = client_items(c.app, body, record_id)
        saved = store.record_save(
            app=c.app,
            record=granted.record,
            items=items,
            if_match=if_match(request),
            fixed=c.access.fixed_owner_items(granted.facts),
            locked=True,
        )
    response = JsonResponse({"success": "updated"})
    response["ETag"] = saved.etag
    return response


@refusals_audited
def record_delete(request, app_id, record_id):
    c = call_for(request, app_id)
    selectors.check_record_id(record_id)
    record = c.record(record_id, "delete").record
    store.record_delete(app=c.app, record=record, request=request, if_match=if_match(request))
    return JsonResponse({"success": "deleted"})


@refusals_audited
def record_share(request, app_id, record_id):
    """POST grants, DELETE revokes `{"principal", "permissions"}` on one record (contract §5);
    GET lists the record's shares."""
    c = call_for(request, app_id)
    selectors.check_record_id(record_id)
    record = c.record(record_id, "share").record
    if request.method == "GET":
        return JsonResponse(sharing.shares_of(record), safe=False)
    principal, permissions = sharing.parse_share(read_json(request))
    if request.method == "DELETE":
        sharing.record_unshare(
            record=record, principal=principal, permissions=permissions, request=request
        )
        return JsonResponse({"success": "unshared"})
    sharing.record_share(
        record=record, principal=principal, permissions=permissions, request=request
    )
    return JsonResponse({"success": "shared"})


# --- /search, /refresh ----------------------------------------------------------------------


@refusals_audited
def search(request, app_id):
    c = call_for(request, app_id)
    c.require("view")
    body = read_json(request, default={})
    if not isinstance(body, dict):
        raise BadRequest(
            f"the body must be a JSON object with {', '.join(SEARCH_KEYS)}, found {json_type(body)}"
        )
    unknown = sorted(set(body) - set(SEARCH_KEYS))
    if unknown:
        raise BadRequest(f"unknown key '{unknown[0]}' in a search; keys: {', '.join(SEARCH_KEYS)}")
    for key in ("query", "sort_index"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise BadRequest(f"{key} must be a string, found {json_type(body[key])}")
    if not isinstance(body.get("reverse", False), bool):
        raise BadRequest(f"reverse must be true or false, found {json_type(body['reverse'])}")
    fields = search_fields(request, body)
    # The next page's Link carries ?limit=&after= (or &offset=) in the URL: a client re-sends
    # the same body to it, and the URL's paging wins over the body's.
    source = dict(body)
    if "after" in request.GET or "offset" in request.GET:  # where to start: all from the URL
        source["after"], source["offset"] = request.GET.get("after"), request.GET.get("offset")
    if "limit" in request.GET:
        source["limit"] = request.GET["limit"]
    limit, offset = paging(source)
    after = after_of(source)
    sort_index = body.get("sort_index")
    page = selectors.records_page(
        c.app,
        access=c.access,
        query=body.get("query"),
        sort_index=sort_index,
        reverse=body.get("reverse", False),
        limit=limit,
        offset=offset,
        after=after,
        rows=True,
    )
    return paged(
        request,
        listing(c, page.records, fields),
        page,
        limit,
        offset=offset,
        keyset=sort_index is None,
    )


def search_fields(request, body: dict) -> set[str] | None:
    """The body's `"fields"` or the URL's `?fields=`, which wins, as the URL's paging does: a
    Link carries the URL's on."""
    fields = body_fields(body)
    return fields_of(request.GET) if "fields" in request.GET else fields


def body_fields(body: dict) -> set[str] | None:
    """A search body's `"fields": ["a", "b"]`, as `?fields=a,b`; None when absent or null
    (as `query` and `sort_index` take null)."""
    if body.get("fields") is None:
        return None
    fields = body["fields"]
    if not isinstance(fields, list):
        raise BadRequest(f"fields must be a list of strings, found {json_type(fields)}")
    for name in fields:
        if not isinstance(name, str):
            raise BadRequest(
                f"fields must be a list of strings, found a list holding {json_type(name)}"
            )
    return item_names(fields)


AGGREGATE_KEYS = ("query", "group_by", "metrics", "sort", "reverse", "limit")


@refusals_audited
def aggregate(request, app_id):
    """Contract §8: totals over the records `POST /search` with the same query returns."""
    c = call_for(request, app_id)
    c.require("view")
    body = read_json(request, default={})
    if not isinstance(body, dict):
        raise BadRequest(
            f"the body must be a JSON object with {', '.join(AGGREGATE_KEYS)}, "
            f"found {json_type(body)}"
        )
    unknown = sorted(set(body) - set(AGGREGATE_KEYS))
    if unknown:
        raise BadRequest(
            f"unknown key '{unknown[0]}' in an aggregate; keys: {', '.join(AGGREGATE_KEYS)}"
        )
    if "metrics" not in body:
        raise BadRequest('metrics is missing: an object such as {"total": "sum:amount"}')
    for key in ("query", "sort"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise BadRequest(f"{key} must be a string, found {json_type(body[key])}")
    answer = totals.aggregate(
        c.app,
        access=c.access,
        query=body.get("query"),
        group_by=body.get("group_by") or (),
        metrics=body["metrics"],
        sort=body.get("sort"),
        reverse=body.get("reverse", False),
        limit=body.get("limit", totals.DEFAULT_LIMIT),
    )
    return JsonResponse(answer)


def refresh(request, app_id):
    c = call_for(request, app_id)
    c.require("manage")
    indexes = store.app_reindex(app=c.app)
    return JsonResponse({"success": "refresh", "indexes": indexes})


@csrf_exempt
def not_found(request, rest=""):
    return error_response(NotFound(f"no API route {request.path}"))


app_view = endpoint(GET=app_info, POST=app_create)
records_view = endpoint(GET=records_list, POST=records_create, DELETE=records_delete)
record_view = endpoint(
    GET=record_read, PUT=record_put, POST=record_update, PATCH=record_update, DELETE=record_delete
)
share_view = endpoint(GET=record_share, POST=record_share, DELETE=record_share)
search_view = endpoint(POST=search)
refresh_view = endpoint(POST=refresh)
aggregate_view = endpoint(POST=aggregate)
