"""Google, Facebook and Microsoft sign-in: the real allauth views and callbacks run; only the
providers' HTTP answers are faked, at the transport (requests' HTTPAdapter.send)."""

import copy

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from accounts.models import SecurityEvent
from tests.helpers import code_for

from .social import profile, sign_in_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def social_site(site_dir, provider_keys):
    site_dir.write(
        "settings.yaml",
        """
        title: Test site
        auth:
          providers: [google, facebook, microsoft]
          link_domains:
            google: [example.com]
        """,
    )
    return site_dir


@pytest.mark.parametrize("provider", ["google", "facebook", "microsoft"])
def test_new_user_signs_in_with_the_provider(social_site, provider, monkeypatch):
    client = Client()
    callback, fake = sign_in_with(
        client, provider, monkeypatch, profile(provider, "uid-1", f"new-{provider}@example.com")
    )
    assert callback.status_code == 302, callback.content[:800]
    assert callback["Location"] == "/"
    account = SocialAccount.objects.get(provider=provider, uid="uid-1")
    assert account.user.email == f"new-{provider}@example.com"
    assert client.session["_auth_user_id"] == str(account.user.pk)
    assert len(fake.calls) == 2  # the code exchanged for a token, then the profile


@pytest.mark.parametrize("provider", ["google", "facebook", "microsoft"])
def test_login_page_lists_providers_with_keys(social_site, provider):
    html = Client().get("/accounts/login/").content.decode()
    assert f'href="/accounts/{provider}/login/?process=login"' in html


def test_login_page_leaves_off_providers_without_keys(site_dir, settings):
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["google"]["APP"] = {"client_id": "g-id", "secret": "g-secret"}
    providers["facebook"]["APP"] = {"client_id": "", "secret": ""}
    providers["microsoft"]["APP"] = {"client_id": "m-id", "secret": ""}
    settings.SOCIALACCOUNT_PROVIDERS = providers
    site_dir.write("settings.yaml", "auth:\n  providers: [google, facebook, microsoft]\n")
    html = Client().get("/accounts/login/").content.decode()
    assert "/accounts/google/login/" in html
    assert "/accounts/facebook/login/" not in html
    assert "/accounts/microsoft/login/" not in html


def test_login_page_leaves_off_providers_settings_yaml_does_not_list(site_dir, provider_keys):
    site_dir.write("settings.yaml", "auth:\n  providers: [microsoft]\n")
    html = Client().get("/accounts/login/").content.decode()
    assert "/accounts/microsoft/login/" in html
    assert "/accounts/google/login/" not in html
    assert "/accounts/facebook/login/" not in html
    # ... and its login route does not start a login either.
    response = Client().post("/accounts/google/login/", {"process": "login"})
    assert response.status_code == 404


def test_provider_without_keys_is_a_check_warning_and_a_check_site_line(site_dir, settings, capsys):
    from accounts.checks import provider_keys as provider_check

    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["google"]["APP"] = {"client_id": "", "secret": ""}
    providers["microsoft"]["APP"] = {"client_id": "m-id", "secret": "m-secret"}
    settings.SOCIALACCOUNT_PROVIDERS = providers
    site_dir.write(
        "settings.yaml",
        """
        title: Test site
        auth:
          signup: true
          providers: [google, microsoft]
        """,
    )
    warnings = provider_check()
    assert [(w.id, w.msg) for w in warnings] == [
        (
            "accounts.W001",
            "settings.yaml:4: provider 'google' has no keys: set GOOGLE_CLIENT_ID and "
            "GOOGLE_CLIENT_SECRET; it is left off the login page",
        )
    ]
    call_command("check_site")
    # check_site prints the folder's problems on stdout and provider warnings on stderr.
    err = capsys.readouterr().err
    assert (
        "warning: settings.yaml:4: provider 'google' has no keys: set GOOGLE_CLIENT_ID and "
        "GOOGLE_CLIENT_SECRET; it is left off the login page"
    ) in err


def test_google_connects_to_the_existing_user_by_verified_email(
    social_site, user_factory, monkeypatch
):
    user = user_factory("gina", email="gina@example.com")
    users_before = get_user_model().objects.count()
    client = Client()
    callback, _ = sign_in_with(
        client, "google", monkeypatch, profile("google", "g-77", "gina@example.com")
    )
    assert callback.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert SocialAccount.objects.get(provider="google", uid="g-77").user == user
    assert get_user_model().objects.count() == users_before


def test_unverified_provider_email_does_not_take_over_an_account(
    social_site, user_factory, monkeypatch
):
    user = user_factory("gina", email="gina@example.com")
    client = Client()
    callback, _ = sign_in_with(
        client, "google", monkeypatch, profile("google", "g-78", "gina@example.com", verified=False)
    )
    assert client.session.get("_auth_user_id") != str(user.pk)
    assert not SocialAccount.objects.filter(user=user).exists()


