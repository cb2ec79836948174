"""Golden answers of the JSON API (contract §4, issue 22): a few hundred requests on a fixed
site, each answer's status, headers and body compared byte for byte with the answer recorded in
tests/api/golden/<group>.json before the API moved onto Django REST framework.

    GOLDEN_RECORD=1 .venv/bin/python -m pytest tests/api/test_golden.py    # (re)record

Only what must vary from run to run is normalised, the same way when recording and comparing:
- record ids the server generates (12 hex digits) -> `<id-1>`, `<id-2>`, … in order of appearance;
- ETags (they hash the row's primary key, which a PostgreSQL sequence does not roll back)
  -> `<etag-1>`, … in order of appearance, in headers and in messages alike;
- the `X-CSRF-Token` header (masked anew on each request) -> `<csrf>`;
- `Set-Cookie`: the names of the cookies set, not their values (session and CSRF tokens);
- the seconds of a 429's `Retry-After` and of its message (real time passes) -> `<n>`;
- `Date` is not among Django's test client's headers; nothing else is left out.
The answers are recorded per engine (`golden_dir`). Timestamps in records come from the stopped clock (conftest `clock`); a Bearer token appears in
no answer.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers import PASSWORD, new_client

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).resolve().parent / "golden"


def golden_dir() -> Path:
    """golden/ for SQLite, golden/postgresql/ for PostgreSQL: jsonb stores an object's keys in
    an order of its own (shorter first), so the engines' bodies differ in key order alone."""
    from django.db import connection

    return GOLDEN / "postgresql" if connection.vendor == "postgresql" else GOLDEN


RECORD = os.environ.get("GOLDEN_RECORD") == "1"

SITE = {
    "settings.yaml": "title: Golden site\ngroups: [admins]\n",
    "apps/sales/settings.yaml": """\
title: Sales
acl:
  rights:
    reader: [readers]
    author: [authors]
    editor: [editors]
    manager: [managers]
""",
    "apps/sales/blocks/order.yaml": """\
title: Order
elements:
  title: {type: TEXT, label: Title, index_type: text}
  price: {type: NUMBER, index_type: field}
  quantity: {type: NUMBER}
  due: {type: DATETIME, label: Due}
  total: {type: NUMBER, mode: COMPUTED_ON_SAVE, index_type: field}
""",
    "apps/sales/blocks/order.py": """\
def total(context):
    if context.record is None:
        return None
    return (context.record.get("price") or 0) * (context.record.get("quantity") or 0)
""",
    "apps/sales/blocks/secret.yaml": (
        "view_permission: [managers]\nelements:\n  code: BASIC\n  note: TEXT\n"
    ),
    "apps/sales/blocks/secret.py": "def code(context):\n    return 42\n",
    "apps/sales/blocks/broken.yaml": "elements:\n  value: BASIC\n",
    "apps/sales/blocks/broken.py": "def value(context):\n    return 1 / 0\n",
    "apps/owned/settings.yaml": """\
acl:
  rights:
    reader: [readers]
    author: [authors]
    editor: [editors]
  row_owners: [salesman]
""",
    "apps/owned/blocks/sale.yaml": (
        "elements:\n  amount: {type: NUMBER, index_type: field}\n  salesman: TEXT\n"
    ),
    "apps/open/blocks/thing.yaml": "elements:\n  name: TEXT\n",
    "apps/public/settings.yaml": (
        "acl:\n  rights:\n    reader: ['*']\n    author: [authenticated]\n"
    ),
    "apps/public/blocks/note.yaml": "elements:\n  text: {type: TEXT, required: true}\n",
    "apps/public/blocks/like.yaml": "elements:\n  like: ACTION\n  count: BASIC\n",
    "apps/public/blocks/like.py": (
        "N = []\ndef like(context):\n    N.append(1)\n    return len(N)\n"
        "def count(context):\n    return {'n': len(N), 'who': str(context.user)}\n"
    ),
    "pages/index.yaml": "title: Home\nblocks: [sales/order]\n",
}

USERS = {
    "reader": ["readers"],
    "author": ["authors"],
    "author2": ["authors"],
    "editor": ["editors"],
    "manager": ["managers"],
    "stranger": [],
    "otp": ["readers"],
}


