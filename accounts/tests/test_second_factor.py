"""The second factor: set-up at /accounts/2fa/, the login step, backup codes, removal."""

from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.helpers import code_for, login

pytestmark = pytest.mark.django_db


def signed_in_as(client) -> str | None:
    response = client.get("/accounts/email/")
    if response.status_code != 200:
        return None
    return response.context["user"].get_username()


def test_set_up_shows_key_and_qr_and_confirms_with_a_code(user_factory, api_client):
    user = user_factory("ann")
    client = api_client(user)
    page = client.get("/accounts/2fa/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert page.context["key"] in page.content.decode()
    qr = client.get("/accounts/2fa/qr.svg")
    assert qr.status_code == 200
    assert qr["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qr.content

    wrong = client.post(
        "/accounts/2fa/", {"code": "000000" if code_for(device) != "000000" else "111111"}
    )
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["code"] == [
        "That code is not right. Enter the 6-digit code from your app or an unused backup code."
    ]
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed

    done = client.post("/accounts/2fa/", {"code": code_for(device)}, follow=True)
    assert done.redirect_chain == [("/accounts/2fa/backup-codes/", 302)]  # POST/redirect/GET
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    for code in codes:
        assert code in done.content.decode()
    assert "Your second factor is set up." in done.content.decode()
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert sorted(
        StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    ) == sorted(codes)

    # The session that set it up counts as verified; the codes are not shown again.
    again = client.get("/accounts/2fa/")
    assert again.context["user"].is_verified()
    assert "codes" not in again.context
    assert codes[0] not in again.content.decode()
    assert again.context["backup_codes_left"] == 10
    # The key of a confirmed device is never shown again.
    assert client.get("/accounts/2fa/qr.svg").status_code == 404


def test_the_setup_url_names_the_site_as_issuer_and_holds_the_key(
    user_factory, api_client, site_dir
):
    site_dir.write("settings.yaml", "title: 'Acme: Portal'\n")
    client = api_client(user_factory("ann"))
    page = client.get("/accounts/2fa/")
    url = urlsplit(page.context["otpauth_url"])
    query = parse_qs(url.query)
    # The issuer is the site's title (a colon would end it early in the label, so it is dropped).
    assert (url.scheme, url.netloc, unquote(url.path)) == ("otpauth", "totp", "/Acme Portal:ann")
    assert query["issuer"] == ["Acme Portal"]
    assert query["secret"] == [page.context["key"]]
    assert (query["digits"], query["period"]) == (["6"], ["30"])


def test_login_asks_for_the_totp_code_before_signing_in(user_factory):
    user = user_factory("bob", with_totp=True)
    device = user.totp_device
    client = Client()
    first = login(client, "bob")
    assert first.status_code == 302
    assert first["Location"] == "/accounts/2fa/login/"
    # Not signed in between the password and the code.
    assert signed_in_as(client) is None
    step = client.get("/accounts/2fa/login/")
    assert step.status_code == 200
    assert "Enter your code" in step.content.decode()

    bad = client.post("/accounts/2fa/login/", {"code": "12345x"})
    assert bad.context["form"].errors["code"] == [
        "That code is not right. Enter the 6-digit code from your app or an unused backup code."
    ]
    assert signed_in_as(client) is None

    done = client.post("/accounts/2fa/login/", {"code": code_for(device)})
    assert done.status_code == 302
    assert done["Location"] == "/"
    assert signed_in_as(client) == "bob"
    assert client.get("/accounts/email/").context["user"].is_verified()


def test_login_by_email_with_a_backup_code_which_works_once(user_factory):
    user = user_factory(
        "cy", email="cy@example.org", with_totp=True, backup_codes=("abcdefgh01", "abcdefgh02")
    )
    client = Client()
    assert login(client, "CY@example.org")["Location"] == "/accounts/2fa/login/"
    done = client.post("/accounts/2fa/login/", {"code": "abcdefgh01"})
    assert done.status_code == 302
    assert signed_in_as(client) == "cy"
    assert list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)) == [
        "abcdefgh02"
    ]

    other = Client()
    login(other, "cy")
    reused = other.post("/accounts/2fa/login/", {"code": "abcdefgh01"})
    assert reused.status_code == 200
    assert reused.context["form"].errors["code"] == [
        "That code is not right. Enter the 6-digit code from your app or an unused backup code."
    ]
    assert signed_in_as(other) is None


