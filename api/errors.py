"""The API's errors: one exception handler (Django REST framework's `EXCEPTION_HANDLER`) and
the one place the error shape, `{"error": "<message>"}`, is built.

Views raise DRF's exceptions (`ParseError` for a body or query of the wrong shape, `NotFound`
for an unknown block, element or route, `not_allowed()` for a 405) or let the domain errors of
the services (records/errors.py) through, a refusal of the access gate (`Denied`) among them;
`exception_handler` maps each to its status, and writes each refusal (401, 403, 404) to the
audit trail: no view has to remember to. Anything a client sends that is wrong is a 4xx; a 500
is our bug, or the site's block code failing (still JSON).
"""

from __future__ import annotations

import logging

from django.db.utils import InterfaceError, OperationalError
from django.http import JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response

from accounts import audit
from records.errors import (
    AppNotFound,
    Denied,
    FieldLocked,
    InvalidInput,
    OwnerItemLocked,
    RecordError,
    RecordExists,
    RecordNotFound,
    StaleRecord,
)
from site_model import code
from site_model.acl import Verdict

logger = logging.getLogger("api")

# A locked SQLite file past its busy timeout, a PostgreSQL server restarting or out of reach:
# the client may retry (503 with Retry-After).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
UNAVAILABLE = "the database is busy or unavailable; try again shortly"
RETRY_AFTER_UNAVAILABLE = 2  # seconds

WWW_AUTHENTICATE = 'Basic realm="api", Bearer realm="api"'
REFUSALS = frozenset({401, 403, 404})

# domain error (records/errors.py) -> the status of the same meaning
DOMAIN_STATUS: dict[type[RecordError], int] = {
    InvalidInput: 400,
    OwnerItemLocked: 403,
    FieldLocked: 403,
    RecordNotFound: 404,
    AppNotFound: 404,
    RecordExists: 409,
    StaleRecord: 412,
}
VERDICT_STATUS = {Verdict.LOGIN: 401, Verdict.FORBID: 403, Verdict.HIDE: 404}


class PayloadTooLarge(exceptions.APIException):
    status_code = 413


class StepUpRequired(exceptions.APIException):
    """401 to a session that must sign in again or give a second factor first (contract §11):
    the answer names where (`step_up` or `login`), beside the message."""

    status_code = 401

    def __init__(self, message: str, where: dict[str, str]):
        super().__init__(detail=message)
        self.where = where


def not_allowed(method: str, allowed: list[str]) -> exceptions.MethodNotAllowed:
    """405 naming the methods the path takes (also sent as `Allow`)."""
    error = exceptions.MethodNotAllowed(
        method, detail=f"method {method} not allowed here; allowed: {', '.join(allowed)}"
    )
    error.allowed = allowed
    return error


def too_many(message: str, retry_after: int) -> exceptions.Throttled:
    error = exceptions.Throttled(detail=message)
    error.wait = retry_after
    return error


def error_response(status: int, message: str, headers: dict | None = None) -> JsonResponse:
    """The error shape, for answers outside a DRF view (site_config/errors.py, `not_found`)."""
    response = JsonResponse({"error": message}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def answer_of(exc: Exception, app_id: str | None) -> tuple[int, str, dict] | None:
    """(status, message, headers) of `exc`; None for an exception that is our bug."""
    if isinstance(exc, Denied):
        status = VERDICT_STATUS[exc.verdict]
        return status, exc.message, challenge(status)
    if isinstance(exc, RecordError):
        for kind, status in DOMAIN_STATUS.items():
            if isinstance(exc, kind):
                return status, exc.message, {}
        return None
    if isinstance(exc, exceptions.APIException):
        headers = challenge(exc.status_code)
        if isinstance(exc, exceptions.MethodNotAllowed):
            headers["Allow"] = ", ".join(exc.allowed)
        if isinstance(exc, exceptions.Throttled):
            headers["Retry-After"] = str(exc.wait)
        return exc.status_code, str(exc.detail), headers
    if isinstance(exc, code.BlockCodeError):
        from site_model.loader import current_site

        app = current_site().apps.get(app_id or "")
        detail = f": {exc.problem}" if app is not None and app.debug else ""
        return 500, f"the site's block code failed{detail}", {}
    if isinstance(exc, DATABASE_UNAVAILABLE):
        return 503, UNAVAILABLE, {"Retry-After": str(RETRY_AFTER_UNAVAILABLE)}
    return None


def challenge(status: int) -> dict:
    return {"WWW-Authenticate": WWW_AUTHENTICATE} if status == 401 else {}


def is_refusal(exc: Exception, status: int) -> bool:
    """A refusal the audit trail records: every 401, 403 and 404 but a failed authentication
    (it records its own kind: `basic_failed`, `token_refused`; a failed CSRF check is part of
    it) and a 404 for a path that names
    no app or record (an unknown route, block or element: the site's structure, which the app's
    description shows anyway)."""
    if status not in REFUSALS:
        return False
    if isinstance(exc, exceptions.AuthenticationFailed | exceptions.PermissionDenied):
        return False  # DRF's own 403 is the CSRF check's, part of authentication

    return not isinstance(exc, exceptions.NotFound)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    request, kwargs = context["request"], context.get("kwargs") or {}
    answer = answer_of(exc, kwargs.get("app_id"))
    if answer is None:
        return None  # re-raised: Django's 500 (site_config/errors.py answers JSON)
    status, message, headers = answer
    if status == 503:
        logger.warning("%s %s: database unavailable", request.method, request.path, exc_info=exc)
    if is_refusal(exc, status):
        audit.record(
            audit.Kind.ACCESS_REFUSED,
            request=request._request,
            target=f"{kwargs.get('app_id', '')}/{kwargs.get('record_id', '*')}",
            status=status,
            detail=f"{request.method}: {message}",
        )
    body = {"error": message}
    if isinstance(exc, StepUpRequired):
        body.update(exc.where)
    return Response(body, status=status, headers=headers)