@dataclass
class Req:
    who: str  # a key of the clients: anon, a username (session), basic:<user>, bearer:<user>, …
    method: str
    path: str
    body: object = None  # sent as JSON
    raw: str | None = None  # sent as it is (application/json unless `content_type`)
    headers: dict = field(default_factory=dict)
    content_type: str = "application/json"


def R(who, method, path, body=None, **kw) -> Req:
    return Req(who, method, path, body, **kw)


# --- the requests, by group -----------------------------------------------------------------

A = "/api/v1/sales"


def discovery() -> list[Req]:
    reqs = []
    for who in ("anon", "reader", "editor", "manager", "stranger", "basic:reader", "bearer:editor"):
        reqs += [
            R(who, "GET", "/api/v1/"),
            R(who, "GET", A),
        ]
    reqs += [
        R("anon", "GET", "/api/v1"),
        R("anon", "HEAD", "/api/v1/"),
        R("anon", "POST", "/api/v1/"),
        R("anon", "GET", "/api/v1/nope"),
        R("anon", "GET", "/api/v1/nope/records"),
        R("anon", "GET", "/api/v1/sales/nothing/here"),
        R("anon", "GET", "/api/"),
        R("anon", "GET", "/api"),
        R("anon", "GET", "/api/v2/x"),
        R("anon", "GET", "/api/v1/public/"),
        R("anon", "HEAD", "/api/v1/public"),
        R("anon", "GET", "/api/v1/open"),
        R("reader", "GET", "/api/v1/owned"),
        R("anon", "PUT", A),
        R("anon", "DELETE", A),
        R("anon", "PATCH", A + "/"),
        R("anon", "OPTIONS", A),
    ]
    return reqs


def openapi() -> list[Req]:
    reqs = []
    for app in ("sales", "owned", "open", "public"):
        for who in ("anon", "reader", "author", "editor", "manager", "stranger"):
            reqs.append(R(who, "GET", f"/api/v1/{app}/openapi.json"))
    reqs += [
        R("anon", "GET", "/api/v1/nope/openapi.json"),
        R("anon", "POST", "/api/v1/public/openapi.json"),
        R("bearer:editor", "GET", "/api/v1/sales/openapi.json"),
        R("basic:manager", "GET", "/api/v1/sales/openapi.json"),
    ]
    return reqs


def auth() -> list[Req]:
    reqs = [
        R("basic:reader", "GET", A + "/records"),
        R("basic:author", "POST", A, {"id": "b1", "title": "by basic"}),
        R("basic:otp", "GET", A + "/records"),
        R("bearer:author", "POST", A, {"id": "t1", "title": "by token"}),
        R("bearer:otp", "GET", A + "/records"),
        R("anon", "GET", A + "/records", headers={"HTTP_AUTHORIZATION": "Bearer nope"}),
        R("anon", "GET", A + "/records", headers={"HTTP_AUTHORIZATION": "Digest x"}),
        R("anon", "GET", A + "/records", headers={"HTTP_AUTHORIZATION": "Basic !!!"}),
        R("anon", "GET", A + "/records", headers={"HTTP_AUTHORIZATION": "Basic " + "Og=="}),
        R("reader", "GET", A + "/records", headers={"HTTP_AUTHORIZATION": "Bearer nope"}),
        # CSRF: a session write without the token, with a wrong one, with the right one
        R("csrf:author", "POST", A, {"id": "c1"}),
        R("csrf:author", "POST", A, {"id": "c1"}, headers={"HTTP_X_CSRF_TOKEN": "x" * 32}),
        R("csrf:author", "GET", A),
        R("csrf:author", "POST", A, {"id": "c1"}, headers={"csrf": "X-CSRF-Token"}),
        R("csrf:author", "POST", A, {"id": "c2"}, headers={"csrf": "X-CSRFToken"}),
        R("csrf:author", "GET", A + "/record/c1"),
        R("csrf:author", "DELETE", A + "/record/c1"),
        R("csrf:author", "POST", A + "/search", {}),
        R("basic:author", "POST", A, {"id": "b2"}),
    ]
    for _ in range(6):
        reqs.append(R("basic-wrong:reader", "GET", A + "/records"))
    reqs += [
        R("basic:reader", "GET", A + "/records"),
        R("basic-wrong:nobody", "GET", A),
    ]
    return reqs


