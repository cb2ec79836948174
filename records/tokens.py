"""Personal API tokens: services for the account page, the management commands and the API.

A token is `sbt_` + 43 random URL-safe characters, shown once when it is made. Only its
SHA-256 is stored and looked up (a token is random and long, so a fast hash is enough and
the password hasher would cost ~0.2 s per request). Revoking deletes the row.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

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


def create_token(user, name: str = "") -> tuple[ApiToken, str]:
    """A new token for `user`; returns (the stored row, the raw token to show once)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], key_hash=hash_token(raw), prefix=public_prefix(raw)
    )
    return token, raw


def list_tokens(user) -> QuerySet[ApiToken]:
    """The user's tokens, newest first (never the raw tokens: they are not stored)."""
    return ApiToken.objects.filter(user=user)


def revoke_token(user, token_id) -> bool:
    """Revoke one of `user`'s tokens; False when it is not theirs or does not exist."""
    try:
        token_id = int(token_id)
    except (TypeError, ValueError):
        return False
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return bool(deleted)


def revoke_all(user) -> int:
    """Revoke every token of `user`; returns how many there were."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


def user_for_token(raw: str):
    """The active user holding this token, or None. Records when the token was last used."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used is None or now - token.last_used >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    return token.user
