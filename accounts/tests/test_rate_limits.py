"""Brute force: allauth's limit on failed logins, ours on wrong second-factor codes."""

import logging

import pytest
from django.test import Client

from accounts import otp
from accounts.models import SecurityEvent
from tests.helpers import add_totp, code_for, login

pytestmark = pytest.mark.django_db

TOO_MANY_LOGINS = "Too many failed login attempts. Wait a few minutes and try again."


def test_failed_logins_are_limited_with_a_message_to_wait(user_factory, caplog):
    user_factory("tom")
    client = Client()
    caplog.set_level(logging.INFO, logger="accounts")
    for _ in range(5):
        response = login(client, "tom", "wrong")
        assert response.context["form"].errors["__all__"] == [
            "The username and/or password you specified are not correct."
        ]
    blocked = login(client, "tom", "wrong")
    assert blocked.context["form"].errors["__all__"] == [TOO_MANY_LOGINS]
    # Even the right password waits now.
    right = login(client, "tom")
    assert right.status_code == 200
    assert right.context["form"].errors["__all__"] == [TOO_MANY_LOGINS]
    assert (
        "password check refused for 'tom' from 127.0.0.1: too many failed attempts" in caplog.text
    )
    assert "login_failed: tom from 127.0.0.1" in caplog.text
    assert "login_refused: tom from 127.0.0.1: too many failed attempts" in caplog.text


def test_other_accounts_are_not_blocked_by_one_account_s_failures(user_factory):
    user_factory("tom")
    user_factory("una")
    client = Client()
    for _ in range(6):
        login(client, "tom", "wrong")
    assert login(client, "una")["Location"] == "/"


def test_wrong_codes_at_the_login_step_are_limited(user_factory, caplog):
    user = user_factory("vic", with_totp=True)
    device = user.totp_device
    client = Client()
    login(client, "vic")
    caplog.set_level(logging.INFO, logger="accounts")
    for _ in range(otp.MAX_WRONG_CODES):
        response = client.post("/accounts/2fa/login/", {"code": "00000a"})
        assert response.context["form"].errors["code"] == [otp.ERRORS["wrong_code"]]
    blocked = client.post("/accounts/2fa/login/", {"code": code_for(device)})
    assert blocked.status_code == 200
    (message,) = blocked.context["form"].errors["code"]
    assert message.startswith("Too many wrong codes. Wait ")
    assert message.endswith(" minutes before you try again.")
    assert client.session.get("_auth_user_id") is None
    assert "wrong second-factor code (sign-in) for user vic from 127.0.0.1" in caplog.text
    assert (
        "second-factor code refused for user vic from 127.0.0.1: too many wrong codes"
        in caplog.text
    )


def test_the_code_limit_is_per_user_and_expires(user_factory, monkeypatch):
    user = user_factory("wes", with_totp=True)
    device = user.totp_device
    other = user_factory("xia", with_totp=True)
    other_device = other.totp_device
    client = Client()
    login(client, "wes")
    for _ in range(otp.MAX_WRONG_CODES):
        client.post("/accounts/2fa/login/", {"code": "00000a"})
    # Another user (from another address) is not blocked.
    second = Client(REMOTE_ADDR="10.0.0.2")
    login(second, "xia")
    assert second.post("/accounts/2fa/login/", {"code": code_for(other_device)}).status_code == 302
    # After the window the user may try again.
    now = otp._now()
    monkeypatch.setattr(otp, "_now", lambda: now + otp.WRONG_CODE_WINDOW + 1)
    ok = client.post("/accounts/2fa/login/", {"code": code_for(device)})
    assert ok.status_code == 302


def test_wrong_codes_at_set_up_count_too(user_factory, api_client):
    user = user_factory("yan")
    client = api_client(user)
    client.get("/accounts/2fa/")
    for _ in range(otp.MAX_WRONG_CODES):
        client.post("/accounts/2fa/", {"code": "00000a"})
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user)
    blocked = client.post("/accounts/2fa/", {"code": code_for(device)})
    assert blocked.context["form"].errors["code"][0].startswith("Too many wrong codes. Wait ")
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    # Each wrong code and the refusal stay in the audit trail (not rolled back with the set-up).
    details = SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.SECOND_FACTOR_FAILED, user=user
    ).values_list("detail", flat=True)
    assert sorted(details) == ["refused: too many wrong codes"] + ["wrong code (set-up)"] * 5


def test_wrong_codes_from_one_address_are_limited_across_users(user_factory):
    client = Client(REMOTE_ADDR="10.9.9.9")
    users = [user_factory(f"u{n}") for n in range(5)]
    for user in users:
        add_totp(user)
    for user in users[:4]:
        login(client, user.username)
        for _ in range(otp.MAX_WRONG_CODES):
            client.post("/accounts/2fa/login/", {"code": "00000a"})
        client.post("/accounts/2fa/login/", {"cancel": "1"})
    login(client, "u4")
    device = users[4].totpdevice_set.get()
    blocked = client.post("/accounts/2fa/login/", {"code": code_for(device)})
    assert blocked.context["form"].errors["code"][0].startswith("Too many wrong codes. Wait ")


