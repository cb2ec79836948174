"""The second factor: django-otp TOTP devices and otp_static backup codes, the one source of truth.

Services for the views and the login stage: set up and confirm a TOTP device, make backup
codes, check a code (with a cache-based limit on wrong codes), remove the device. Whether a
principal must have a second factor is asked of `records.acl` through `who_for`.
"""

from __future__ import annotations

import io
import logging
import time
from base64 import b32encode
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from django.core.cache import cache
from django.db import transaction
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from records.acl import names_any

from .identity import who_for

logger = logging.getLogger("accounts")

BACKUP_CODE_COUNT = 10
DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"

# Wrong codes: at most MAX_WRONG_CODES per user, and MAX_WRONG_CODES_PER_ADDRESS per client
# address, within WRONG_CODE_WINDOW seconds.
MAX_WRONG_CODES = 5
MAX_WRONG_CODES_PER_ADDRESS = 20
WRONG_CODE_WINDOW = 300

ERRORS = {
    "wrong_code": "That code is not right. Enter the 6-digit code from your app or an unused backup code.",
    "too_many": "Too many wrong codes. Wait {wait} before you try again.",
    "no_device": "There is no second factor to check: set one up first.",
}


class CodeRefused(Exception):
    """A code was not accepted; `str(exc)` is the message for the user."""


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


def needs_second_factor(user, required_for) -> bool:
    """The user has, or must have, a second factor (HTTP Basic is refused for them)."""
    return has_device(user) or must_have_device(user, required_for)


def key_text(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode("ascii").rstrip("=")


def otpauth_url(device: TOTPDevice, issuer: str) -> str:
    issuer = issuer.replace(":", "")
    label = f"{issuer}:{device.user.get_username()}"
    params = urlencode(
        {
            "secret": key_text(device),
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
        }
    )
    return f"otpauth://totp/{quote(label)}?{params}&issuer={quote(issuer)}"


def qr_svg(data: str) -> bytes:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def start_setup(user, *, issuer: str) -> Setup:
    """The user's unconfirmed TOTP device (made once, kept until confirmed or replaced)."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return Setup(device=device, key=key_text(device), url=otpauth_url(device, issuer))


def confirm_setup(user, code: str, *, client: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending device with a code from the app; returns it and new backup codes.

    Raises CodeRefused with the message to show.
    """
    check_limit(user, client)
    with transaction.atomic():
        device = (
            TOTPDevice.objects.devices_for_user(user, confirmed=False)
            .select_for_update()
            .order_by("-id")
            .first()
        )
        if device is None:
            raise CodeRefused(ERRORS["no_device"])
        if not device.verify_token(_clean(code)):
            record_wrong_code(user, client, "set-up")
            raise CodeRefused(ERRORS["wrong_code"])
        TOTPDevice.objects.devices_for_user(user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = regenerate_backup_codes(user)
    clear_wrong_codes(user)
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


def verify_code(user, code: str, *, client: str):
    """The confirmed device (TOTP or backup codes) that accepts `code`; a backup code is used up.

    Raises CodeRefused: no device, a wrong code, or too many wrong codes lately.
    """
    check_limit(user, client)
    code = _clean(code)
    with transaction.atomic():
        devices = list(devices_for_user(user, confirmed=True, for_verify=True))
        if not any(isinstance(device, TOTPDevice) for device in devices):
            raise CodeRefused(ERRORS["no_device"])
        for device in devices:
            if device.verify_token(code):
                clear_wrong_codes(user)
                return device
    record_wrong_code(user, client, "sign-in")
    raise CodeRefused(ERRORS["wrong_code"])


def remove_device(user, code: str, *, client: str) -> None:
    """Remove the user's second factor (TOTP and backup codes) after checking a code."""
    verify_code(user, code, client=client)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
    logger.info("second factor removed by user %s", user.get_username())


def _clean(code: str) -> str:
    return "".join((code or "").split()).lower()


# --- wrong codes -----------------------------------------------------------------------------


def _now() -> float:
    return time.time()


def _keys(user, client: str) -> tuple[str, str]:
    return f"accounts:otp-wrong:user:{user.pk}", f"accounts:otp-wrong:addr:{client}"


def _count(key: str) -> tuple[int, float]:
    value = cache.get(key)
    return value if value else (0, 0.0)


def check_limit(user, client: str) -> None:
    """Raise CodeRefused while the user or the client address has had too many wrong codes."""
    now = _now()
    user_key, addr_key = _keys(user, client)
    for key, limit in ((user_key, MAX_WRONG_CODES), (addr_key, MAX_WRONG_CODES_PER_ADDRESS)):
        count, started = _count(key)
        if count >= limit and now - started < WRONG_CODE_WINDOW:
            wait = int(WRONG_CODE_WINDOW - (now - started)) + 1
            logger.warning(
                "second-factor code refused for user %s from %s: too many wrong codes",
                user.get_username(),
                client,
            )
            raise CodeRefused(ERRORS["too_many"].format(wait=_minutes(wait)))


def record_wrong_code(user, client: str, step: str) -> None:
    now = _now()
    for key in _keys(user, client):
        count, started = _count(key)
        if not count or now - started >= WRONG_CODE_WINDOW:
            count, started = 0, now
        cache.set(key, (count + 1, started), WRONG_CODE_WINDOW)
    logger.warning(
        "wrong second-factor code (%s) for user %s from %s", step, user.get_username(), client
    )


def clear_wrong_codes(user) -> None:
    cache.delete(_keys(user, "")[0])


def _minutes(seconds: int) -> str:
    if seconds <= 60:
        return f"{seconds} seconds"
    minutes = -(-seconds // 60)
    return f"{minutes} minutes"