def test_social_login_of_a_user_with_a_device_asks_for_the_code(
    social_site, user_factory, monkeypatch
):
    user = user_factory("gina", email="gina@example.com", with_totp=True)
    SocialAccount.objects.create(user=user, provider="google", uid="g-79")  # connected before
    device = user.totp_device
    client = Client()
    callback, _ = sign_in_with(
        client, "google", monkeypatch, profile("google", "g-79", "gina@example.com")
    )
    assert callback.status_code == 302
    assert callback["Location"] == "/accounts/2fa/login/"
    assert client.session.get("_auth_user_id") is None
    done = client.post("/accounts/2fa/login/", {"code": code_for(device)})
    assert done.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def assert_link_refused(callback, client, user, reason):
    assert callback.status_code == 403
    page = callback.content.decode()
    assert "Sign in with your user name and password, then connect Google" in page
    assert client.session.get("_auth_user_id") is None
    assert not SocialAccount.objects.filter(user=user).exists()
    assert list(SecurityEvent.objects.values_list("kind", "user", "target", "detail")) == [
        ("link_refused", user.pk, "google", f"google sign-in as gina@example.com: {reason}")
    ]


@pytest.mark.parametrize("link_domains", ["", "link_domains: {microsoft: [example.com]}"])
def test_google_signs_into_no_account_of_a_domain_it_is_not_trusted_for(
    site_dir, provider_keys, user_factory, monkeypatch, link_domains
):
    site_dir.write("settings.yaml", f"auth:\n  providers: [google]\n  {link_domains}\n")
    user = user_factory("gina", email="gina@example.com")
    client = Client()
    callback, _ = sign_in_with(
        client, "google", monkeypatch, profile("google", "g-90", "gina@example.com")
    )
    assert_link_refused(
        callback, client, user, "'google' is not trusted for example.com (link_domains)"
    )
    user.refresh_from_db()
    assert user.has_usable_password()  # allauth's wipe of an unverified address did not run


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("superuser", "the account is a superuser"), ("with_totp", "the account has a second factor")],
)
def test_google_never_signs_into_a_superuser_or_a_second_factor_account(
    social_site, user_factory, monkeypatch, kind, reason
):
    user = user_factory("gina", email="gina@example.com", **{kind: True})
    client = Client()
    callback, _ = sign_in_with(
        client, "google", monkeypatch, profile("google", "g-91", "gina@example.com")
    )
    assert_link_refused(callback, client, user, reason)


def test_signup_closed_blocks_new_social_users(site_dir, provider_keys, monkeypatch):
    site_dir.write("settings.yaml", "auth:\n  signup: false\n  providers: [microsoft]\n")
    client = Client()
    callback, _ = sign_in_with(
        client, "microsoft", monkeypatch, profile("microsoft", "m-1", "mia@example.com")
    )
    assert client.session.get("_auth_user_id") is None
    assert not get_user_model().objects.filter(email="mia@example.com").exists()
    assert callback.status_code == 200
    assert "Sign Up Closed" in callback.content.decode()


def test_disconnect_on_the_account_page(social_site, user_factory, monkeypatch):
    user = user_factory("gina", email="gina@example.com")
    EmailAddress.objects.create(user=user, email="gina@example.com", verified=True, primary=True)
    client = Client()
    sign_in_with(client, "google", monkeypatch, profile("google", "g-80", "gina@example.com"))
    page = client.get("/accounts/3rdparty/")
    assert page.status_code == 200
    account = SocialAccount.objects.get(user=user)
    assert f'value="{account.pk}"' in page.content.decode()
    response = client.post("/accounts/3rdparty/", {"account": account.pk}, follow=True)
    assert "The third-party account has been disconnected." in response.content.decode()
    assert not SocialAccount.objects.filter(user=user).exists()


def test_email_sign_in_to_an_unverified_local_address_wipes_its_password(
    social_site, user_factory, monkeypatch
):
    # allauth's guard: whoever signed up locally with someone else's address loses the password.
    user = user_factory("gina", email="gina@example.com")
    client = Client()
    sign_in_with(client, "google", monkeypatch, profile("google", "g-81", "gina@example.com"))
    user.refresh_from_db()
    assert not user.has_usable_password()
    account = SocialAccount.objects.get(user=user)
    refused = client.post("/accounts/3rdparty/", {"account": account.pk})
    assert refused.context["form"].errors["__all__"] == ["Your account has no password set up."]
    assert SocialAccount.objects.filter(user=user).exists()


def test_account_page_nav(social_site, user_factory, api_client):
    client = api_client(user_factory("nav"))
    html = client.get("/accounts/email/").content.decode()
    for href, label in [
        ("/accounts/email/", "E-mail"),
        ("/accounts/password/change/", "Password"),
        ("/accounts/3rdparty/", "Connections"),
        ("/accounts/2fa/", "Two-factor"),
        ("/accounts/tokens/", "API tokens"),
    ]:
        assert f'href="{href}"' in html and f">{label}</a>" in html, label
    assert "Invite users" not in html