def records() -> list[Req]:
    R_ = A + "/records"
    reqs = [
        R("anon", "GET", R_),
        R("stranger", "GET", R_),
        R("reader", "GET", R_),
        R("reader", "GET", R_ + "/"),
        R("reader", "HEAD", R_),
        R("reader", "GET", R_ + "?limit=2"),
        R("reader", "GET", R_ + "?limit=2&after=r2"),
        R("reader", "GET", R_ + "?limit=2&offset=2"),
        R("reader", "GET", R_ + "?limit=2&fields=title,price"),
        R("reader", "GET", R_ + "?limit=2&after=r2&fields=price"),
        R("reader", "GET", R_ + "?fields="),
        R("reader", "GET", R_ + "?limit=0"),
        R("reader", "GET", R_ + "?limit=x"),
        R("reader", "GET", R_ + "?limit=-1"),
        R("reader", "GET", R_ + "?limit=5000"),
        R("reader", "GET", R_ + "?offset=-1"),
        R("reader", "GET", R_ + "?offset=99999999999999999999999"),
        R("reader", "GET", R_ + "?after=..."),
        R("reader", "GET", R_ + "?after=zz"),
        R("anon", "GET", "/api/v1/public/records"),
        R("anon", "GET", "/api/v1/open/records"),
        R("reader", "GET", "/api/v1/owned/records"),
        R("editor", "GET", "/api/v1/owned/records"),
        R("author", "GET", "/api/v1/owned/records"),
        # creates
        R("anon", "POST", A, {"title": "x"}),
        R("reader", "POST", A, {"title": "x"}),
        R("author", "POST", A, {"title": "generated"}),
        R("author", "POST", A, {"id": "n1", "title": "new", "price": 2, "quantity": 3}),
        R("author", "POST", A, {"id": "n1"}),
        R("author", "POST", A, {"_author": "x"}),
        R("author", "POST", A, {"block": "nope"}),
        R("author", "POST", A, {"block": "order", "id": "n2"}),
        R("author", "POST", A, {"id": "..."}),
        R("author", "POST", A, {"id": 5}),
        R("author", "POST", A, [1]),
        R("author", "POST", A, raw=""),
        R("author", "POST", A, raw="{"),
        R("author", "POST", A, raw="[NaN]"),
        R("author", "POST", A, raw='{"a": 1e999}'),
        R("author", "POST", A, raw='{"a": "\\u0000"}'),
        R("author", "POST", A, raw='{"a": "\\ud800"}'),
        R("author", "POST", A, raw='{"a": 1, "a": 2}'),
        R("author", "POST", A, raw="\xff", content_type="application/json"),
        R("author", "POST", A, raw="[" * 100000 + "]" * 100000),
        R("author", "POST", A, raw='{"a": ' + "1" * 150 + "}"),
        R("author", "POST", A, {"price": "cheap"}),
        R("author", "POST", A, {"due": "2026-01-01T10:00"}),
        R("author", "POST", A, {"id": "form"}, raw="id=x", content_type="text/plain"),
        # bulk
        R("author", "POST", R_, [{"id": "m1", "title": "one"}, {"title": "two"}]),
        R("author", "POST", R_, [{"id": "m1"}]),
        R("author", "POST", R_, [{"id": "m9"}, {"id": "m9"}]),
        R("author", "POST", R_, [{"id": "m8"}, {"_x": 1}]),
        R("author", "POST", R_, [{"id": "m7"}, {"price": "x"}]),
        R("author", "POST", R_, {"id": "m1"}),
        R("author", "POST", R_, []),
        R("reader", "POST", R_, [{}]),
        R("anon", "POST", R_, [{}]),
        R("author", "PUT", R_, []),
        R("author", "GET", R_ + "?limit=3"),
        # delete all
        R("author", "DELETE", "/api/v1/open/records"),
        R("reader", "DELETE", R_),
        R("editor", "DELETE", "/api/v1/open/records"),
        R("anon", "GET", "/api/v1/open/records"),
    ]
    return reqs


