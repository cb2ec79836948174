"""Helpers every package's tests import: API clients, error checks, second factors, logging in.

Plain functions, so tests driven by hypothesis (which cannot take function-scoped fixtures per
example) use them as they are; the root conftest.py wraps them as fixtures (`api_client`,
`user_factory(with_totp=True)`).
"""

import base64
import json
import re

from django.contrib.auth import get_user_model
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, Phase, settings

PASSWORD = "pw-for-tests-1"
WWW_AUTHENTICATE = 'Basic realm="api", Bearer realm="api"'
BACKUP_CODES = ("backup0001", "backup0002")
NEW_PASSWORD = "a-new-Passw0rd-42"  # a password the sign-up and change forms accept


# --- clients ------------------------------------------------------------------------------------


def basic(username: str, password: str = PASSWORD) -> dict:
    """Request headers with HTTP Basic credentials: `client.get(path, **basic("ann"))`."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def bearer(token: str) -> dict:
    """Request headers with an API token: `client.get(path, **bearer(raw))`."""
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


_basic_headers, _bearer_headers = basic, bearer  # new_client's keywords share their names


class ApiClient(Client):
    """A Django test client with JSON helpers.

    `send(method, path, body)` sends `body` as JSON (no body at all when it is None, unlike
    `Client.post`, which sends `{}`); `raw=` sends a string as it is, for bodies that are not JSON.
    """

    def send(self, method: str, path: str, body=None, *, raw: str | None = None, **extra):
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        return self.generic(method, path, data, content_type="application/json", **extra)

    def post_json(self, path: str, body=None, **extra):
        return self.send("POST", path, body, **extra)


def new_client(
    who=None,
    *,
    basic: str | tuple[str, str] | None = None,
    bearer: str | None = None,
    enforce_csrf: bool = False,
    verified: bool = False,
    **defaults,
) -> ApiClient:
    """A test client: signed in (session) as `who` (a user or a username), or sending Basic
    credentials (`basic="ann"` or `basic=("ann", "wrong")`) or an API token (`bearer=raw`) on
    every request, or anonymous (all None). `defaults` go on every request (`REMOTE_ADDR=...`).
    `verified=True`: the session has passed the second factor, with the user's confirmed TOTP
    device (one is made if the user has none), as the admin requires.
    """
    if basic is not None:
        username, password = (basic, PASSWORD) if isinstance(basic, str) else basic
        defaults.update(_basic_headers(username, password))
    if bearer is not None:
        defaults.update(_bearer_headers(bearer))
    client = ApiClient(enforce_csrf_checks=enforce_csrf, **defaults)
    if who is not None:
        if isinstance(who, str):
            who = get_user_model().objects.get(username=who)
        client.force_login(who)
        if verified:
            verify_session(client, who)
    return client


def verify_session(client: Client, user) -> None:
    """The client's session has passed the second factor with the user's TOTP device."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


# --- answers ------------------------------------------------------------------------------------


def assert_error(response, status: int, message: str | re.Pattern) -> None:
    """The JSON API's error answer: `status`, `Content-Type: application/json`, the body
    `{"error": message}` and nothing else, and on a 401 the `WWW-Authenticate` challenge.

    A `str` message must match exactly: the wording is part of the contract (STYLE.md). Only where a
    message holds something a test cannot know (an id, a time) pass `re.compile(...)`; it must match
    the whole message (`fullmatch`).
    """
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"], body
    if isinstance(message, re.Pattern):
        assert message.fullmatch(body["error"]), body["error"]
    else:
        assert body == {"error": message}
    if status == 401:
        assert response["WWW-Authenticate"] == WWW_AUTHENTICATE


def ids(response) -> list[str]:
    """The record ids of a 200 list or search answer, in order."""
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()]


# --- second factor and logging in ---------------------------------------------------------------


def add_totp(user, codes=BACKUP_CODES) -> tuple[TOTPDevice, list[str]]:
    """Give `user` a confirmed TOTP device and backup codes: (device, [codes])."""
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    static = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
    for code in codes:
        StaticToken.objects.create(device=static, token=code)
    return device, list(codes)


def code_for(device, ahead: int = 0) -> str:
    """The TOTP code of `device` now, or `ahead` time steps later (a code is accepted once)."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + ahead):0{device.digits}d}"


def login(client, login_name, password=PASSWORD, **extra):
    """Post the login form (the first step; a user with a second factor is then asked a code)."""
    return client.post("/accounts/login/", {"login": login_name, "password": password, **extra})


def messages_of(response) -> list[str]:
    """The texts of the messages (django.contrib.messages) a rendered response shows."""
    return [str(message) for message in response.context["messages"]] if response.context else []


def site_property(max_examples: int) -> settings:
    """Hypothesis settings of a property test whose examples each build a site's records and
    users in the test database: no deadline, no example database, no shrinking (an example
    costs seconds), and function-scoped fixtures allowed (the site is rebuilt per example)."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def signup(client, username="newbie", email="newbie@example.com"):
    """The sign-up form posted with `NEW_PASSWORD`."""
    return client.post(
        "/accounts/signup/",
        {
            "username": username,
            "email": email,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
