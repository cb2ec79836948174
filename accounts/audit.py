"""Write one security event: `audit.record(Kind.X, request=..., username=..., target=...)`.

Every event is also logged on the `accounts.audit` logger, so a site without database access
(or a failure to write the row) still leaves a trace. Writing the row never breaks the request
that triggered it: a refusal must still be answered when the database refuses the insert.

A flood of refusals does not fill the table: at most `SECURITY_EVENTS_PER_MINUTE` rows a
minute of one kind from one source are written, the rest are counted in the cache (the one
the login limits use), and the next event of that kind and source in a later minute first
writes one row saying how many were left out (`suppressed`). With the cache out of reach every
event is written: an outage neither hides events nor turns a refusal into an error.

Old rows go with `manage.py prune_security_events` (`prune`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.utils import timezone

from .models import SecurityEvent
from .network import client_address, client_block

Kind = SecurityEvent.Kind
logger = logging.getLogger("accounts.audit")

_LIMITS = {
    field: SecurityEvent._meta.get_field(field).max_length for field in ("username", "target")
}

# The refusals: anyone may provoke them as often as they like, so they are capped (per user,
# else per address: `_source`). A change of access (a token made or revoked, a share granted or
# revoked) never is: it is a signed-in user's own act, under their name, and one hidden among
# decoys is what the trail is kept for. So a user may still flood those, each row naming them.
CAPPED = frozenset(
    {
        Kind.LOGIN_FAILED,
        Kind.LOGIN_REFUSED,
        Kind.SECOND_FACTOR_FAILED,
        Kind.BASIC_FAILED,
        Kind.BASIC_REFUSED,
        Kind.TOKEN_REFUSED,
        Kind.ACCESS_REFUSED,
        Kind.NAME_REFUSED,
        Kind.LINK_REFUSED,
        Kind.PREVIEW_REFUSED,
    }
)
MINUTE = 60
# How long the count of a flood waits in the cache for the next event of its kind and source.
FLOOD_KEPT = 7 * 24 * 3600
CACHE_FAILED = (redis.exceptions.RedisError, ValueError)


def _clip(value: str, field: str) -> str:
    limit = _LIMITS[field]
    return value if len(value) <= limit else value[: limit - 1] + "…"


def record(
    kind: Kind,
    *,
    request=None,
    user=None,
    username: str = "",
    target: str = "",
    status: int | None = None,
    detail: str = "",
) -> None:
    user = _acting(user, request)
    if not username and user is not None:
        username = user.get_username()
    address = client_address(request) if request is not None else ""
    logger.info(
        "%s: %s from %s%s%s%s",
        kind.value,
        username or "anonymous",
        address or "-",
        f" on {target}" if target else "",
        f" ({status})" if status else "",
        f": {detail}" if detail else "",
    )
    if not _within_cap(kind, user, address):
        return
    _write(
        kind=kind,
        user=user,
        username=_clip(username, "username"),
        address=address,
        target=_clip(target, "target"),
        status=status,
        detail=detail,
    )


def _acting(user, request):
    """The user the event is about: the one given, else the request's; None if anonymous."""
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if user is None and request is not None:
        acting = getattr(request, "user", None)
        user = acting if acting is not None and acting.is_authenticated else None
    return user


def _write(**fields) -> None:
    try:
        with transaction.atomic():
            SecurityEvent.objects.create(**fields)
    except DatabaseError:
        logger.exception("could not write the security event %s", fields["kind"].value)


def _source(kind: Kind, user, address: str) -> str | None:
    """Whom the cap counts the event against; None when it is not capped.

    A user's events count against the user, never the address: a flood from an address they
    share (an office's NAT, a proxy missing from TRUSTED_PROXIES) cannot hide them, and a user
    who floods is capped from any address. An event without a request (a command run on the
    server) is not capped.
    """
    if kind not in CAPPED or settings.SECURITY_EVENTS_PER_MINUTE <= 0:
        return None
    if user is not None:
        return f"user:{user.pk}"
    return f"address:{client_block(address)}" if address else None


def _within_cap(kind: Kind, user, address: str) -> bool:
    """Count the event; False when its source is over the cap this minute.

    The first event of a minute first writes the count of its source's last flood, if any.
    """
    source = _source(kind, user, address)
    if source is None:
        return True
    key = f"accounts:audit:{kind.value}:{source}"
    try:
        minute = int(timezone.now().timestamp()) // MINUTE
        count = _count(f"{key}:{minute}")
        flood = _take_flood(key) if count == 1 else None
        if count == settings.SECURITY_EVENTS_PER_MINUTE + 1:
            _keep_flood(key, minute)
    except CACHE_FAILED:
        logger.warning("the cache is unavailable: %s written uncapped", kind.value, exc_info=True)
        return True
    if flood is not None:
        _write_flood(kind, user, address, *flood)
    return count <= settings.SECURITY_EVENTS_PER_MINUTE


def _count(key: str) -> int:
    # Kept for two minutes, so it cannot expire between the two calls.
    cache.add(key, 0, timeout=2 * MINUTE)
    return cache.incr(key)


def _keep_flood(key: str, minute: int) -> None:
    """The minute's count outlives it, and the source's flood names the minute."""
    cache.touch(f"{key}:{minute}", FLOOD_KEPT)
    cache.set(f"{key}:flood", minute, FLOOD_KEPT)


def _take_flood(key: str) -> tuple[int, int] | None:
    """(the minute of the source's last flood, how many were not written); forgotten then."""
    minute = cache.get(f"{key}:flood")
    if minute is None:
        return None
    count = cache.get(f"{key}:{minute}")
    cache.delete_many([f"{key}:flood", f"{key}:{minute}"])
    cap = settings.SECURITY_EVENTS_PER_MINUTE
    return (minute, count - cap) if count is not None and count > cap else None


def _write_flood(kind: Kind, user, address: str, minute: int, suppressed: int) -> None:
    username = user.get_username() if user is not None else ""
    source = f"user {username}" if user is not None else client_block(address)
    start = timezone.localtime(datetime.fromtimestamp(minute * MINUTE, tz=UTC))
    cap = settings.SECURITY_EVENTS_PER_MINUTE
    _write(
        kind=kind,
        user=user,
        username=_clip(username, "username"),
        address="" if user is not None else address,
        suppressed=suppressed,
        detail=f"{suppressed} more like it from {source} in the minute from "
        f"{start:%Y-%m-%d %H:%M} were not written (at most {cap} a minute are)",
    )


def prune(before: datetime, batch_size: int) -> Iterator[int]:
    """Delete the events written before `before`, oldest first, `batch_size` rows per
    statement (each its own transaction, so no lock is held long); yields each batch's count."""
    old = SecurityEvent.objects.filter(at__lt=before).order_by("at")
    while batch := list(old.values_list("pk", flat=True)[:batch_size]):
        deleted, _ = SecurityEvent.objects.filter(pk__in=batch).delete()
        yield deleted
