"""API errors: one class hierarchy, one handler, and the one place the error shape is built.

Views `raise NotFound(f"no block '{bid}' in app '{app.id}'")`; services raise the domain errors
of records/errors.py, which `api_error()` maps to these (a refusal of the access gate through
`deny()`); `api.views.endpoint` turns either into `{"error": "<message>"}` with its
status. Anything a client sends that is wrong is a 4xx; a 500 is our bug.
"""

from __future__ import annotations

from django.db.utils import InterfaceError, OperationalError
from django.http import JsonResponse

from records.errors import (
    Denied,
    InvalidInput,
    OwnerItemLocked,
    RecordError,
    RecordExists,
    RecordNotFound,
    StaleRecord,
)
from site_model.acl import Verdict

# A locked SQLite file past its busy timeout, a PostgreSQL server restarting or out of reach:
# the client may retry (ServiceUnavailable).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)

WWW_AUTHENTICATE = 'Basic realm="api", Bearer realm="api"'


class ApiError(Exception):
    status = 400

    def __init__(self, message: str, *, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401

    def __init__(self, message: str = "authentication required"):
        super().__init__(message, headers={"WWW-Authenticate": WWW_AUTHENTICATE})


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class MethodNotAllowed(ApiError):
    status = 405

    def __init__(self, method: str, allowed: list[str]):
        super().__init__(
            f"method {method} not allowed here; allowed: {', '.join(allowed)}",
            headers={"Allow": ", ".join(allowed)},
        )


class Conflict(ApiError):
    status = 409


class PreconditionFailed(ApiError):
    status = 412


class PayloadTooLarge(ApiError):
    status = 413


class TooManyRequests(ApiError):
    """A limit is used up (failed passwords): the client waits `retry_after` seconds."""

    status = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class ServiceUnavailable(ApiError):
    """The database is locked past its busy timeout, or unreachable: the client may retry."""

    status = 503
    retry_after = 2  # seconds

    def __init__(self, message: str = "the database is busy or unavailable; try again shortly"):
        super().__init__(message, headers={"Retry-After": str(self.retry_after)})


class ServerError(ApiError):
    status = 500


class BlockFailed(ApiError):
    """Site code (a block's .py) failed: not the client's fault, so a 500, but still JSON."""

    status = 500


def error_response(exc: ApiError) -> JsonResponse:
    response = JsonResponse({"error": exc.message}, status=exc.status)
    for name, value in exc.headers.items():
        response[name] = value
    return response


def deny(denied: Denied) -> ApiError:
    """The one place the API turns a refusal of the permission core into an error: LOGIN is
    a 401 (with `WWW-Authenticate`), FORBID a 403, HIDE a 404; the message is the gate's."""
    if denied.verdict is Verdict.LOGIN:
        return Unauthorized(denied.message)
    if denied.verdict is Verdict.FORBID:
        return Forbidden(denied.message)
    return NotFound(denied.message)


# domain error (records/errors.py) -> the API's error of the same meaning
DOMAIN_ERRORS: dict[type[RecordError], type[ApiError]] = {
    InvalidInput: BadRequest,
    OwnerItemLocked: Forbidden,
    RecordNotFound: NotFound,
    RecordExists: Conflict,
    StaleRecord: PreconditionFailed,
}


def api_error(exc: ApiError | RecordError) -> ApiError:
    """The API's error for `exc`: an `ApiError` as it is, a domain error mapped (same message)."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, Denied):
        return deny(exc)
    for kind, error in DOMAIN_ERRORS.items():
        if isinstance(exc, kind):
            return error(exc.message)
    raise TypeError(f"no API error for {type(exc).__name__}") from exc  # our bug
