"""`GET /health/`: is this process able to serve? (contract §7, "Running it").

200 `{"status": "ok"}` once the database answered a query (and the cache kept a value, when
`REDIS_URL` makes it a shared server); else 503 `{"status": "unavailable", "failing": [...]}`
naming the parts that failed, whose errors go to the log (never to the caller).

It is a middleware, first in MIDDLEWARE, so that nothing else of the request (sessions, the
site folder, the groups that settings.yaml ensures) can fail the check or be what it measures,
and a load balancer may ask by IP address, whatever ALLOWED_HOSTS says.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse

logger = logging.getLogger("site_config.health")

PATH = "/health/"


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError("SELECT 1 did not answer 1")


def check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    try:
        if cache.get(key) != "ok":
            raise RuntimeError("the cache did not keep a value")
    finally:
        cache.delete(key)


def checks() -> dict[str, Callable[[], None]]:
    found = {"database": check_database}
    if settings.REDIS_URL:
        found["cache"] = check_cache
    return found


def failing_parts() -> list[str]:
    failing = []
    for name, check in checks().items():
        try:
            check()
        except Exception:  # noqa: BLE001 - any failure of a part is that part failing
            logger.warning("health check: the %s failed", name, exc_info=True)
            failing.append(name)
    return failing


def health_response() -> JsonResponse:
    failing = failing_parts()
    if failing:
        response = JsonResponse({"status": "unavailable", "failing": failing}, status=503)
    else:
        response = JsonResponse({"status": "ok"})
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == PATH and request.method in ("GET", "HEAD"):
            return health_response()
        return self.get_response(request)
