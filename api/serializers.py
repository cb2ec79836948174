"""One serializer per route's body (Django REST framework): each takes the parsed JSON and
answers what the service needs, or raises a 400 naming the problem (DRF's `ParseError`, or a
domain `InvalidInput`). A body is parsed once (framework.JSONParser) and checked once, here.

They check with the rules the services own (record ids: `selectors.check_record_id`; owner
items: `store.check_owner_items`; shares: `sharing.parse_share`), so the server and the
description (api/openapi.py) read one definition.
"""

from __future__ import annotations

import json

from rest_framework import serializers
from rest_framework.exceptions import ParseError

from records import selectors, store
from records.errors import InvalidInput
from records.ownership import sharing
from site_model.acl import SHARE_PERMISSIONS
from site_model.spec import AppSpec

from .framework import json_type

RULES = {"limit": "a positive integer", "offset": "a whole number >= 0"}
SEARCH_KEYS = ("query", "sort_index", "reverse", "limit", "offset", "after", "fields")
AGGREGATE_KEYS = ("query", "group_by", "metrics", "sort", "reverse", "limit")


class Body(serializers.BaseSerializer):
    """A JSON body, checked by `check`; the messages are the API's, word for word."""

    def __init__(self, data, **context):
        super().__init__(data=data, context=context)

    def run_validation(self, data=serializers.empty):
        return self.check(data)

    def check(self, value):
        raise NotImplementedError

    @staticmethod
    def keys_known(value: dict, keys, what: str) -> None:
        """`ParseError` naming the first key of `value` not among `keys` (`what`: "a search")."""
        unknown = sorted(set(value) - set(keys))
        if unknown:
            raise ParseError(f"unknown key '{unknown[0]}' in {what}; keys: {', '.join(keys)}")

    @classmethod
    def object_of(cls, value, keys, what: str) -> None:
        """`ParseError` unless `value` is a JSON object of (some of) `keys`."""
        if not isinstance(value, dict):
            raise ParseError(
                f"the body must be a JSON object with {', '.join(keys)}, found {json_type(value)}"
            )
        cls.keys_known(value, keys, what)


class RecordBody(Body):
    """A record: a JSON object, no `_` names, an `id` (if any) valid and matching the URL's,
    a `block` (if any) naming a block of the app, owner items within their size.
    Validated: (items without `id`, the id it names or None)."""

    def check(self, value) -> tuple[dict, str | None]:
        return client_items(self.context["app"], value, self.context.get("record_id"))


class RecordListBody(Body):
    """A bulk create: a list of at most `limit` records (`RecordBody`), no id twice.
    Validated: [(items, id or None)]."""

    def check(self, value) -> list[tuple[dict, str | None]]:
        limit = self.context["limit"]
        if not isinstance(value, list):
            raise ParseError(f"the body must be a JSON list of records, found {json_type(value)}")
        if len(value) > limit:
            raise ParseError(
                f"a bulk create takes at most {limit} records, found "
                f"{len(value)}: send them in several requests"
            )
        checked, seen = [], set()
        for index, record in enumerate(value):
            try:
                items, record_id = client_items(self.context["app"], record)
            except (ParseError, InvalidInput) as exc:
                raise ParseError(f"record {index}: {message_of(exc)}") from None
            if record_id is not None:
                if record_id in seen:
                    raise ParseError(f"record {index}: id '{record_id}' appears twice in the list")
                seen.add(record_id)
            checked.append((items, record_id))
        return checked


class SearchBody(Body):
    """A search: an object of `SEARCH_KEYS`, each optional (no body is `{}`) and null as absent;
    `query` and `sort_index` strings, `reverse` true or false, `fields` a list of strings.
    `limit`, `offset` and `after` are the pagination's (framework.RecordPagination); in a body
    `limit` and `offset` are JSON integers (1.0 is one, "2" is not: strings are the URL's)."""

    def check(self, value) -> dict:
        self.object_of(value, SEARCH_KEYS, "a search")
        for key in ("query", "sort_index"):
            if value.get(key) is not None and not isinstance(value[key], str):
                raise ParseError(f"{key} must be a string, found {json_type(value[key])}")
        if not isinstance(value.get("reverse") or False, bool):
            raise ParseError(f"reverse must be true or false, found {json_type(value['reverse'])}")
        for key in ("limit", "offset"):
            if isinstance(value.get(key), float) and value[key].is_integer():
                value = {**value, key: int(value[key])}  # a JSON Schema integer, as 2 is
            elif isinstance(value.get(key), str):
                raise ParseError(f"{key} must be {RULES[key]}, found '{json.dumps(value[key])}'")
        return {**value, "reverse": bool(value.get("reverse")), "fields": body_fields(value)}

    @staticmethod
    def schema(app: AppSpec, field_indexes: list[str]) -> dict:
        """The body's JSON Schema, for the app's description (api/openapi.py)."""
        properties = {
            "query": {
                "type": "string",
                "description": "a search over the indexes "
                f"({', '.join(sorted(app.indexes))}); empty: every record",
            },
            "sort_index": {"enum": field_indexes},
            "reverse": {"type": "boolean"},
            "limit": {"type": "integer", "minimum": 1},
            "offset": {"type": "integer", "minimum": 0},
            "after": {
                "type": "string",
                "description": "keyset paging: the records after the one with this id",
            },
            "fields": {
                "type": "array",
                "items": {"type": "string"},
                "description": "item names: only these items (and id)",
            },
        }
        return {
            "type": "object",
            "description": "every key optional; null counts as absent",
            "properties": {name: nullable(schema) for name, schema in properties.items()},
            "additionalProperties": False,
        }