def record() -> list[Req]:
    r = A + "/record/"
    reqs = [
        R("reader", "GET", r + "r1"),
        R("reader", "GET", r + "r1/"),
        R("reader", "HEAD", r + "r1"),
        R("reader", "GET", r + "r1?fields=title"),
        R("reader", "GET", r + "r1?fields=title,nope,price"),
        R("reader", "GET", r + "r1", headers={"etag_of": "r1"}),
        R("reader", "GET", r + "r1", headers={"HTTP_IF_NONE_MATCH": "*"}),
        R("reader", "GET", r + "r1", headers={"HTTP_IF_NONE_MATCH": '"old"'}),
        R("reader", "GET", r + "nope"),
        R("anon", "GET", r + "r1"),
        R("stranger", "GET", r + "r1"),
        R("reader", "GET", r + "..."),
        R("reader", "GET", r + "a%2Fb"),
        R("reader", "GET", r + "a%0Ab"),
        R("reader", "GET", r + "x" * 201),
        R("reader", "GET", r + "-a"),
        R("reader", "GET", r + "a:b@c~d"),
        # PUT
        R("author", "PUT", r + "p1", {"title": "put"}),
        R("author", "PUT", r + "p1", {"title": "again"}),
        R("author", "PUT", r + "p2", {"id": "other"}),
        R("author", "PUT", r + "p3", {"id": "p3", "price": 1}),
        R("author", "PUT", r + "-a", {}),
        R("author", "PUT", r + "_a", {}),
        R("author", "PUT", r + ".x", {}),
        R("author", "PUT", r + "...", {}),
        R("reader", "PUT", r + "p4", {}),
        R("anon", "PUT", r + "p4", {}),
        R("author", "PUT", r + "p5", raw="nope"),
        # update
        R("author", "POST", r + "p1", {"price": 3, "quantity": 2}),
        R("author", "PATCH", r + "p1", {"title": "patched"}),
        R("author", "GET", r + "p1"),
        R("author", "PATCH", r + "p1", {"title": "stale"}, headers={"HTTP_IF_MATCH": '"stale"'}),
        R("author", "PATCH", r + "p1", {"title": "fresh"}, headers={"etag_of": "p1"}),
        R("author", "PATCH", r + "p1", {"title": "any"}, headers={"HTTP_IF_MATCH": "*"}),
        R("author", "PATCH", r + "p1", {"id": "zz"}),
        R("author", "PATCH", r + "p1", {"_author": "zz"}),
        R("author", "PATCH", r + "p1", [1]),
        R("author", "PATCH", r + "p1", raw=""),
        R("author", "PATCH", r + "nope", {}),
        R("author2", "PATCH", r + "p1", {"title": "not mine"}),
        R("editor", "PATCH", r + "p1", {"title": "editor"}),
        R("reader", "PATCH", r + "p1", {}),
        R("anon", "PATCH", r + "p1", {}),
        R("author", "PATCH", r + "...", {}),
        # owned
        R("author", "PUT", "/api/v1/owned/record/s1", {"amount": 1, "salesman": "author"}),
        R("author", "PATCH", "/api/v1/owned/record/s1", {"salesman": "author2"}),
        R("author", "GET", "/api/v1/owned/record/s1"),
        R("author2", "GET", "/api/v1/owned/record/s1"),
        R("editor", "GET", "/api/v1/owned/record/s1"),
        R("reader", "GET", "/api/v1/owned/record/s1"),
        # delete
        R("author2", "DELETE", r + "p1"),
        R("author", "DELETE", r + "p1", headers={"HTTP_IF_MATCH": '"stale"'}),
        R("author", "DELETE", r + "p1"),
        R("author", "DELETE", r + "p1"),
        R("reader", "DELETE", r + "r1"),
        R("anon", "DELETE", r + "r1"),
        R("editor", "DELETE", r + "r2"),
        R("editor", "GET", r + "r2"),
        R("anon", "PUT", "/api/v1/public/record/q1", {"text": "x"}),
        R("author", "PUT", "/api/v1/public/record/q1", {"text": "x"}),
        R("author", "PUT", "/api/v1/public/record/q2", {"text": ""}),
        R("author", "PUT", "/api/v1/public/record/q3", {}),
        R("anon", "GET", "/api/v1/public/record/q1"),
        R("anon", "PUT", "/api/v1/open/record/o1", {"name": "x"}),
        R("anon", "GET", "/api/v1/open/record/o1"),
    ]
    return reqs


