"""Write one security event: `audit.record(Kind.X, request=..., username=..., target=...)`.

Every event is also logged on the `accounts.audit` logger, so a site without database access
(or a failure to write the row) still leaves a trace. Writing the row never breaks the request
that triggered it: a refusal must still be answered when the database refuses the insert.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, transaction

from .models import SecurityEvent
from .network import client_address

Kind = SecurityEvent.Kind
logger = logging.getLogger("accounts.audit")

_LIMITS = {
    field: SecurityEvent._meta.get_field(field).max_length for field in ("username", "target")
}


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
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if user is None and request is not None:
        acting = getattr(request, "user", None)
        user = acting if acting is not None and acting.is_authenticated else None
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
    try:
        with transaction.atomic():
            SecurityEvent.objects.create(
                kind=kind,
                user=user,
                username=_clip(username, "username"),
                address=address,
                target=_clip(target, "target"),
                status=status,
                detail=detail,
            )
    except DatabaseError:
        logger.exception("could not write the security event %s", kind.value)
