"""The API's Django REST framework pieces: the JSON parser and renderer, the permission class
that asks the access gate, the pagination of record lists (site_config/settings.py
`REST_FRAMEWORK` names the defaults). The endpoint bases are in api/endpoints.py.

One request: `ApiView.initial` answers 405 for a method the view does not take, then DRF
authenticates (api/auth.py) and asks `GatePermission`, which resolves the app once
(`AppEndpoint.app`, 404 `no app`) and asks the gate (records/access.py) for the view's
app-wide action; the handler reads its body once through `JSONParser` (via its serializer,
api/serializers.py), calls the services and answers through `JSONRenderer`; anything
raised on the way becomes `{"error": ...}` in `errors.exception_handler`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.pagination import BasePagination
from rest_framework.parsers import BaseParser
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response

from records import access as gate
from records import selectors
from site_model.acl import Access
from site_model.spec import AppSpec

from .errors import PayloadTooLarge

MAX_OFFSET = 2**62  # offset + limit must still fit a 64-bit SQL integer


# --- parsing and rendering ----------------------------------------------------------------------


class Empty:
    """The body of a request that sent none (or only white space)."""

    def __repr__(self) -> str:
        return "EMPTY"


EMPTY = Empty()


class JSONParser(BaseParser):
    """Every body is JSON, whatever its Content-Type: 413 when too large, 400 when not UTF-8,
    not JSON, holding NaN or Infinity, an infinite float or a number of over 100 digits, a key
    twice in one object, or text a database cannot store (NUL, a lone surrogate)."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        # Django's own `body` (not the stream): it checks the size, and keeps the bytes for
        # whatever reads them later in the request (block code saving a record, uploads).
        try:
            raw = parser_context["request"]._request.body
        except RequestDataTooBig:
            raise PayloadTooLarge(
                f"the body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes"
            ) from None
        if not raw.strip():
            return EMPTY
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError(
                f"the body is not valid UTF-8 (bad byte at position {exc.start})"
            ) from None
        try:
            value = json.loads(
                text,
                parse_constant=_no_constant,
                parse_float=_finite,
                parse_int=_bounded_int,
                object_pairs_hook=_unique_keys,
            )
        except RecursionError:
            raise exceptions.ParseError("the body is not valid JSON: nested too deeply") from None
        except ValueError as exc:
            raise exceptions.ParseError(f"the body is not valid JSON: {exc}") from None
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


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """An object, unless it names a key twice (JSON parsers disagree on which one wins)."""
    value = dict(pairs)
    if len(value) < len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"key '{key[:60]}' appears twice in one object")
            seen.add(key)
    return value


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
                raise exceptions.ParseError(
                    "the body holds a NUL character (\\u0000), which cannot be stored"
                )
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise exceptions.ParseError(
                    "the body holds a lone surrogate (\\ud800-\\udfff), which is not valid Unicode"
                ) from None


@dataclass(frozen=True)
class RawJSON:
    """JSON text already made (records' items are stored as JSON text: spliced, not re-parsed)."""

    text: str


class JSONRenderer(BaseRenderer):
    """`json.dumps`' own spacing and ASCII escapes, as Django's `JsonResponse` writes."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        if isinstance(data, RawJSON):
            return data.text.encode("utf-8")
        return json.dumps(data, cls=DjangoJSONEncoder).encode("utf-8")


class JSONOnly(BaseContentNegotiation):
    """JSON in, JSON out, whatever `Accept` and `Content-Type` say (no 406, no 415)."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


# --- the gate -----------------------------------------------------------------------------------


class GatePermission(BasePermission):
    """Asks the access gate (records/access.py) for the app-wide action the view requires of
    this method (`AppEndpoint.requires`); its refusal (`Denied`) goes on to the exception
    handler: 401, 403 or 404. Record-level questions are the handler's (`AppEndpoint.record`),
    in the contract's order."""

    def has_permission(self, request, view) -> bool:
        action = getattr(view, "requires", {}).get(request.method)
        if action is not None:
            gate.require(view.app, view.access, action)
        return True


# --- pages ----------------------------------------------------------------------------------


class RecordPagination(BasePagination):
    """A page of records: `limit` (default 100, at most 1000) and `offset`; the next page's URL
    in `Link: <...>; rel="next"` while more remain, with the URL's `fields` (the next page has
    the same shape)."""

    keyset = False

    def read(self, source: dict) -> None:
        """The page asked for in `source` (the query string, or a search body with the URL's
        paging over it)."""
        self.limit = selectors.DEFAULT_LIMIT
        if source.get("limit") is not None:
            self.limit = min(positive_int(source["limit"], "limit", minimum=1), selectors.MAX_LIMIT)
        self.offset = 0
        if source.get("offset") is not None:
            self.offset = positive_int(source["offset"], "offset", minimum=0)
        self.after = after_of(source)

    def paginate_records(self, request, app: AppSpec, access: Access, **search) -> list:
        """The page's rows, (record id, items as JSON text), from selectors.records_page."""
        self.request = request
        self.page = selectors.records_page(
            app,
            access=access,
            limit=self.limit,
            offset=self.offset,
            after=self.after,
            rows=True,
            **search,
        )
        return self.page.records

    def get_paginated_response(self, data) -> Response:
        response = Response(data)
        if self.page.has_more:
            response["Link"] = f'<{self.next_url()}>; rel="next"'
        return response

    def next_url(self) -> str:
        request = self.request
        query = self.next_query(self.page)
        if "fields" in request.GET:
            query["fields"] = request.GET["fields"]
        return request.build_absolute_uri(f"{request.path}?{urlencode(query, safe=',')}")

    def next_query(self, page) -> dict:
        return {"limit": self.limit, "offset": self.offset + self.limit}


class KeysetPagination(RecordPagination):
    """Pages in creation order: the next starts after this page's last record (`after=<id>`),
    so it costs what the first one did however deep."""

    keyset = True

    def next_query(self, page) -> dict:
        return {"limit": self.limit, "after": page.records[-1][0]}


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
        raise exceptions.ParseError(f"{name} must be {rule}, found '{shown}'")
    return min(value, MAX_OFFSET)


def after_of(source: dict) -> str | None:
    """`after=<record id>`: keyset paging (selectors.records_page); None when absent."""
    after = source.get("after")
    if after is None:
        return None
    if not isinstance(after, str):
        raise exceptions.ParseError(f"after must be a record id, found {json_type(after)}")
    return selectors.check_record_id(after)


def json_type(value) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        type(None): "null",
    }.get(type(value), "a number")