def share() -> list[Req]:
    s = A + "/record/r1/share"
    body = {"principal": "reader", "permissions": ["edit"]}
    reqs = [
        R("editor", "GET", s),
        R("editor", "POST", s, body),
        R("editor", "GET", s + "/"),
        R("reader", "PATCH", A + "/record/r1", {"title": "shared edit"}),
        R("editor", "POST", s, {"principal": "group:readers", "permissions": ["view"]}),
        R("editor", "POST", s, {"principal": "nobody", "permissions": ["view"]}),
        R("editor", "POST", s, {"principal": "reader", "permissions": ["fly"]}),
        R("editor", "POST", s, {"principal": "reader"}),
        R("editor", "POST", s, [1]),
        R("editor", "POST", s, raw=""),
        R("editor", "DELETE", s, body),
        R("editor", "GET", s),
        R("reader", "GET", s),
        R("reader", "POST", s, body),
        R("anon", "POST", s, body),
        R("stranger", "GET", s),
        R("author", "GET", A + "/record/a1/share"),
        R("author", "POST", A + "/record/a1/share", body),
        R("editor", "GET", A + "/record/nope/share"),
        R("editor", "PUT", s, body),
        R("editor", "GET", A + "/record/.../share"),
    ]
    return reqs


def search() -> list[Req]:
    s = A + "/search"
    reqs = [
        R("reader", "POST", s),
        R("reader", "POST", s, {}),
        R("reader", "POST", s + "/", {"query": "price > 1"}),
        R("reader", "POST", s, {"query": "'first' in title"}),
        R("reader", "POST", s, {"query": "", "sort_index": "price"}),
        R("reader", "POST", s, {"sort_index": "price", "reverse": True, "limit": 2}),
        R("reader", "POST", s + "?limit=2&offset=2", {"sort_index": "price"}),
        R("reader", "POST", s, {"limit": 2}),
        R("reader", "POST", s + "?limit=2&after=r2", {}),
        R("reader", "POST", s, {"limit": 2, "fields": ["price"]}),
        R("reader", "POST", s + "?fields=title", {"limit": 2, "fields": ["price"]}),
        R("reader", "POST", s, {"limit": "2"}),
        R("reader", "POST", s, {"limit": 1.0}),
        R("reader", "POST", s, {"limit": 0}),
        R("reader", "POST", s, {"offset": -1}),
        R("reader", "POST", s, {"query": None, "sort_index": None, "fields": None}),
        R("reader", "POST", s, {"reverse": None}),
        R("reader", "POST", s, {"reverse": "yes"}),
        R("reader", "POST", s, {"query": 5}),
        R("reader", "POST", s, {"sort_index": ["x"]}),
        R("reader", "POST", s, {"fields": "title"}),
        R("reader", "POST", s, {"fields": [1]}),
        R("reader", "POST", s, {"nope": 1}),
        R("reader", "POST", s, [1]),
        R("reader", "POST", s, raw="{"),
        R("reader", "POST", s, {"query": "price >"}),
        R("reader", "POST", s, {"query": "nope == 1"}),
        R("reader", "POST", s, {"sort_index": "title"}),
        R("reader", "POST", s, {"sort_index": "nope"}),
        R("reader", "POST", s, {"query": "__import__('os')"}),
        R("reader", "POST", s, {"after": 5}),
        R("reader", "POST", s, {"after": "..."}),
        R("reader", "GET", s),
        R("anon", "POST", s, {}),
        R("stranger", "POST", s, {}),
        R("anon", "POST", "/api/v1/public/search", {}),
        R("reader", "POST", "/api/v1/owned/search", {}),
        R("author", "POST", "/api/v1/owned/search", {"sort_index": "amount"}),
    ]
    return reqs


def refresh() -> list[Req]:
    f = A + "/refresh"
    return [
        R("manager", "POST", f),
        R("manager", "POST", f + "/", {}),
        R("editor", "POST", f),
        R("reader", "POST", f),
        R("anon", "POST", f),
        R("manager", "GET", f),
        R("anon", "POST", "/api/v1/open/refresh"),
        R("anon", "POST", "/api/v1/nope/refresh"),
    ]


