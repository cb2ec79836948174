"""What the server does with every method and path of a description (api/openapi.py) that the
hand-written operations leave out (issue 22), generated from them and from the views' own list
of methods (`ApiView.allowed`):

- `HEAD` wherever `GET` is described: the same answers without their bodies (`<id>_head`);
- `405` with `Allow` for each method the route's view does not take, whoever asks
  (`<method>_<route>_405`): the view refuses it before anything else;
- each path again with a trailing slash (`<id>_slash`), as the server accepts it everywhere
  but on `openapi.json`.

The twins' operation ids end with `_head`, `_405` or `_slash` (`TWIN_ID`): a fuzzer that need not
try the same handler three times leaves them out (tests/api/test_fuzz.py).
"""

from __future__ import annotations

import re
from functools import cache

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
TWIN_ID = re.compile(r"(_head|_slash|_405)$")
JSON = "application/json"
ERROR = {"$ref": "#/components/schemas/Error"}


@cache
def views_by_route() -> dict[str, type]:
    """The view class of each route, by its path after `/<app>` (`/jobs/{job_id}`: absolute).
    Imported here, not at the top: api.discovery (a view) imports the description."""
    from . import block_views, data_views, discovery, views

    return {
        "": views.AppView,
        "/openapi.json": discovery.DescriptionView,
        "/records": views.RecordsView,
        "/record/{record_id}": views.RecordView,
        "/record/{record_id}/share": views.ShareView,
        "/record/{record_id}/history": views.HistoryView,
        "/record/{record_id}/restore": views.RestoreView,
        "/deleted": views.DeletedView,
        "/search": views.SearchView,
        "/aggregate": views.AggregateView,
        "/refresh": views.RefreshView,
        "/access": views.AccessView,
        "/import": data_views.ImportView,
        "/export": data_views.ExportView,
        "/blocks/{block}": block_views.BlockView,
        "/blocks/{block}/{element}": block_views.ElementView,
        "/jobs/{job_id}": data_views.JobView,
    }


def route_of(path: str, base: str) -> str:
    """The route key of a described path: `/blocks/order/title` -> `/blocks/{block}/{element}`."""
    if path.startswith("/jobs/"):
        return path
    rest = path[len(base) :]
    if rest.startswith("/blocks/"):
        return "/blocks/{block}/{element}" if rest.count("/") == 3 else "/blocks/{block}"
    return rest


def allowed_methods(path: str, base: str) -> list[str]:
    """The methods the view of `path` takes, as its 405's `Allow` lists them."""
    return views_by_route()[route_of(path, base)].allowed()


def with_twins(paths: dict, base: str) -> dict:
    """`paths` with HEAD, 405 and the trailing-slash twins added (the module's docstring)."""
    found: dict[str, dict] = {}
    for path, item in paths.items():
        item = with_methods(item, path, base)
        found[path] = item
        if not path.endswith(".json"):
            found[path + "/"] = slash_twin(item)
    return found


def without_twins(paths: dict) -> dict:
    """The hand-written operations of `paths` alone (what a reader of the code wrote)."""
    found = {}
    for path, item in paths.items():
        kept = {
            key: value
            for key, value in item.items()
            if key == "parameters" or not TWIN_ID.search(value["operationId"])
        }
        if not path.endswith("/") and set(kept) - {"parameters"}:
            found[path] = kept
    return found


def with_methods(item: dict, path: str, base: str) -> dict:
    item = dict(item)
    if "get" in item and "head" not in item:
        item["head"] = head_twin(item["get"])
    allowed = allowed_methods(path, base)
    refused = [m for m in METHODS if m not in item and m.upper() not in allowed]
    if refused:
        shared = {
            "tags": next(item[m]["tags"] for m in METHODS if m in item),
            "parameters": path_parameters(item),
            "slug": slug_of(path, base),
        }
        for method in refused:
            item[method] = not_allowed(method, allowed, **shared)
    return {key: item[key] for key in ("parameters", *METHODS) if key in item}


def head_twin(get: dict) -> dict:
    """GET's answers without bodies (a HEAD answer has none)."""
    return {
        **get,
        "operationId": f"{get['operationId']}_head",
        "summary": f"{get['summary']} (headers only)",
        "responses": {
            status: {key: value for key, value in response.items() if key != "content"}
            for status, response in get["responses"].items()
        },
    }


def allow_header(allowed: list[str]) -> dict:
    return {
        "Allow": {
            "description": "the methods the path takes",
            "required": True,
            "schema": {"const": ", ".join(allowed)},
        }
    }


def method_refused(method: str, allowed: list[str]) -> dict:
    """The 405 answer of `method` (without a body for HEAD)."""
    answer = {"description": "a method the path does not take", "headers": allow_header(allowed)}
    if method != "head":
        answer["content"] = {JSON: {"schema": ERROR}}
    return answer


def slug_of(path: str, base: str) -> str:
    """`/blocks/order/title` -> `blocks_order_title`; the app's own path -> `app`."""
    named = path if path.startswith("/jobs/") else path[len(base) :]
    slug = re.sub(r"[^A-Za-z0-9]+", "_", named.replace("{", "").replace("}", ""))
    return slug.strip("_") or "app"


def not_allowed(method: str, allowed: list[str], *, tags, parameters, slug: str) -> dict:
    found = {
        "summary": f"{method.upper()} is not taken here: 405",
        "x-needs": "nothing",
        "operationId": f"{method}_{slug}_405",
        "responses": {"405": method_refused(method, allowed)},
    }
    if parameters:
        found["parameters"] = parameters
    found["tags"] = tags
    return found


def path_parameters(item: dict) -> list:
    """The path's own parameters that its operations declare one by one (`/jobs/{job_id}`): a
    generated operation needs them too, unless the path item declares them for all."""
    if "parameters" in item:
        return []
    seen: dict[str, dict] = {}
    for method in METHODS:
        for parameter in item.get(method, {}).get("parameters", []):
            if parameter.get("in") == "path":
                seen.setdefault(parameter["name"], parameter)
    return list(seen.values())


def slash_twin(item: dict) -> dict:
    """The same operations (sharing their parts: a description is never changed once built)."""
    return {
        key: value
        if key == "parameters"
        else {**value, "operationId": f"{value['operationId']}_slash"}
        for key, value in item.items()
    }
