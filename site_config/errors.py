"""Django's error views, with JSON under `/api/` (contract §4: every answer is JSON there).

A request under `/api/` that no API view answered (no route, a 404 or 500 raised before or
outside the API's own handler) gets `{"error": ...}` from api/errors.py, which owns
that shape; other paths get Django's pages. A database that is locked past its busy timeout
or out of reach (`OperationalError`, `InterfaceError`), or a Redis cache out of reach, is a 503
with `Retry-After`, whatever raised it (a middleware loading the session, a page, allauth
counting a login): the client may try again.
"""

from __future__ import annotations

import sys

import redis
from django.http import HttpResponse
from django.template import loader
from django.urls import Resolver404
from django.views import defaults

from api.errors import (
    DATABASE_UNAVAILABLE,
    RETRY_AFTER_UNAVAILABLE,
    UNAVAILABLE,
    error_response,
)

CACHE_UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def is_api(request) -> bool:
    return request.path_info == "/api" or request.path_info.startswith("/api/")


def bad_request(request, exception):
    if is_api(request):
        return error_response(400, "bad request")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api(request):
        return error_response(403, str(exception) or "forbidden")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if is_api(request):
        if isinstance(exception, Resolver404):
            return error_response(404, f"no API route {request.path}")
        return error_response(404, "not found")
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Called while the exception is being handled: `sys.exc_info()` holds it."""
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_UNAVAILABLE):
        return unavailable(request, UNAVAILABLE)
    if isinstance(exception, CACHE_UNAVAILABLE):
        return unavailable(request, "the cache is unavailable; try again shortly")
    if is_api(request):
        return error_response(500, "internal server error")
    return defaults.server_error(request)


def unavailable(request, message: str) -> HttpResponse:
    retry_after = {"Retry-After": str(RETRY_AFTER_UNAVAILABLE)}
    if is_api(request):
        return error_response(503, message, retry_after)
    # A page of its own: base.html's context would ask the database again.
    response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = retry_after["Retry-After"]
    return response
