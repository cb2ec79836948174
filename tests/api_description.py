"""Every request the API tests make, and its answer, checked against the OpenAPI description
the caller would get from `GET /api/v1/<app>/openapi.json` (issue 22), with openapi-core.

conftest.py's `api_described` puts `check` behind every test client of the API tests
(api/tests, tests/api). Both ways:
- a request the description does not offer this caller (no such path or method for them) must
  be refused (4xx): a 2xx or 3xx means the server does what the description hides;
- a request the description calls invalid must be refused too (4xx): the server must not take
  what its description says it refuses;
- every answer to a described operation must be one of its answers: status, headers, body.

The description is the one of the app in the path, as the caller (the user the request was
authenticated as) would get it at that moment; `/api/v1/jobs/<id>` belongs to no app: it is
described in each description of an app whose author the caller is, so the job's own app's
(or, for a job the caller cannot see, the first such app's) is used. Paths of no app (the
index, `site-schema`, an unknown app) are described nowhere and not checked.

A streamed answer (an export) is read here and handed back to the test as a new stream.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from functools import lru_cache

from django.utils.encoding import force_bytes
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.exceptions import OpenAPIError
from openapi_core.templating.paths.exceptions import PathError
from werkzeug.datastructures import Headers, ImmutableMultiDict

API = "/api/v1/"
JSON = "application/json"


class DescriptionMismatch(AssertionError):
    """A request or answer of the API disagrees with the caller's description."""


class ClientRequest:
    """openapi-core's view of a request the test client sent (its `Request` protocol)."""

    def __init__(self, wsgi_request, body: bytes):
        self.host_url = (
            f"{wsgi_request.scheme}://{wsgi_request.META.get('HTTP_HOST', 'testserver')}"
        )
        self.path = wsgi_request.path
        self.method = wsgi_request.method.lower()
        self.body = body
        self.content_type = wsgi_request.META.get("CONTENT_TYPE", "")
        query = [(name, value) for name, values in wsgi_request.GET.lists() for value in values]
        self.parameters = RequestParameters(
            path={},
            query=ImmutableMultiDict(query),
            header=Headers(list(wsgi_request.headers.items())),
            cookie=ImmutableMultiDict(wsgi_request.COOKIES),
        )


class ClientResponse:
    """openapi-core's view of the test client's answer (its `Response` protocol)."""

    def __init__(self, response):
        self.status_code = response.status_code
        self.headers = Headers(list(response.headers.items()))
        self.content_type = response.get("Content-Type", "")
        self.data = as_described(read_body(response), self.content_type)


def read_body(response) -> bytes:
    if not response.streaming:
        return response.content
    content = b"".join(response.streaming_content)
    response.streaming_content = [content]  # the test reads it again
    return content


def as_described(data: bytes, content_type: str):
    """openapi-core reads JSON itself; any other body is given as the string the description's
    `type: string` means: text in its charset, a binary file one character per byte."""
    if content_type.startswith(JSON):
        return data
    if content_type.startswith("text/"):
        charset = content_type.partition("charset=")[2] or "utf-8"
        return data.decode(charset)
    return data.decode("latin-1")


@lru_cache(maxsize=64)
def compiled(text: str) -> OpenAPI:
    # The description's own validity is api/tests/test_openapi.py's (openapi-spec-validator).
    return OpenAPI.from_dict(json.loads(text), config=Config(spec_validator_cls=None))


def description_of(wsgi_request) -> OpenAPI | None:
    """The description the caller of `wsgi_request` would get for the app of its path, if any."""
    from api import discovery
    from site_model.loader import current_site

    if not wsgi_request.path.startswith(API):
        return None
    first = wsgi_request.path[len(API) :].split("/", 1)[0]
    user = getattr(wsgi_request, "user", None)
    apps = current_site().apps
    app = jobs_app(wsgi_request.path, user, apps) if first == "jobs" else apps.get(first)
    if app is None:
        return None
    found = discovery.description(app, user, discovery.server_url(wsgi_request))
    return compiled(json.dumps(found, sort_keys=True))


def jobs_app(path: str, user, apps: dict):
    from records import access as gate
    from records.models import Job

    job_id = path[len(API + "jobs/") :].strip("/")
    job = Job.objects.filter(pk=job_id).only("app_id").first() if job_id.isalnum() else None
    if job is not None and job.app_id in apps:
        return apps[job.app_id]
    for _, app in sorted(apps.items()):
        if gate.access_to(app, user).has_right("author"):
            return app
    return None


def check(response, body) -> None:
    """Raise DescriptionMismatch where the request or `response` disagrees with the caller's
    description (the module's docstring); `body`: what the client sent, as sent."""
    wsgi_request = response.wsgi_request
    description = description_of(wsgi_request)
    if description is None:
        return
    request = ClientRequest(wsgi_request, force_bytes(body or b""))
    said = f"{request.method.upper()} {wsgi_request.get_full_path()} -> {response.status_code}"
    refused = response.status_code >= 400
    try:
        with any_number_of_digits():
            description.validate_request(request)
    except PathError as problem:
        if not refused:
            raise DescriptionMismatch(
                f"{said}: served, but not described for this caller ({problem})"
            ) from None
        return
    except Exception as problem:  # noqa: BLE001 - any failure to read the request: invalid
        if not refused:
            raise DescriptionMismatch(
                f"{said}: served, but invalid by its description: {details(problem)}"
            ) from None
    try:
        description.validate_response(request, ClientResponse(response))
    except OpenAPIError as problem:
        raise DescriptionMismatch(
            f"{said}: the answer does not match its description: {details(problem)}\n"
            f"{response.headers!r}\n{ClientResponse(response).data[:500]!r}"
        ) from None


@contextmanager
def any_number_of_digits():
    """openapi-core reads an integer parameter with `int()`, which Python limits to 4,300
    digits; the server reads `?offset=<5,000 digits>` as a (huge) whole number."""
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(limit)


def details(problem: Exception) -> str:
    cause = problem.__cause__ or problem.__context__
    errors = getattr(cause, "schema_errors", None) or getattr(problem, "schema_errors", None)
    if errors:
        return f"{problem}: " + "; ".join(
            f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in errors
        )
    return f"{problem} ({cause!r})" if cause else str(problem)