def blocks() -> list[Req]:
    b = A + "/blocks/"
    reqs = []
    for who in ("anon", "reader", "manager", "stranger"):
        reqs += [
            R(who, "GET", b + "order"),
            R(who, "GET", b + "secret"),
            R(who, "GET", b + "secret/code"),
            R(who, "POST", b + "secret/code", {}),
        ]
    reqs += [
        R("reader", "GET", b + "order/"),
        R("reader", "HEAD", b + "order"),
        R("reader", "POST", b + "order"),
        R("reader", "GET", b + "nope"),
        R("reader", "GET", b + "order/zz"),
        R("reader", "GET", b + "order/title"),
        R("reader", "GET", b + "order/total/"),
        R("reader", "GET", b + "broken/value"),
        R("manager", "POST", b + "secret/code", [1]),
        R("manager", "POST", b + "secret/code", raw="{"),
        R("manager", "POST", b + "secret/code", raw=""),
        R("manager", "POST", b + "secret/code", {"a": 1}),
        R("manager", "POST", b + "secret/code", raw="x=1", content_type="text/plain"),
        R("manager", "DELETE", b + "secret/code"),
        R("anon", "GET", "/api/v1/public/blocks/like/like"),
        R("anon", "POST", "/api/v1/public/blocks/like/like"),
        R("anon", "POST", "/api/v1/public/blocks/like/like", {}),
        R("reader", "GET", "/api/v1/public/blocks/like/count"),
        R("anon", "GET", "/api/v1/public/blocks/like"),
        R("anon", "GET", "/api/v1/nope/blocks/x"),
        R("anon", "GET", "/api/v1/nope/blocks/x/y"),
        R("bearer:manager", "GET", b + "secret/code"),
        R("basic:manager", "GET", b + "secret"),
        R("csrf:manager", "POST", b + "secret/code", {}),
        R("csrf:manager", "GET", b + "secret/code"),
    ]
    return reqs


def methods() -> list[Req]:
    reqs = []
    paths = [
        "/api/v1/",
        A,
        A + "/openapi.json",
        A + "/records",
        A + "/record/r1",
        A + "/record/r1/share",
        A + "/search",
        A + "/refresh",
        A + "/blocks/order",
        A + "/blocks/order/title",
        "/api/v1/public/blocks/like/like",
    ]
    for path in paths:
        for method in ("PUT", "PATCH", "OPTIONS", "TRACE", "CONNECT"):
            reqs.append(R("editor", method, path))
    return reqs


GROUPS = {
    "discovery": discovery,
    "openapi": openapi,
    "auth": auth,
    "records": records,
    "record": record,
    "share": share,
    "search": search,
    "refresh": refresh,
    "blocks": blocks,
    "methods": methods,
}


# --- running and normalising ----------------------------------------------------------------


class Normaliser:
    """Stable names for what varies between runs (see the module's docstring)."""

    GENERATED_ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{12}(?![0-9a-f])")
    RETRY = re.compile(r"try again in \d+ seconds")

    def __init__(self):
        self.ids: dict[str, str] = {}
        self.etags: dict[str, str] = {}

    def etag(self, value: str) -> str:
        return self.etags.setdefault(value, f"<etag-{len(self.etags) + 1}>")

    def text(self, text: str) -> str:
        for tag, name in self.etags.items():
            text = text.replace(tag, name)
            text = text.replace(json.dumps(tag)[1:-1], name)  # a tag inside a JSON string
        text = self.GENERATED_ID.sub(
            lambda m: self.ids.setdefault(m.group(0), f"<id-{len(self.ids) + 1}>"), text
        )
        return self.RETRY.sub("try again in <n> seconds", text)

    def answer(self, response) -> dict:
        headers = {}
        for name, value in sorted(response.headers.items()):
            if name == "Set-Cookie":
                continue
            if name == "ETag":
                value = self.etag(value)
            elif name == "X-CSRF-Token":
                value = "<csrf>"
            elif name == "Retry-After":
                value = "<n>"
            headers[name] = self.text(value)
        if response.cookies:
            headers["Set-Cookie (names)"] = ", ".join(sorted(response.cookies))
        try:
            body = response.content.decode("utf-8")
        except UnicodeDecodeError:
            body = repr(response.content)
        return {"status": response.status_code, "headers": headers, "body": self.text(body)}


