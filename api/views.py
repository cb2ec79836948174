"""The JSON API (contract §4): `/api/v1/<app_id>/...`, on Django REST framework.

Each route is an `AppEndpoint` (api/framework.py): the app resolved once, the caller's
access assembled once, the app-wide action of each method asked of the gate by the permission
class (`requires`), record-level questions asked in the handler (`self.record`). Bodies are
parsed once and checked by the route's serializer (api/serializers.py); lists are paged
by the pagination classes; every error, domain errors and the gate's refusals included, becomes
`{"error": ...}` in one handler (api/errors.py), which audits refusals. Reads go
through records/selectors.py and writes through records/store.py.
"""

from __future__ import annotations

import json
from functools import partial
from urllib.parse import urlencode

from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.csrf import csrf_exempt
from rest_framework.response import Response

from records import access as gate
from records import aggregate as totals
from records import history, selectors, store
from records.errors import InvalidInput, RecordExists, StaleRecord, StampedItem
from records.models import Record, RecordVersion
from records.ownership import sharing
from site_model.spec import AppSpec

from .endpoints import AppEndpoint, api_path  # noqa: F401 - blocks.context uses api_path
from .errors import error_response
from .framework import KeysetPagination, RawJSON, RecordPagination, positive_int
from .serializers import (
    SEARCH_KEYS,  # noqa: F401 - the search body's keys, for the description
    AggregateBody,
    RecordBody,
    RecordListBody,
    RestoreBody,
    SearchBody,
    ShareBody,
    item_names,
)

MAX_BULK_RECORDS = 10_000  # records per bulk create (contract §7 "Size and load")


# --- answers ------------------------------------------------------------------------------------


def listing(view: AppEndpoint, rows: list[tuple[str, str]], fields: set[str] | None) -> RawJSON:
    """`[{"id", "path", "items"}]` with each record's items spliced in as stored (JSON text),
    `"id"` first among them, as `GET record/<id>` answers (contract §4); with `fields`, only
    those items, as `GET record/<id>?fields=` answers. The rows come without the items the
    caller may not read (field permissions: `selectors.records_page` leaves them out)."""
    base = view.path("")
    items_of = with_id if fields is None else partial(with_id_only, fields=fields)
    body = ",".join(
        f'{{"id": {json.dumps(record_id)}, "path": {json.dumps(base + record_id)}, '
        f'"items": {items_of(record_id, items)}}}'
        for record_id, items in rows
    )
    return RawJSON(f"[{body}]")


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


def fields_of(query) -> set[str] | None:
    """`?fields=a,b`: the item names asked for; None without it (every item)."""
    if "fields" not in query:
        return None
    return item_names(query["fields"].split(","))


def only(items: dict, fields: set[str] | None) -> dict:
    """Only the items named in `fields` (those the record has); every item for None."""
    if fields is None:
        return items
    return {name: value for name, value in items.items() if name in fields}


def created(view: AppEndpoint, record: Record) -> Response:
    path = view.path(record.record_id)
    return Response(
        {"success": "created", "id": record.record_id, "path": path},
        status=201,
        headers={"ETag": record.etag, "Location": path},
    )


def if_match(request) -> str | None:
    return request.META.get("HTTP_IF_MATCH")


def if_none_match(request, etag: str) -> bool:
    """Does the request's `If-None-Match` name this ETag (or `*`)? Then the client's copy is
    current: 304."""
    header = request.META.get("HTTP_IF_NONE_MATCH")
    return header is not None and store.matches(etag, header)


# --- /api/v1/<app> ----------------------------------------------------------------------------


def acl_json(app: AppSpec) -> dict | None:
    if app.acl is None:
        return None
    found = {
        "rights": {right: list(p) for right, p in app.acl.rights.items()},
        "roles": {role: list(p) for role, p in app.acl.roles.items()},
        "row_owners": list(app.acl.row_owners),
    }
    if app.acl.fields:
        found["fields"] = {
            item: {
                key: list(principals)
                for key, principals in (("read", rule.read), ("write", rule.write))
                if principals is not None
            }
            for item, rule in app.acl.fields.items()
        }
    return found