def test_parallel_wrong_codes_cannot_pass_the_limit(user_factory, api_client, monkeypatch):
    """Requests that overlap each reserve an attempt before their code is checked.

    The patched check sends the other requests while the first is still being checked, as
    parallel requests would arrive: only MAX_WRONG_CODES codes are ever checked.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = user_factory("zed", with_totp=True)
    device = user.totp_device
    clients = [api_client(user) for _ in range(otp.MAX_WRONG_CODES * 2)]
    checked, answers, waiting = [], [], iter(clients[1:])

    def slow_wrong(self, token):
        # Every other request starts before this check ends (nested: each starts the rest).
        checked.append(token)
        for other in waiting:
            answers.append(other.post("/accounts/2fa/verify/", {"code": "00000a"}))
        return False

    monkeypatch.setattr(TOTPDevice, "verify_token", slow_wrong)
    first = clients[0].post("/accounts/2fa/verify/", {"code": "00000a"})
    assert len(checked) == otp.MAX_WRONG_CODES
    # (contexts of nested requests mix in the test client: read the pages)
    refused = [a for a in [first, *answers] if "Too many wrong codes. Wait " in a.content.decode()]
    assert len(refused) == len(clients) - otp.MAX_WRONG_CODES
    monkeypatch.undo()
    blocked = clients[0].post("/accounts/2fa/verify/", {"code": code_for(device)})
    assert blocked.context["form"].errors["code"][0].startswith("Too many wrong codes. Wait ")


def test_a_right_code_gives_back_its_reservation(user_factory, api_client):
    """A right code does not count against the user or the address."""
    users = [user_factory(f"r{n}") for n in range(otp.MAX_WRONG_CODES_PER_ADDRESS + 2)]
    for user in users:
        device, _ = add_totp(user)
        client = api_client(user)
        assert client.post("/accounts/2fa/verify/", {"code": code_for(device)}).status_code == 302


# --- behind a proxy: limits by address count each client, not the proxy (issue 10, finding 2) ---

PROXY = "10.0.0.1"


def via_proxy(client_ip: str) -> Client:
    """A browser behind the site's reverse proxy, which appends the address it saw."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_ip)


def test_wrong_codes_through_a_proxy_do_not_lock_out_other_clients(settings, user_factory):
    settings.TRUSTED_PROXIES = [PROXY]
    users = [user_factory(f"p{n}") for n in range(5)]
    for user in users:
        add_totp(user)
    attacker = via_proxy("203.0.113.66")
    for user in users[:4]:
        login(attacker, user.username)
        for _ in range(otp.MAX_WRONG_CODES):  # 20 wrong codes from one client in all
            attacker.post("/accounts/2fa/login/", {"code": "00000a"})
        attacker.post("/accounts/2fa/login/", {"cancel": "1"})
    device = users[4].totpdevice_set.get()
    # That client is limited ...
    login(attacker, "p4")
    blocked = attacker.post("/accounts/2fa/login/", {"code": code_for(device)})
    assert blocked.context["form"].errors["code"][0].startswith("Too many wrong codes. Wait ")
    attacker.post("/accounts/2fa/login/", {"cancel": "1"})
    # ... another one behind the same proxy is not.
    other = via_proxy("198.51.100.7")
    login(other, "p4")
    assert other.post("/accounts/2fa/login/", {"code": code_for(device)})["Location"] == "/"
    events = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SECOND_FACTOR_FAILED)
    assert events.filter(address="203.0.113.66").count() == 21  # 20 wrong, 1 refused
    assert not events.exclude(address="203.0.113.66").exists()


def test_without_trusted_proxies_a_forwarded_header_buys_no_new_address(settings, user_factory):
    settings.TRUSTED_PROXIES = []
    users = [user_factory(f"q{n}") for n in range(5)]
    for user in users:
        add_totp(user)
    for n, user in enumerate(users[:4]):
        client = Client(REMOTE_ADDR="203.0.113.66", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        login(client, user.username)
        for m in range(otp.MAX_WRONG_CODES):
            client.defaults["HTTP_X_FORWARDED_FOR"] = f"192.0.2.{10 * n + m}"
            client.post("/accounts/2fa/login/", {"code": "00000a"})
    client = Client(REMOTE_ADDR="203.0.113.66", HTTP_X_FORWARDED_FOR="192.0.2.200")
    login(client, "q4")
    blocked = client.post("/accounts/2fa/login/", {"code": code_for(users[4].totpdevice_set.get())})
    assert blocked.context["form"].errors["code"][0].startswith("Too many wrong codes. Wait ")


def test_failed_passwords_through_a_proxy_are_counted_per_client(settings, user_factory):
    """allauth's per-address limit (10 a minute) goes through the trusted proxy chain too."""
    settings.TRUSTED_PROXIES = [PROXY]
    for n in range(12):
        user_factory(f"v{n}")
    attacker = via_proxy("203.0.113.66")
    errors = [
        login(attacker, f"v{n}", "wrong").context["form"].errors["__all__"] for n in range(11)
    ]
    assert [list(e) for e in errors] == [
        ["The username and/or password you specified are not correct."]
    ] * 10 + [[TOO_MANY_LOGINS]]
    assert login(via_proxy("198.51.100.7"), "v11")["Location"] == "/"