@pytest.fixture
def golden_site(site_dir, user_factory, clock):
    from django.contrib.auth import get_user_model

    from accounts import tokens
    from records import store
    from site_model.loader import current_site
    from tests.helpers import add_totp

    for rel, text in SITE.items():
        site_dir.write(rel, text)
    users = {name: user_factory(name, groups=groups) for name, groups in USERS.items()}
    add_totp(users["otp"])
    site = current_site()
    sales = site.apps["sales"]
    for n, (title, price) in enumerate(
        [("first order", 1), ("second order", 5), ("third", 3), ("fourth", 2), ("fifth", 4)], 1
    ):
        store.record_create(
            app=sales,
            items={"title": title, "price": price, "quantity": 1},
            record_id=f"r{n}",
            user=users["editor"],
        )
    store.record_create(app=sales, items={"title": "mine"}, record_id="a1", user=users["author"])
    store.record_create(app=site.apps["open"], items={"name": "thing"}, record_id="t1", user=None)
    store.record_create(app=site.apps["public"], items={"text": "hi"}, record_id="n1", user=None)
    owned = site.apps["owned"]
    for n, who in enumerate(["author", "author2", "reader"], 1):
        store.record_create(
            app=owned, items={"amount": n, "salesman": who}, record_id=f"o{n}", user=None
        )
    raw = {
        name: tokens.create_token(users[name])[1] for name in ("editor", "author", "manager", "otp")
    }
    return get_user_model(), raw


class Callers:
    def __init__(self, raw_tokens: dict[str, str]):
        self.raw = raw_tokens
        self.clients = {}

    def client(self, who: str):
        if who not in self.clients:
            kind, _, name = who.partition(":")
            if who == "anon":
                made = new_client()
            elif kind == "basic":
                made = new_client(basic=name)
            elif kind == "basic-wrong":
                made = new_client(basic=(name, PASSWORD + "x"))
            elif kind == "bearer":
                made = new_client(bearer=self.raw[name])
            elif kind == "csrf":
                made = new_client(name, enforce_csrf=True)
            else:
                made = new_client(who)
            self.clients[who] = made
        return self.clients[who]


def send(callers: Callers, req: Req, etags: dict[str, str]):
    client = callers.client(req.who)
    extra = dict(req.headers)
    if "etag_of" in extra:  # the record's current ETag, as a client would have it
        record_path = req.path.rsplit("/", 1)[0] + "/" + extra.pop("etag_of")
        header = "HTTP_IF_NONE_MATCH" if req.method == "GET" else "HTTP_IF_MATCH"
        extra[header] = new_client("editor").get(record_path)["ETag"]
    if "csrf" in extra:  # the token the app's GET handed out, in the header named
        header = extra.pop("csrf")
        token = client.get(req.path if req.path.startswith(A) else A)["X-CSRF-Token"]
        extra["HTTP_" + header.upper().replace("-", "_")] = token
    if req.raw is not None:
        data = req.raw
    else:
        data = json.dumps(req.body) if req.body is not None else ""
    return client.generic(req.method, req.path, data, content_type=req.content_type, **extra)


def run_group(name: str, golden_site) -> list[dict]:
    _, raw = golden_site
    callers, normaliser = Callers(raw), Normaliser()
    answers = []
    for req in GROUPS[name]():
        response = send(callers, req, {})
        answer = normaliser.answer(response)
        label = f"{req.who} {req.method} {req.path}"
        if req.body is not None or req.raw is not None:
            label += " " + (req.raw if req.raw is not None else json.dumps(req.body))[:80]
        answers.append({"request": label, **answer})
    return answers


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_answers_are_the_golden_ones(group, golden_site):
    answers = run_group(group, golden_site)
    path = golden_dir() / f"{group}.json"
    text = json.dumps(answers, indent=1, ensure_ascii=False) + "\n"
    if RECORD:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    recorded = json.loads(path.read_text(encoding="utf-8"))
    assert len(answers) == len(recorded)
    for got, want in zip(answers, recorded, strict=True):
        assert got == want, got["request"]
    assert text == path.read_text(encoding="utf-8")


def test_the_goldens_cover_every_status_of_the_contract(db):
    statuses = set()
    total = 0
    for path in golden_dir().glob("*.json"):
        answers = json.loads(path.read_text(encoding="utf-8"))
        total += len(answers)
        statuses |= {answer["status"] for answer in answers}
    assert {200, 201, 304, 400, 401, 403, 404, 405, 409, 412, 429} <= statuses
    assert total >= 300