class AppView(AppEndpoint):
    requires = {"POST": "create"}

    def get(self, request, app_id):
        body = {
            "id": self.app.id,
            "title": self.app.title,
            "blocks": sorted(self.app.blocks),
            "indexes": sorted(gate.app_as_seen(self.app, self.access).indexes),
        }
        if self.access.has_right("manager"):
            body["acl"] = acl_json(self.app)
        return Response(body, headers={"X-CSRF-Token": get_token(request._request)})

    def post(self, request, app_id):
        items, record_id = valid(RecordBody(self.body(), app=self.app))
        gate.check_item_writes(self.app, self.access, items, None)
        return created(
            self,
            store.record_create(
                app=self.app,
                items=items,
                record_id=record_id,
                user=request.user,
                reader=request.user,
            ),
        )


def valid(serializer):
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- /records -------------------------------------------------------------------------------


class RecordsView(AppEndpoint):
    requires = {"GET": "view", "HEAD": "view", "POST": "create", "DELETE": "delete_all"}

    def get(self, request, app_id):
        pages = KeysetPagination()
        pages.read(request.GET)
        fields = fields_of(request.GET)
        # The app as the caller sees it, as a search gets it: one shape, one plan of statements
        # (records/statements.py), where the site's app made each drop the other's.
        rows = pages.paginate_records(request, gate.app_as_seen(self.app, self.access), self.access)
        return pages.get_paginated_response(listing(self, rows, fields))

    def post(self, request, app_id):
        checked = valid(RecordListBody(self.body(), app=self.app, limit=MAX_BULK_RECORDS))
        for items, _ in checked:
            gate.check_item_writes(self.app, self.access, items, None)
        try:  # all or nothing
            store.records_create_many(
                app=self.app, rows=checked, user=request.user, reader=request.user
            )
        except (RecordExists, InvalidInput, StampedItem) as exc:
            position = getattr(exc, "position", None)
            if position is None:
                raise
            raise type(exc)(f"record {position}: {exc.message}") from None
        return Response({"success": "created", "total": len(checked)}, status=201)

    def delete(self, request, app_id):
        store.record_delete_all(app=self.app, request=request._request)
        return Response({"success": "deleted"})


# --- /record/<id> ---------------------------------------------------------------------------


class RecordView(AppEndpoint):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        selectors.check_record_id(kwargs["record_id"])

    def get(self, request, app_id, record_id):
        record = self.record(record_id, "view").record
        etag = record.etag
        if if_none_match(request, etag):
            response = HttpResponse(status=304)
        else:
            fields = fields_of(request.GET)
            items = gate.readable_items(self.app, self.access, record.items)
            # JsonResponse writes what the JSONRenderer would, without DRF's Response around it
            # (a template response rendered at the end): this route is the API's most frequent.
            response = JsonResponse({"id": record.record_id, **only(items, fields)})
        response["ETag"] = etag
        return response

    def put(self, request, app_id, record_id):
        self.require("create")
        items, _ = valid(RecordBody(self.body(), app=self.app, record_id=record_id))
        gate.check_item_writes(self.app, self.access, items, None)
        return created(
            self,
            store.record_create(
                app=self.app,
                items=items,
                record_id=record_id,
                user=request.user,
                reader=request.user,
            ),
        )

    def post(self, request, app_id, record_id):
        body = self.body()
        with transaction.atomic():
            # The record is read once, locked, and written as read: no second SELECT, no re-read.
            granted = self.record(record_id, "edit", lock=True)
            items, _ = valid(RecordBody(body, app=self.app, record_id=record_id))
            gate.check_item_writes(self.app, self.access, items, granted.record.items)
            saved = store.record_save(
                app=self.app,
                record=granted.record,
                items=items,
                if_match=if_match(request),
                fixed=self.access.fixed_owner_items(granted.facts),
                locked=True,
                reader=request.user,
            )
        return Response({"success": "updated"}, headers={"ETag": saved.etag})

    patch = post

    def delete(self, request, app_id, record_id):
        record = self.record(record_id, "delete").record
        store.record_delete(
            app=self.app, record=record, request=request._request, if_match=if_match(request)
        )
        return Response({"success": "deleted"})


