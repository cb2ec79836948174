"""Sign-up (each verification mode), login by name or e-mail, logout, reset, change, remember me."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client, override_settings

from tests.helpers import NEW_PASSWORD, PASSWORD, code_for, login, signup

pytestmark = pytest.mark.django_db


def auth_settings(site_dir, **auth):
    lines = "".join(f"  {key}: {value}\n" for key, value in auth.items())
    site_dir.write("settings.yaml", f"title: Test site\nauth:\n{lines}")


def session_user(client):
    return client.session.get("_auth_user_id")


def test_signup_with_mandatory_verification_waits_for_the_link(site_dir):
    auth_settings(site_dir, signup="true", email_verification="mandatory")
    client = Client()
    response = signup(client)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert session_user(client) is None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["newbie@example.com"]
    link = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[0].body).group(
        1
    )
    # Login before verifying: sent to verify again, still signed out.
    again = login(Client(), "newbie", NEW_PASSWORD)
    assert again["Location"] == "/accounts/confirm-email/"
    assert client.post(link).status_code == 302
    assert EmailAddress.objects.get(email="newbie@example.com").verified
    later = Client()
    assert login(later, "newbie", NEW_PASSWORD)["Location"] == "/"
    assert session_user(later) is not None


def test_signup_with_optional_verification_signs_in_and_sends_the_link(site_dir):
    auth_settings(site_dir, signup="true", email_verification="optional")
    client = Client()
    response = signup(client)
    assert response["Location"] == "/"
    assert session_user(client) is not None
    assert len(mail.outbox) == 1
    assert "/accounts/confirm-email/" in mail.outbox[0].body
    assert not EmailAddress.objects.get(email="newbie@example.com").verified


def test_mandatory_signup_does_not_say_that_an_address_is_registered(site_dir, user_factory):
    auth_settings(site_dir, signup="true", email_verification="mandatory")
    user_factory("holder", email="taken@example.com")
    users_before = get_user_model().objects.count()
    fresh = signup(Client(), username="fresh", email="fresh@example.com")
    taken = signup(Client(), username="intruder", email="taken@example.com")
    assert (taken.status_code, taken["Location"]) == (fresh.status_code, fresh["Location"])
    assert (taken.status_code, taken["Location"]) == (302, "/accounts/confirm-email/")
    assert get_user_model().objects.count() == users_before + 1  # fresh only
    # The address's holder hears of it by mail (allauth's "account already exists").
    assert [m.to for m in mail.outbox] == [["fresh@example.com"], ["taken@example.com"]]
    assert "already" in mail.outbox[1].body


def test_signup_with_no_verification_sends_nothing(site_dir):
    auth_settings(site_dir, signup="true", email_verification="none")
    client = Client()
    assert signup(client)["Location"] == "/"
    assert session_user(client) is not None
    assert mail.outbox == []


def test_verification_mode_follows_settings_yaml_without_restart(site_dir):
    auth_settings(site_dir, email_verification="none")
    assert signup(Client(), "one", "one@example.com")["Location"] == "/"
    auth_settings(site_dir, email_verification="mandatory")
    assert signup(Client(), "two", "two@example.com")["Location"] == "/accounts/confirm-email/"


def test_signup_closed(site_dir):
    auth_settings(site_dir, signup="false")
    client = Client()
    page = client.get("/accounts/signup/")
    assert page.status_code == 200
    assert "Sign Up Closed" in page.content.decode()
    signup(client)
    assert not get_user_model().objects.filter(username="newbie").exists()
    assert "Sign up" not in client.get("/accounts/login/").content.decode().split("<main>")[1]


def test_signup_form_shows_errors_beside_the_fields(site_dir):
    client = Client()
    response = client.post(
        "/accounts/signup/",
        {"username": "x y", "email": "not-an-email", "password1": "a", "password2": "b"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        '<label for="id_email">E-mail</label>' in html
        or '<label for="id_email">Email</label>' in html
    )
    assert (
        '<span class="field-error" id="id_email_error">Enter a valid email address.</span>' in html
    )


def test_login_by_user_name_or_email_and_a_wrong_password(user_factory):
    user_factory("max", email="max@example.com")
    assert session_user_after(login(Client(), "max"))
    by_email = Client()
    assert login(by_email, "MAX@Example.com")["Location"] == "/"
    wrong = login(Client(), "max", "nope")
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["__all__"] == [
        "The username and/or password you specified are not correct."
    ]


def session_user_after(response):
    return response.status_code == 302 and response["Location"] == "/"


def test_logout(user_factory):
    user_factory("ned")
    client = Client()
    login(client, "ned")
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert session_user(client) is None


def test_password_reset_link_from_the_outbox(user_factory):
    user_factory("oli", email="oli@example.com")
    client = Client()
    response = client.post("/accounts/password/reset/", {"email": "oli@example.com"})
    assert response["Location"] == "/accounts/password/reset/done/"
    assert len(mail.outbox) == 1
    link = re.search(
        r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[0].body
    ).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    done = client.post(action, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/accounts/password/reset/key/done/"
    assert login(Client(), "oli", NEW_PASSWORD)["Location"] == "/"
    assert login(Client(), "oli", PASSWORD).status_code == 200


def test_change_password(user_factory):
    user_factory("pam")
    client = Client()
    login(client, "pam")
    bad = client.post(
        "/accounts/password/change/",
        {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert bad.context["form"].errors["oldpassword"] == ["Please type your current password."]
    ok = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert ok.status_code == 302
    assert login(Client(), "pam", NEW_PASSWORD)["Location"] == "/"


def test_passwords_are_hashed_with_a_strong_hasher(site_dir):
    import importlib

    from django.conf import global_settings

    project = importlib.import_module("site_config.settings")
    hashers = getattr(project, "PASSWORD_HASHERS", global_settings.PASSWORD_HASHERS)
    with override_settings(PASSWORD_HASHERS=hashers):
        signup(Client())
        stored = get_user_model().objects.get(username="newbie").password
    assert stored.split("$")[0] in {"pbkdf2_sha256", "argon2", "bcrypt_sha256", "scrypt"}


def test_remember_me_unticked_ends_with_the_browser(user_factory):
    user_factory("quin")
    client = Client()
    login(client, "quin")
    assert client.session.get_expire_at_browser_close()
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == ""


def test_remember_me_ticked_keeps_the_session(user_factory):
    user_factory("ray")
    client = Client()
    login(client, "ray", remember="on")
    assert not client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert (
        int(client.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == settings.SESSION_COOKIE_AGE
    )


def test_remember_me_survives_the_second_factor(user_factory):

    user = user_factory("sol", with_totp=True)
    device = user.totp_device
    client = Client()
    login(client, "sol", remember="on")
    client.post("/accounts/2fa/login/", {"code": code_for(device)})
    assert session_user(client) is not None
    assert not client.session.get_expire_at_browser_close()


def test_login_page_has_labelled_fields_and_remember_me(client):
    html = client.get("/accounts/login/").content.decode()
    assert '<label for="id_login">' in html
    assert '<label for="id_password">Password</label>' in html
    assert 'name="remember"' in html
    assert "Forgot your password?" in html