def test_a_totp_code_is_accepted_once(user_factory):
    user = user_factory("dee", with_totp=True)
    device = user.totp_device
    code = code_for(device)
    one, two = Client(), Client()
    login(one, "dee")
    assert one.post("/accounts/2fa/login/", {"code": code}).status_code == 302
    login(two, "dee")
    replay = two.post("/accounts/2fa/login/", {"code": code})
    assert replay.status_code == 200
    assert signed_in_as(two) is None


def test_the_login_step_needs_a_password_first(client):
    response = client.get("/accounts/2fa/login/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_cancel_the_login_step(user_factory):
    user_factory("eve", with_totp=True)
    client = Client()
    login(client, "eve")
    cancelled = client.post("/accounts/2fa/login/", {"cancel": "1"})
    assert cancelled.status_code == 302
    assert cancelled["Location"] == "/accounts/login/"
    assert client.get("/accounts/2fa/login/")["Location"] == "/accounts/login/"


def test_user_without_device_signs_in_with_password_alone(user_factory):
    user_factory("fay")
    client = Client()
    response = login(client, "fay")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_as(client) == "fay"
    assert not client.get("/accounts/email/").context["user"].is_verified()


def test_regenerate_backup_codes(user_factory):
    user = user_factory("gus", with_totp=True)
    device, old = user.totp_device, user.backup_codes
    client = Client()
    login(client, "gus")
    client.post("/accounts/2fa/login/", {"code": code_for(device)})
    response = client.post("/accounts/2fa/backup-codes/", follow=True)
    assert response.redirect_chain == [("/accounts/2fa/backup-codes/", 302)]
    new = response.context["codes"]
    assert len(new) == 10
    assert "New backup codes made; the old ones no longer work." in response.content.decode()
    tokens = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert tokens == set(new)
    assert not tokens & set(old)


def test_new_backup_codes_are_shown_once_and_a_reload_makes_none(user_factory):
    user = user_factory("ivy", with_totp=True)
    client = Client()
    login(client, "ivy")
    client.post("/accounts/2fa/login/", {"code": code_for(user.totp_device)})
    made = client.post("/accounts/2fa/backup-codes/", {"next": "/members/"})
    assert made.status_code == 302
    assert made["Location"] == "/accounts/2fa/backup-codes/?next=%2Fmembers%2F"
    shown = client.get(made["Location"])
    codes = shown.context["codes"]
    assert shown.context["next"] == "/members/"
    reloaded = client.get(made["Location"])
    assert reloaded.status_code == 302 and reloaded["Location"] == "/accounts/2fa/"
    assert set(
        StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    ) == set(codes)


def test_remove_device_needs_a_code(user_factory):
    user = user_factory("hal", with_totp=True)
    device = user.totp_device
    client = Client()
    login(client, "hal")
    client.post("/accounts/2fa/login/", {"code": code_for(device)})
    refused = client.post("/accounts/2fa/remove/", {"code": "notacode"})
    assert refused.status_code == 200
    assert refused.context["form"].errors["code"] == [
        "That code is not right. Enter the 6-digit code from your app or an unused backup code."
    ]
    assert TOTPDevice.objects.filter(user=user).exists()
    removed = client.post("/accounts/2fa/remove/", {"code": code_for(device, ahead=1)}, follow=True)
    assert "Your second factor is removed." in removed.content.decode()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert not StaticToken.objects.filter(device__user=user).exists()
    # The next login is the password alone.
    again = Client()
    assert login(again, "hal")["Location"] == "/"


def test_a_session_key_planted_before_the_code_step_is_not_the_signed_in_one(
    user_factory, settings
):
    """Session fixation through the code step (regression): the key the attacker set in the
    victim's browser holds the pending login between password and code, but the signed-in
    session has a new key, and the planted one signs nobody in."""
    from accounts.sessions import SessionStore

    user = user_factory("bob", with_totp=True)
    planted = SessionStore()
    planted["planted"] = True
    planted.save()
    victim = Client()
    victim.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    assert login(victim, "bob")["Location"] == "/accounts/2fa/login/"
    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    assert (
        victim.post("/accounts/2fa/login/", {"code": code_for(user.totp_device)}).status_code == 302
    )
    assert signed_in_as(victim) == "bob"
    assert victim.cookies[settings.SESSION_COOKIE_NAME].value != planted.session_key
    assert signed_in_as(attacker) is None