class ShareView(AppEndpoint):
    """POST grants, DELETE revokes `{"principal", "permissions"}` on one record (contract §5);
    GET lists the record's shares."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        selectors.check_record_id(kwargs["record_id"])
        self.shared = self.record(kwargs["record_id"], "share").record

    def get(self, request, app_id, record_id):
        return Response(sharing.shares_of(self.shared))

    def post(self, request, app_id, record_id):
        return self.change(sharing.record_share, "shared")

    def delete(self, request, app_id, record_id):
        return self.change(sharing.record_unshare, "unshared")

    def change(self, service, done: str):
        """Share or unshare (`service`) as the body says; answer `{"success": done}`."""
        principal, permissions = valid(ShareBody(self.body()))
        service(
            record=self.shared,
            principal=principal,
            permissions=permissions,
            request=self.request._request,
        )
        return Response({"success": done})


# --- history (contract §9) ------------------------------------------------------------------


def page_of(query) -> tuple[int, int]:
    """`?limit=` (default 100, at most 1000) and `?offset=` of a history or deleted list."""
    limit = selectors.DEFAULT_LIMIT
    if query.get("limit") is not None:
        limit = min(positive_int(query["limit"], "limit", minimum=1), selectors.MAX_LIMIT)
    offset = 0
    if query.get("offset") is not None:
        offset = positive_int(query["offset"], "offset", minimum=0)
    return limit, offset


class HistoryView(AppEndpoint):
    """`GET .../record/<id>/history`: the record's versions, newest first, without the items
    the caller may not read; a deleted record's to its editors and managers."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        selectors.check_record_id(kwargs["record_id"])

    def get(self, request, app_id, record_id):
        gate.record_or_deleted(self.app, self.access, record_id, "view")
        limit, offset = page_of(request.GET)
        versions = history.versions_of(
            self.app.id,
            record_id,
            whole=gate.sees_whole_history(self.access),
            limit=limit + 1,
            offset=offset,
        )
        shown = partial(gate.readable_items, self.app, self.access)
        response = Response([history.as_json(v, shown) for v in versions[:limit]])
        if len(versions) > limit:
            query = urlencode({"limit": limit, "offset": offset + limit})
            response["Link"] = f'<{request.build_absolute_uri(request.path)}?{query}>; rel="next"'
        return response


