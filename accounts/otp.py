"""The second factor: django-otp TOTP devices and otp_static backup codes, the one source of truth.

Services for the views and the login stage: set up and confirm a TOTP device, make backup
codes, check a code (with a cache-based limit on wrong codes, per user and per client address
through the trusted proxies of accounts/network.py), remove the device. Each wrong code and
each refusal is written to the audit trail. Whether a principal must have a second factor is
asked of `site_model.acl` through `who_for`.
"""

from __future__ import annotations

import io
import logging
import time
from base64 import b32encode
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django.contrib.auth import BACKEND_SESSION_KEY
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from site_model.acl import names_any
from site_model.loader import current_site

from . import audit
from .identity import identity_for, who_for
from .network import client_address

logger = logging.getLogger("accounts")

BACKUP_CODE_COUNT = 10
DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"

# Wrong codes: at most MAX_WRONG_CODES per user, and MAX_WRONG_CODES_PER_ADDRESS per client
# address, within WRONG_CODE_WINDOW seconds.
MAX_WRONG_CODES = 5
MAX_WRONG_CODES_PER_ADDRESS = 20
WRONG_CODE_WINDOW = 300

# In English; CodeRefused carries them in the active language (English under the API).
ERRORS = {
    "wrong_code": gettext_noop(
        "That code is not right. Enter the 6-digit code from your app or an unused backup code."
    ),
    "too_many": gettext_noop("Too many wrong codes. Wait {wait} before you try again."),
    "no_device": gettext_noop("There is no second factor to check: set one up first."),
}


class CodeRefused(Exception):
    """A code was not accepted; `str(exc)` is the message for the user, `too_many` tells the
    limit's refusal (a 429 where a status is chosen) from a wrong code."""

    def __init__(self, message: str, *, too_many: bool = False):
        super().__init__(message)
        self.too_many = too_many


@dataclass(frozen=True)
class Setup:
    device: TOTPDevice
    key: str  # base32, as authenticator apps take it when typed
    url: str  # otpauth:// URL shown as a QR code


