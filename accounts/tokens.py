"""Personal API tokens: services for the account page, the management commands and the API.

A token is `sbt_` + 43 random URL-safe characters, shown once when it is made. Only its
SHA-256 is stored and looked up (a token is random and long, so a fast hash is enough and
the password hasher would cost ~0.2 s per request). Revoking deletes the row. Making and
revoking a token are written to the audit trail (accounts.audit), with the token's prefix.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from . import audit
from .identity import token_user_with_identity
from .models import ApiToken

TOKEN_PREFIX = "sbt_"  # noqa: S105 - a public marker that tells tokens apart, not a secret
# A write per request would cost more than the lookup: last_used is exact to a minute.
LAST_USED_PRECISION = timedelta(minutes=1)


PREFIX_LENGTH = 10


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def public_prefix(raw: str) -> str:
    """What may be shown or logged of a token: its first characters, as `ApiToken.prefix`."""
    return raw[:PREFIX_LENGTH] if raw.startswith(TOKEN_PREFIX) else ""


def create_token(user, name: str = "", *, request=None, via: str = "") -> tuple[ApiToken, str]:
    """A new token for `user`; returns (the stored row, the raw token to show once).

    For the audit trail: `request` (its address) when made over the web, and `via`, how it
    was made (`"on the account page"`, `"by manage.py create_api_token"`).
    """
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], key_hash=hash_token(raw), prefix=public_prefix(raw)
    )
    audit.record(
        audit.Kind.TOKEN_CREATED,
        request=request,
        user=user,
        target=f"token {token.prefix}",
        detail=" ".join(
            part for part in (f"named {token.name!r}" if token.name else "", via) if part
        ),
    )
    return token, raw


def _revoke(user, tokens: QuerySet[ApiToken], request, via: str) -> int:
    revoked = list(tokens.values_list("pk", "prefix"))
    ApiToken.objects.filter(pk__in=[pk for pk, _ in revoked]).delete()
    for _, prefix in revoked:
        audit.record(
            audit.Kind.TOKEN_REVOKED,
            request=request,
            user=user,
            target=f"token {prefix}",
            detail=via,
        )
    return len(revoked)


def list_tokens(user) -> QuerySet[ApiToken]:
    """The user's tokens, newest first (never the raw tokens: they are not stored)."""
    return ApiToken.objects.filter(user=user)


def revoke_token(user, token_id, *, request=None, via: str = "") -> bool:
    """Revoke one of `user`'s tokens; False when it is not theirs or does not exist."""
    try:
        token_id = int(token_id)
    except (TypeError, ValueError):
        return False
    return bool(_revoke(user, ApiToken.objects.filter(user=user, pk=token_id), request, via))


def revoke_all(user, *, request=None, via: str = "") -> int:
    """Revoke every token of `user`; returns how many there were."""
    return _revoke(user, ApiToken.objects.filter(user=user), request, via)


def user_for_token(raw: str):
    """The active user holding this token, or None. Records when the token was last used."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    now = timezone.now()
    # One query: the token, its user and what identity_for needs of them.
    found = token_user_with_identity(hash_token(raw), now - LAST_USED_PRECISION)
    if found is None:
        return None
    user, token_id, stale = found
    if not user.is_active:
        return None
    if stale:
        ApiToken.objects.filter(pk=token_id).update(last_used=now)
    return user