class RestoreView(AppEndpoint):
    """`POST .../record/<id>/restore {"version": n}`: that version's items written back as a
    new version (200); on a deleted record's id, the record back with its history (201)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        selectors.check_record_id(kwargs["record_id"])

    def post(self, request, app_id, record_id):
        body = self.body()
        with transaction.atomic():
            found = gate.record_or_deleted(self.app, self.access, record_id, "edit", lock=True)
            version = valid(RestoreBody(body))["version"]
            if isinstance(found, RecordVersion):
                return self.undelete(request, record_id, version)
            saved = store.record_restore(
                app=self.app,
                record=found.record,
                version=version,
                if_match=if_match(request),
                fixed=self.access.fixed_owner_items(found.facts),
                readable=partial(gate.readable_items, self.app, self.access),
                check_writes=partial(gate.check_item_writes, self.app, self.access),
                locked=True,
                user=request.user,
                whole_history=gate.sees_whole_history(self.access),
            )
        return Response(
            {"success": "restored", "version": saved.version}, headers={"ETag": saved.etag}
        )

    def undelete(self, request, record_id: str, version: int) -> Response:
        if if_match(request) is not None:  # no current representation: no tag can match
            raise StaleRecord(f"record '{record_id}' is deleted: If-Match cannot match it")
        record = store.record_undelete(
            app=self.app, record_id=record_id, version=version, user=request.user
        )
        path = self.path(record.record_id)
        return Response(
            {"success": "restored", "version": record.version, "id": record_id, "path": path},
            status=201,
            headers={"ETag": record.etag, "Location": path},
        )


class DeletedView(AppEndpoint):
    """`GET /api/v1/<app>/deleted` (editors, managers): `[{"id", "deleted_at", "deleted_by"}]`,
    most recently deleted first."""

    def get(self, request, app_id):
        gate.deleted_records_allowed(self.app, self.access)
        limit, offset = page_of(request.GET)
        rows = history.deleted_records(self.app.id, limit=limit + 1, offset=offset)
        response = Response(
            [
                {
                    "id": row.record_id,
                    "deleted_at": row.at.isoformat(),
                    "deleted_by": row.by or None,
                }
                for row in rows[:limit]
            ]
        )
        if len(rows) > limit:
            query = urlencode({"limit": limit, "offset": offset + limit})
            response["Link"] = f'<{request.build_absolute_uri(request.path)}?{query}>; rel="next"'
        return response


# --- /search, /aggregate, /refresh ----------------------------------------------------------------------


class SearchView(AppEndpoint):
    requires = {"POST": "view"}

    def post(self, request, app_id):
        body = valid(SearchBody(self.body(default={})))
        # The URL's `?fields=` wins over the body's, as the URL's paging does: a Link carries
        # the URL's on.
        fields = fields_of(request.GET) if "fields" in request.GET else body["fields"]
        sort_index = body.get("sort_index")
        pages = KeysetPagination() if sort_index is None else RecordPagination()
        pages.read(page_source(request, body))
        rows = pages.paginate_records(
            request,
            gate.app_as_seen(self.app, self.access),  # a hidden item: as no element declares it
            self.access,
            query=body.get("query"),
            sort_index=sort_index,
            reverse=body.get("reverse", False),
        )
        return pages.get_paginated_response(listing(self, rows, fields))


def page_source(request, body: dict) -> dict:
    """The next page's Link carries ?limit=&after= (or &offset=) in the URL: a client re-sends
    the same body to it, and the URL's paging wins over the body's."""
    source = dict(body)
    if "after" in request.GET or "offset" in request.GET:  # where to start: all from the URL
        source["after"], source["offset"] = request.GET.get("after"), request.GET.get("offset")
    if "limit" in request.GET:
        source["limit"] = request.GET["limit"]
    return source


class RefreshView(AppEndpoint):
    requires = {"POST": "manage"}

    def post(self, request, app_id):
        indexes = store.app_reindex(app=self.app)
        return Response({"success": "refresh", "indexes": indexes})


class AccessView(AppEndpoint):
    """Contract §10: why the user `?user=` may or may not read, create, edit, delete, share
    (on `?record=`), as the gate decides for them; for managers of the app."""

    requires = {"GET": "manage"}

    def get(self, request, app_id):
        username = request.GET.get("user")
        if not username:
            raise InvalidInput("name the user to explain: ?user=<username>")
        record_id = request.GET.get("record")
        return Response(gate.explanation(self.app, username, record_id))


class AggregateView(AppEndpoint):
    """Contract §8: totals over the records `POST /search` with the same query returns."""

    requires = {"POST": "view"}

    def post(self, request, app_id):
        body = valid(AggregateBody(self.body(default={})))
        answer = totals.aggregate(
            gate.app_as_seen(self.app, self.access),  # a hidden item: as no element declares it
            access=self.access,
            query=body.get("query"),
            group_by=body.get("group_by") or (),
            metrics=body["metrics"],
            sort=body.get("sort"),
            reverse=body.get("reverse", False),
            limit=body.get("limit", totals.DEFAULT_LIMIT),
        )
        return Response(answer)


@csrf_exempt
def not_found(request, rest=""):
    return error_response(404, f"no API route {request.path}")


app_view = AppView.as_view()
records_view = RecordsView.as_view()
record_view = RecordView.as_view()
share_view = ShareView.as_view()
search_view = SearchView.as_view()
refresh_view = RefreshView.as_view()
aggregate_view = AggregateView.as_view()
access_view = AccessView.as_view()
history_view = HistoryView.as_view()
restore_view = RestoreView.as_view()
deleted_view = DeletedView.as_view()
