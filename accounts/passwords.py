"""The one password check: the login form and HTTP Basic count failures against the same limits.

The limits are allauth's `login_failed` rate limits (`ACCOUNT_RATE_LIMITS` in settings: per
account and per client address), kept in the cache, so every process that shares the cache
(Redis, `REDIS_URL`) shares them. A check first takes an attempt; a right password gives it
back, a wrong one keeps it, so within the window an account (or an address) that has used up
its attempts is refused before its password is looked at: the right one included.

- The login form reaches this module through `AccountAdapter` (`pre_authenticate`,
  `authentication_failed`, `_get_login_attempts_cache_key`, `get_client_ip`).
- HTTP Basic (records/api/auth.py) calls `check_basic`.
- The per-account key names the account, never the Host header: allauth's own key starts
  with the current site's domain, which without the sites framework is the request's host
  and port, so each new port would have started a new count.
- The address is `accounts.network.client_address`: the trusted proxy chain, else
  `REMOTE_ADDR`.

Each failure and each refusal is logged and written to the audit trail (accounts.audit).

allauth's public `allauth.core.ratelimit` cannot count GET requests (its `consume` skips
them, and Basic answers GETs) nor tell how long a refusal lasts, so this module, and only
this module, uses `allauth.core.internal.ratelimit` (checked against django-allauth 65.21,
pinned in requirements.txt; accounts/tests/test_password_limit.py fails if it changes).
"""

from __future__ import annotations

import logging
import math
import time
import unicodedata

from allauth.account.auth_backends import AuthenticationBackend
from allauth.account.utils import filter_users_by_email
from allauth.core.internal import ratelimit
from django.contrib.auth import authenticate, get_user_model
from django.core.cache import cache
from django.db.models import Q

from . import audit, otp
from .network import client_address

logger = logging.getLogger("accounts")

APP = "allauth.account"
ACTION = "login_failed"


class PasswordRefused(Exception):
    """Wrong credentials, or HTTP Basic for a user who has or must have a second factor.

    One exception for both, so that the caller gives one answer whatever the password was.
    """


class TooManyFailures(Exception):
    """The account or the address has used up its attempts; `retry_after` seconds to wait."""

    def __init__(self, retry_after: int):
        super().__init__(f"too many failed password checks; retry after {retry_after} s")
        self.retry_after = retry_after


def login_of(credentials: dict) -> str:
    """The name typed at login, as allauth passes it: `email` or `username`."""
    return credentials.get("email") or credentials.get("username") or ""


def find_account(login: str):
    """The user a login names (user name in any case, or e-mail address), or None."""
    login = login.strip()
    if not login:
        return None
    User = get_user_model()
    field = User.USERNAME_FIELD
    normalised = unicodedata.normalize("NFKC", login)
    by_name = (
        User.objects.filter(Q(**{field: login}) | Q(**{f"{field}__iexact": normalised}))
        .order_by("pk")
        .first()
    )
    if "@" not in login:
        return by_name
    by_email = sorted(filter_users_by_email(login), key=lambda user: user.pk)
    # allauth's backend tries the e-mail address first, then the user name.
    return by_email[0] if by_email else by_name


def account_key(login: str) -> str:
    """The key of the per-account limit: `user:<pk>`, or the folded login for no account.

    Every way of naming one account (user name in any case, e-mail address) shares one key,
    and nothing of the request (host, port) is part of it:
    `account_key("Tom") == account_key("tom@example.com") == "user:7"`.
    """
    return _key(find_account(login), login)


def _key(account, login: str) -> str:
    if account is not None:
        return f"user:{account.pk}"
    return "login:" + unicodedata.normalize("NFKC", login.strip()).casefold()


def reserve(request, key: str) -> ratelimit.RateLimitUsage | None:
    """Take one attempt for the account `key` and for the address; None when either is used up."""
    return ratelimit.consume(request, app=APP, action=ACTION, key=key, limit_get=True)


def retry_after(request, key: str) -> int:
    """Seconds until the account `key` and the address may try again (at least 1)."""
    now = time.time()
    wait = 0.0
    for rate in ratelimit.get_rates(app=APP, action=ACTION):
        cache_key = ratelimit.get_cache_key(request, app=APP, action=ACTION, rate=rate, key=key)
        _, history = ratelimit.apply_rate(list(cache.get(cache_key, [])), now, rate, dry_run=True)
        if len(history) >= rate.amount:
            # Newest first: a slot frees when the oldest attempt that still counts expires.
            wait = max(wait, history[rate.amount - 1] + rate.duration - now)
    return max(1, math.ceil(wait))


def record_failure(request, login: str, *, kind: audit.Kind, detail: str = "") -> None:
    """A password check failed: the audit trail (which logs it too)."""
    audit.record(kind, request=request, username=login, detail=detail)


def record_refusal(request, login: str, *, kind: audit.Kind) -> None:
    """A check was refused before the password was looked at: too many failures."""
    logger.warning(
        "password check refused for %r from %s: too many failed attempts",
        login,
        client_address(request),
    )
    audit.record(kind, request=request, username=login, detail="too many failed attempts")


def check_basic(request, login: str, password: str):
    """The active user whose name and password these are, for HTTP Basic.

    Raises TooManyFailures while the account or the address has no attempt left, and
    PasswordRefused for wrong credentials and for a user who has or must have a second
    factor, right password or not. Such a user's attempt counts as a failure either way:
    had a right password given its attempt back, the count would tell it apart.
    """
    account = find_account(login)
    key = _key(account, login)
    usage = reserve(request, key)
    if usage is None:
        record_refusal(request, login, kind=audit.Kind.BASIC_REFUSED)
        raise TooManyFailures(retry_after(request, key))
    # The password is checked (and hashed) for everyone, so the time taken tells nothing either.
    user = authenticate(request, username=login, password=password)
    # allauth's backend may stash a user with a right password but inactive; nothing here wants it.
    AuthenticationBackend.unstash_authenticated_user()
    if any(found is not None and otp.needs_second_factor(found) for found in (account, user)):
        right = "right" if user is not None else "wrong"
        record_failure(
            request,
            login,
            kind=audit.Kind.BASIC_FAILED,
            detail=f"HTTP Basic for a user with a second factor (the password was {right})",
        )
        raise PasswordRefused
    if user is None or not user.is_active:
        record_failure(
            request, login, kind=audit.Kind.BASIC_FAILED, detail="wrong user name or password"
        )
        raise PasswordRefused
    usage.rollback()
    return user