class AggregateBody(Body):
    """An aggregate (contract §8): an object of `AGGREGATE_KEYS`, `metrics` required, `query`
    and `sort` strings or null. The groups, metrics, sort, reverse and limit are checked by
    records.aggregate against the app's items (its `BadQuery` is a 400)."""

    def check(self, value) -> dict:
        self.object_of(value, AGGREGATE_KEYS, "an aggregate")
        if "metrics" not in value:
            raise ParseError('metrics is missing: an object such as {"total": "sum:amount"}')
        for key in ("query", "sort"):
            if value.get(key) is not None and not isinstance(value[key], str):
                raise ParseError(f"{key} must be a string, found {json_type(value[key])}")
        return value


class ShareBody(Body):
    """`{"principal", "permissions"}` (contract §5). Validated: (principal, permissions)."""

    def check(self, value) -> tuple[str, tuple[str, ...]]:
        return sharing.parse_share(value)

    @staticmethod
    def schema() -> dict:
        """The body's JSON Schema, for the app's description (api/openapi.py)."""
        return {
            "type": "object",
            "properties": {
                "principal": {
                    "type": "string",
                    "minLength": 1,
                    "description": "a user name, a user's e-mail or a group name",
                },
                "permissions": {
                    "type": "array",
                    "items": {"enum": list(SHARE_PERMISSIONS)},
                    "minItems": 1,
                },
            },
            "required": ["principal", "permissions"],
            "additionalProperties": False,
        }


class RestoreBody(Body):
    """`{"version": n}` (contract §9): n a positive JSON integer. Validated: `{"version": n}`."""

    def check(self, value) -> dict:
        if not isinstance(value, dict):
            raise ParseError(
                f'the body must be a JSON object {{"version": n}}, found {json_type(value)}'
            )
        if "version" not in value:
            raise ParseError('the body must name the version to restore: {"version": n}')
        self.keys_known(value, ("version",), "a restore")
        version = value["version"]
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ParseError(
                f"version must be a positive integer, found {json.dumps(version)[:40]}"
            )
        return {"version": version}

    @staticmethod
    def schema() -> dict:
        return {
            "type": "object",
            "properties": {"version": {"type": "integer", "minimum": 1}},
            "required": ["version"],
            "additionalProperties": False,
        }


class ParametersBody(Body):
    """An element call's parameters: a JSON object."""

    def check(self, value) -> dict:
        if not isinstance(value, dict):
            raise ParseError(
                f"the body must be a JSON object of parameters, found {json_type(value)}"
            )
        return value


def nullable(schema: dict) -> dict:
    """`schema` or null (a search key's null is its absence)."""
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], None]}
    return {**schema, "type": [schema["type"], "null"]}


def message_of(exc: Exception) -> str:
    return str(exc.detail) if isinstance(exc, ParseError) else exc.message


def client_items(app: AppSpec, value, record_id: str | None = None) -> tuple[dict, str | None]:
    """(items without `id`, the id the body names or None), or a 400 (see `RecordBody`)."""
    if not isinstance(value, dict):
        raise ParseError(f"a record must be a JSON object of items, found {json_type(value)}")
    for name in value:
        if name.startswith("_"):
            raise ParseError(f"item '{name}': item names starting with '_' are the server's")
    block = value.get("block")
    if "block" in value and not (isinstance(block, str) and block in app.blocks):
        # `block` is the server's stamp of the block a record is saved through: a client
        # may only name one of the app's (contract §7).
        shown = f"'{block[:60]}'" if isinstance(block, str) else json_type(block)
        raise ParseError(
            f"item 'block' must name a block of app '{app.id}' "
            f"({', '.join(sorted(app.blocks)) or 'it has none'}), found {shown}"
        )
    items = dict(value)
    store.check_owner_items(app, items)
    given = items.pop("id", None)
    if given is not None or "id" in value:
        selectors.check_record_id(given)
        if record_id is not None and given != record_id:
            raise ParseError(f"the body's id '{given}' is not the record's id '{record_id}'")
    return items, given


def item_names(names: list[str]) -> set[str]:
    return {name.strip() for name in names}


def body_fields(body: dict) -> set[str] | None:
    """A search body's `"fields": ["a", "b"]`, as `?fields=a,b`; None when absent or null
    (as `query` and `sort_index` take null)."""
    if body.get("fields") is None:
        return None
    fields = body["fields"]
    if not isinstance(fields, list):
        raise ParseError(f"fields must be a list of strings, found {json_type(fields)}")
    for name in fields:
        if not isinstance(name, str):
            raise ParseError(
                f"fields must be a list of strings, found a list holding {json_type(name)}"
            )
    return item_names(fields)