def confirmed_totp(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def has_device(user) -> bool:
    """Has this user set up a second factor (a confirmed TOTP device)?"""
    if user is None or not user.is_authenticated:
        return False
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def must_have_device(user, required_for) -> bool:
    """Is this user one of the principals of `auth.otp.required_for`?"""
    return bool(required_for) and names_any(required_for, who_for(user))


def needs_second_factor(user) -> bool:
    """The user has, or must have, a second factor: HTTP Basic is refused for them.

    Has: a confirmed TOTP device (what the login asks a code for; backup codes alone are
    not one). Must have: named by settings.yaml `auth.otp.required_for`. Asked at the start
    of a request, as `must_set_up_device`: the device and the principals come from the one
    query of `identity_for`.
    """
    return identity_for(user).has_device or must_have_device(
        user, current_site().settings.otp_required_for
    )


def must_set_up_device(user) -> bool:
    """Named by `auth.otp.required_for` and without a confirmed device: nothing but the set-up
    is open to this user (the middleware for sessions, the API for tokens).

    Asked at the start of a request: the device is read with the user's groups in the one
    query of `identity_for`, not by a query of its own."""
    return not identity_for(user).has_device and must_have_device(
        user, current_site().settings.otp_required_for
    )


# The way the session signed in ("ldap", "certificate", ...), kept in the session by the code
# that signed it in; `auth.otp.trusted_methods` may let it stand for the second factor.
LOGIN_METHOD_SESSION_KEY = "accounts_login_method"


def record_login_method(request, method: str) -> None:
    """Remember in the session how it signed in (after `login()`, which makes a new session)."""
    request.session[LOGIN_METHOD_SESSION_KEY] = method


# The login method of a user that `authenticate()` returned, by the backend that vouched for it.
BACKEND_METHODS = {
    "accounts.ldap.SiteLDAPBackend": "ldap",
    "accounts.certificates.CertificateBackend": "certificate",
}


def login_method_of_user(user) -> str:
    return BACKEND_METHODS.get(getattr(user, "backend", "") or "", "")


def login_method_of(request) -> str:
    """How the request's session signed in, as recorded; "" when not recorded.

    A method that belongs to a backend counts only while the session is still that backend's
    (Django keeps it as `_auth_user_backend`): a later login of the same user by password,
    which keeps the session's data, does not inherit a trusted method.
    """
    session = getattr(request, "session", None)
    if session is None:
        return ""
    method = session.get(LOGIN_METHOD_SESSION_KEY, "")
    backends = [path for path, name in BACKEND_METHODS.items() if name == method]
    if backends and session.get(BACKEND_SESSION_KEY) not in backends:
        return ""
    return method


def forget_login_method(request) -> None:
    """The session signed in again by a way that records no method: it keeps none."""
    request.session.pop(LOGIN_METHOD_SESSION_KEY, None)


def login_method_trusted(method: str) -> bool:
    """Does settings.yaml `auth.otp.trusted_methods` let this way of signing in stand for the
    second factor? `login_method_trusted("certificate")` with `trusted_methods: [certificate]`."""
    return bool(method) and method in current_site().settings.otp_trusted_methods


def key_text(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode("ascii").rstrip("=")


def qr_svg(data: str) -> bytes:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def start_setup(user) -> Setup:
    """The user's unconfirmed TOTP device (made once, kept until confirmed or replaced)."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    # django-otp's URL, with the site's title as its issuer (OTP_TOTP_ISSUER in settings).
    return Setup(device=device, key=key_text(device), url=device.config_url)


def confirm_setup(user, code: str, *, request) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending device with a code from the app; returns it and new backup codes.

    Raises CodeRefused with the message to show.
    """
    client = client_address(request)
    reserve_attempt(user, client, request=request)
    with transaction.atomic():
        device = (
            TOTPDevice.objects.devices_for_user(user, confirmed=False)
            .select_for_update()
            .order_by("-id")
            .first()
        )
        if device is None:
            release_attempt(user, client)
            raise CodeRefused(_(ERRORS["no_device"]))
        accepted = device.verify_token(_clean(code))
        if accepted:
            TOTPDevice.objects.devices_for_user(user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = regenerate_backup_codes(user)
    if not accepted:
        # Outside the transaction, so the audit row stays.
        record_wrong_code(user, request, "set-up")
        raise CodeRefused(_(ERRORS["wrong_code"]))
    release_attempt(user, client)
    logger.info("second factor set up for user %s", user.get_username())
    return device, codes


def regenerate_backup_codes(user) -> list[str]:
    """Replace every backup code of the user with BACKUP_CODE_COUNT new single-use ones."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
        )
        StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def verify_code(user, code: str, *, request, step: str = "sign-in"):
    """The confirmed device (TOTP or backup codes) that accepts `code`; a backup code is used up.
    `step` names, in the audit trail, what a wrong code was given for ("sign-in", "step-up").

    Raises CodeRefused: no device, a wrong code, or too many wrong codes lately (counted per
    user, and per client address as `accounts.network.client_address(request)` gives it).
    """
    client = client_address(request)
    reserve_attempt(user, client, request=request)
    code = _clean(code)
    with transaction.atomic():
        devices = list(devices_for_user(user, confirmed=True, for_verify=True))
        if not any(isinstance(device, TOTPDevice) for device in devices):
            release_attempt(user, client)
            raise CodeRefused(_(ERRORS["no_device"]))
        for device in devices:
            if device.verify_token(code):
                release_attempt(user, client)
                return device
    record_wrong_code(user, request, step)
    raise CodeRefused(_(ERRORS["wrong_code"]))


def remove_device(user, code: str, *, request) -> None:
    """Remove the user's second factor (TOTP and backup codes) after checking a code."""
    verify_code(user, code, request=request)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
    logger.info("second factor removed by user %s", user.get_username())


def _clean(code: str) -> str:
    return "".join((code or "").split()).lower()


# --- wrong codes -----------------------------------------------------------------------------
#
# Each code to check first reserves an attempt, per user and per client address, with the
# cache's atomic add + incr (LocMem and Redis keep the expiry on incr): requests sent in
# parallel each take one, so no more than the limit are ever checked within a window. A right
# code (or nothing to check) gives its attempt back; a wrong one keeps it. The window starts at
# the first attempt and lasts WRONG_CODE_WINDOW seconds.


def _now() -> float:
    return time.time()


def _keys(user, client: str) -> tuple[str, str]:
    return f"accounts:otp-wrong:user:{user.pk}", f"accounts:otp-wrong:addr:{client}"


def _take(key: str, limit: int, now: float) -> float | None:
    """Take one attempt under `key`: None when within `limit`, else when the window started."""
    since_key = f"{key}:since"
    since = cache.get(since_key)
    if since is not None and now - since >= WRONG_CODE_WINDOW:
        # Over by our clock while the cache still holds it: a new window.
        cache.delete_many([key, since_key])
    cache.add(since_key, now, WRONG_CODE_WINDOW)
    cache.add(key, 0, WRONG_CODE_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 0, WRONG_CODE_WINDOW)
        count = cache.incr(key)
    if count <= limit:
        return None
    return cache.get(since_key, now)


def _give_back(key: str) -> None:
    try:
        cache.decr(key)
    except ValueError:  # expired meanwhile: nothing to give back
        pass


def reserve_attempt(user, client: str, *, request=None) -> None:
    """Take an attempt for the user and for the client address, before a code is checked.

    Raises CodeRefused while either has had its limit of attempts in the window (written to
    the audit trail with `request`'s address).
    """
    now = _now()
    user_key, addr_key = _keys(user, client)
    started = _take(user_key, MAX_WRONG_CODES, now)
    if started is None:
        started = _take(addr_key, MAX_WRONG_CODES_PER_ADDRESS, now)
        if started is not None:
            _give_back(user_key)
    if started is not None:
        logger.warning(
            "second-factor code refused for user %s from %s: too many wrong codes",
            user.get_username(),
            client,
        )
        audit.record(
            audit.Kind.SECOND_FACTOR_FAILED,
            request=request,
            user=user,
            detail="refused: too many wrong codes",
        )
        wait = int(WRONG_CODE_WINDOW - (now - started)) + 1
        raise CodeRefused(_(ERRORS["too_many"]).format(wait=_minutes(wait)), too_many=True)


def release_attempt(user, client: str) -> None:
    """The code was right (or there was none to check): its attempt does not count.

    A right code also clears the user's wrong codes, as a successful login does.
    """
    user_key, addr_key = _keys(user, client)
    cache.delete_many([user_key, f"{user_key}:since"])
    _give_back(addr_key)


def record_wrong_code(user, request, step: str) -> None:
    """The reserved attempt stays taken; only the log and the audit trail are written here."""
    logger.warning(
        "wrong second-factor code (%s) for user %s from %s",
        step,
        user.get_username(),
        client_address(request),
    )
    audit.record(
        audit.Kind.SECOND_FACTOR_FAILED, request=request, user=user, detail=f"wrong code ({step})"
    )


def _minutes(seconds: int) -> str:
    if seconds <= 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = -(-seconds // 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
