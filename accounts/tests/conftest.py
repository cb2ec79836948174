"""Fixtures of the accounts tests: users with a second factor, codes, logging in."""

import pytest
from django.core.cache import cache
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "pw-for-tests-1"


@pytest.fixture(autouse=True)
def _fresh(settings, site_dir):
    # Rate limits (allauth's and ours) live in the cache: each test starts with none used.
    cache.clear()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield
    cache.clear()


def code_for(device, ahead: int = 0) -> str:
    """The TOTP code of `device` now, or `ahead` time steps later (a code is accepted once)."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + ahead):0{device.digits}d}"


@pytest.fixture
def with_totp():
    """with_totp(user) -> (confirmed TOTPDevice, [10 backup codes])."""

    def make(user, codes=("backup0001", "backup0002")):
        device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
        static = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
        for code in codes:
            StaticToken.objects.create(device=static, token=code)
        return device, list(codes)

    return make


def login(client, login_name, password=PASSWORD, **extra):
    return client.post("/accounts/login/", {"login": login_name, "password": password, **extra})


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []
