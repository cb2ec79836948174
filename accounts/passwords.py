"""The one password check: the login form and HTTP Basic count failures against the same limits.

The limits are allauth's `login_failed` rate limits (`ACCOUNT_RATE_LIMITS` in settings: per
account and per client address), kept in the cache, which every process shares in production
(Redis with `REDIS_URL`, else the database's cache table: site_config/cache.py). A check first takes an attempt; a right password gives it
back, a wrong one keeps it, so within the window an account (or an address) that has used up
its attempts is refused before its password is looked at: the right one included.

- The login form reaches this module through `AccountAdapter` (`pre_authenticate`,
  `authenticate`, `authentication_failed`, `get_client_ip`), and a password reset clears
  the user's own count (`clear_after_reset`, allauth's `password_reset` signal).
- HTTP Basic (api/auth.py) calls `check_basic`.
- A check counts against every account the login could log in (`accounts_named`: the user
  name in any case or width, every holder of an e-mail address, verified or not), so no
  name of an account reaches it past its limit, and no user who adds someone's address to
  their own account draws the failures through it away from its holder. A right password
  is refused, too, while the account it authenticated has no attempt left.
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

from allauth.account.auth_backends import AuthenticationBackend
from allauth.account.models import EmailAddress
from allauth.core.internal import ratelimit
from django.contrib.auth import authenticate, get_user_model
from django.core.cache import cache
from django.utils.module_loading import import_string

from . import audit, names, otp
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


def accounts_named(login: str) -> list:
    """Every user a login could log in, by user name or e-mail address, lowest id first.

    Wider than what allauth's backend would try, never narrower: the user name in any case
    or width (NFKC, case-folded), and every user holding the address, as allauth has it
    (verified or not: its backend logs in by an unverified address when nobody has it
    verified) or in the user's `email` field.
    """
    login = login.strip()
    if not login:
        return []
    User = get_user_model()
    found = {
        user.pk: user
        for user in names.folded_rows(User._default_manager.all(), User.USERNAME_FIELD, login)
    }
    if "@" in login:
        for address in names.folded_rows(
            EmailAddress.objects.select_related("user"), "email", login
        ):
            found.setdefault(address.user.pk, address.user)
        email_field = User.get_email_field_name()
        for user in names.folded_rows(User._default_manager.all(), email_field, login):
            found.setdefault(user.pk, user)
    return [found[pk] for pk in sorted(found)]


def account_keys(login: str, accounts: list | None = None) -> list[str]:
    """The keys of the per-account limit that a check of `login` counts against.

    `user:<pk>` of every account the login could log in (`accounts_named`, unless given),
    or the folded login when it names nobody; nothing of the request (host, port) is part
    of them: `account_keys("Tom") == account_keys("tom@example.com") == ["user:7"]`. An
    address that two users hold names both: a failure through it counts against each.
    """
    if accounts is None:
        accounts = accounts_named(login)
    if accounts:
        return [user_key(user) for user in accounts]
    return ["login:" + names.fold(login.strip())]


def user_key(user) -> str:
    return f"user:{user.pk}"


def _configs() -> tuple[dict, dict]:
    """The `login_failed` rates (ACCOUNT_RATE_LIMITS), split: (per address, per account)."""
    rates = import_string(f"{APP}.app_settings.RATE_LIMITS").get(ACTION) or ""
    parts = [part.strip() for part in rates.split(",") if part.strip()]
    per_key = [part for part in parts if ratelimit.parse_rate(part).per == "key"]
    per_address = [part for part in parts if part not in per_key]
    return {ACTION: ",".join(per_address)}, {ACTION: ",".join(per_key)}


class Attempt:
    """One password check's share of the limits: one attempt of the address, one of each
    account it names (`keys`)."""

    def __init__(self, request, keys: list[str]):
        self.request = request
        self.keys: list[str] = []
        self.address: ratelimit.RateLimitUsage | None = None
        self.accounts: list[ratelimit.RateLimitUsage] = []
        self._wanted = list(keys)

    def _take(self, config: dict, key: str | None) -> ratelimit.RateLimitUsage | None:
        return ratelimit.consume(
            self.request, app=APP, action=ACTION, config=config, key=key, limit_get=True
        )

    def take(self) -> bool:
        """Take the address's attempt, then each account's; False when any is used up.

        A refused check keeps the address's attempt (it counts against the address, as
        allauth's does) and gives back the accounts' it took: it checked no password.
        """
        per_address, per_account = _configs()
        self.address = self._take(per_address, None)
        if self.address is None:
            return False
        return all(self.take_account(key, per_account) for key in self._wanted)

    def take_account(self, key: str, config: dict | None = None) -> bool:
        if key in self.keys:
            return True
        usage = self._take(config or _configs()[1], key)
        if usage is None:
            self.give_back(address=False)
            return False
        self.keys.append(key)
        self.accounts.append(usage)
        return True

    def give_back(self, *, address: bool = True) -> None:
        """A right password gives its attempts back (not the failures before it)."""
        for usage in [*self.accounts, *([self.address] if address and self.address else [])]:
            usage.rollback()
        self.accounts = []


def reserve(request, keys: list[str]) -> Attempt | None:
    """Take one attempt for the address and for every account key; None when any is used up."""
    attempt = Attempt(request, keys)
    return attempt if attempt.take() else None


def own_count_left(attempt: Attempt, user) -> bool:
    """Before a right password counts: has the user it authenticated an attempt left?

    The user is among the accounts the login named, unless a backend accepted a name the
    lookup does not tie to them; then their own count is taken too (and given back with
    the rest when it lets the check through).
    """
    return attempt.take_account(user_key(user))


def retry_after(request, keys: list[str]) -> int:
    """Seconds until the accounts `keys` and the address may all try again (at least 1)."""
    now = time.time()
    wait = 0.0
    for rate in ratelimit.get_rates(app=APP, action=ACTION):
        for key in keys if rate.per == "key" else [None]:
            cache_key = ratelimit.get_cache_key(request, app=APP, action=ACTION, rate=rate, key=key)
            _, history = ratelimit.apply_rate(
                list(cache.get(cache_key, [])), now, rate, dry_run=True
            )
            if len(history) >= rate.amount:
                # Newest first: a slot frees when the oldest attempt that still counts expires.
                wait = max(wait, history[rate.amount - 1] + rate.duration - now)
    return max(1, math.ceil(wait))


def clear_after_reset(sender, request, user, **kwargs) -> None:
    """allauth's `password_reset` signal: forget the failures counted against `user`.

    Only theirs: an address they hold that also logs in someone else (one of them added it
    unverified) leaves that other account's count as it is. Connected in accounts/apps.py.
    """
    per_account = _configs()[1]
    ratelimit.clear(request, app=APP, action=ACTION, config=per_account, key=user_key(user))


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
    accounts = accounts_named(login)
    keys = account_keys(login, accounts)
    attempt = reserve(request, keys)
    if attempt is None:
        record_refusal(request, login, kind=audit.Kind.BASIC_REFUSED)
        raise TooManyFailures(retry_after(request, keys))
    # The password is checked (and hashed) for everyone, so the time taken tells nothing either.
    user = authenticate(request, username=login, password=password)
    # allauth's backend may stash a user with a right password but inactive; nothing here wants it.
    AuthenticationBackend.unstash_authenticated_user()
    # Whose factor: the user the password is right for; with a wrong one, any account the
    # login names (the answer is the same either way, the audit trail tells them apart). Not
    # every holder of an address when the password is right: one who added someone else's
    # address would otherwise shut its holder out of Basic by it.
    named = [user] if user is not None else accounts
    if any(otp.needs_second_factor(found) for found in named):
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
    if not own_count_left(attempt, user):
        record_refusal(request, login, kind=audit.Kind.BASIC_REFUSED)
        raise TooManyFailures(retry_after(request, [*keys, user_key(user)]))
    attempt.give_back()
    return user
