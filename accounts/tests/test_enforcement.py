"""Where the second factor is enforced: auth.otp.required_for, the admin, pages, the session."""

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from tests.helpers import add_totp, code_for, login

pytestmark = pytest.mark.django_db

PAGE = """
title: Finance
view_permission: [finance]
"""


@pytest.fixture
def required_site(site_dir):
    site_dir.write(
        "settings.yaml",
        """
        title: Test site
        auth:
          otp:
            required_for: [admins]
        groups: [admins, finance]
        """,
    )
    site_dir.write("pages/index.yaml", "title: Home\n")
    return site_dir


def test_required_for_sends_the_principal_to_set_up_a_device(required_site, user_factory):
    user_factory("ada", groups=["admins"])
    client = Client()
    assert login(client, "ada")["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 302
    assert home["Location"] == "/accounts/2fa/?next=%2F"
    for path in ("/accounts/email/", "/accounts/password/change/", "/accounts/tokens/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/2fa/?next="), path
    # The set-up page, and logging out, stay reachable.
    assert client.get("/accounts/2fa/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/accounts/2fa/").status_code == 302  # signed out: the login page


def test_required_for_lets_the_principal_in_after_set_up(required_site, user_factory):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = user_factory("ada", groups=["admins"])
    client = Client()
    login(client, "ada")
    client.get("/accounts/2fa/?next=/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    done = client.post("/accounts/2fa/", {"code": code_for(device), "next": "/"}, follow=True)
    assert done.redirect_chain == [("/accounts/2fa/backup-codes/?next=%2F", 302)]
    assert done.context["next"] == "/"
    assert client.get("/").status_code == 200
    assert client.get("/accounts/email/").status_code == 200


def test_required_for_does_not_touch_other_users(required_site, user_factory):
    user_factory("bo", groups=["finance"])
    client = Client()
    login(client, "bo")
    assert client.get("/").status_code == 200
    assert client.get("/accounts/email/").status_code == 200


def test_required_for_by_user_name_and_email(site_dir, user_factory):
    site_dir.write(
        "settings.yaml",
        """
        auth:
          otp:
            required_for: "cy, DEE@example.com"
        """,
    )
    site_dir.write("pages/index.yaml", "title: Home\n")
    for name in ("cy", "dee", "eli"):
        user_factory(name)
    expected = {"cy": 302, "dee": 302, "eli": 200}
    for name, status in expected.items():
        client = Client()
        login(client, name)
        assert client.get("/").status_code == status, name


def test_required_for_session_is_anonymous_to_the_api(required_site, user_factory):
    from accounts.middleware import SecondFactorMiddleware

    user = user_factory("ada", groups=["admins"])
    seen = {}

    def view(request):
        seen["user"] = request.user
        return None

    from django.test import RequestFactory

    request = RequestFactory().get("/api/v1/sales/records")
    request.user = user
    user.is_verified = lambda: False
    SecondFactorMiddleware(view)(request)
    assert not seen["user"].is_authenticated


def test_session_signed_in_before_the_device_was_set_up_must_enter_a_code(user_factory):
    user = user_factory("fin")
    client = Client()
    login(client, "fin")  # no device yet
    device, _ = add_totp(user)  # set up in another browser
    response = client.get("/accounts/email/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/verify/?next=%2Faccounts%2Femail%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200
    wrong = client.post("/accounts/2fa/verify/", {"code": "x", "next": "/accounts/email/"})
    assert wrong.context["form"].errors["code"] == [
        "That code is not right. Enter the 6-digit code from your app or an unused backup code."
    ]
    ok = client.post(
        "/accounts/2fa/verify/", {"code": code_for(device), "next": "/accounts/email/"}
    )
    assert ok.status_code == 302
    assert ok["Location"] == "/accounts/email/"
    assert client.get("/accounts/email/").status_code == 200


def test_verify_refuses_an_outside_next(user_factory):
    user = user_factory("gil")
    client = Client()
    login(client, "gil")
    device, _ = add_totp(user)
    ok = client.post(
        "/accounts/2fa/verify/", {"code": code_for(device), "next": "https://evil.example/"}
    )
    assert ok["Location"] == "/"


# --- the admin -------------------------------------------------------------------------------


def test_admin_refuses_staff_without_second_factor(user_factory):
    user_factory("root", superuser=True)
    client = Client()
    login(client, "root")
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"
    step = client.get(response["Location"])
    assert step.status_code == 302
    assert step["Location"] == "/accounts/2fa/?next=%2Fadmin%2F"


def test_admin_sends_visitors_to_the_site_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_admin_lets_verified_staff_in(user_factory):
    user = user_factory("root", superuser=True, with_totp=True)
    device = user.totp_device
    client = Client()
    login(client, "root")
    assert client.get("/admin/").status_code == 302  # login step pending: anonymous
    client.post("/accounts/2fa/login/", {"code": code_for(device)})
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "Site administration" in response.content.decode()


def test_admin_refuses_forced_sessions_without_the_device_in_the_session(user_factory, api_client):
    user = user_factory("root", superuser=True, with_totp=True)
    device = user.totp_device
    client = api_client(user)
    assert client.get("/admin/").status_code == 302
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert client.get("/admin/").status_code == 200


# --- a page reachable only after the second factor -----------------------------------------


def test_page_for_a_group_is_reachable_only_after_the_code(site_dir, user_factory):
    site_dir.write("pages/finance.yaml", PAGE)
    user = user_factory("ivy", groups=["finance"], with_totp=True)
    device = user.totp_device
    client = Client()
    login(client, "ivy")
    before = client.get("/finance/")
    assert before.status_code == 302
    assert before["Location"] == "/accounts/login/?next=/finance/"
    client.post("/accounts/2fa/login/", {"code": code_for(device)})
    after = client.get("/finance/")
    assert after.status_code == 200
    assert after.context["user"].is_verified()


def test_page_for_a_group_stays_closed_to_others(site_dir, user_factory, api_client):
    site_dir.write("pages/finance.yaml", PAGE)
    assert api_client(user_factory("jo")).get("/finance/").status_code == 403


def test_context_user_is_verified_after_the_code(site_dir, user_factory):
    site_dir.write(
        "apps/who/blocks/me.yaml",
        """
        elements:
          me: BASIC
        """,
    )
    site_dir.write(
        "apps/who/blocks/me.py",
        """
        def me(context):
            user = context.user
            return f"{user.username}|{user.email}|{','.join(user.groups)}|{user.is_verified}"
        """,
    )
    site_dir.write("pages/me.yaml", "blocks: [who/me]\nview_permission: [authenticated]\n")
    user = user_factory("kim", groups=["finance"], with_totp=True)
    device = user.totp_device
    client = Client()
    login(client, "kim")
    client.post("/accounts/2fa/login/", {"code": code_for(device)})
    assert "kim|kim@example.com|finance|True" in client.get("/me/").content.decode()
    plain = Client()
    user_factory("lee")
    login(plain, "lee")
    assert "lee|lee@example.com||False" in plain.get("/me/").content.decode()


# --- a session that has not passed its second factor -------------------------------------


@pytest.fixture
def unverified(user_factory, api_client, site_dir):
    """A session signed in before the user's device existed: it must enter a code first."""
    site_dir.write("pages/index.yaml", "title: Home\n")
    user = user_factory("pat")
    client = api_client(user)
    device, backup = add_totp(user)
    home = client.get("/")
    assert home["Location"] == "/accounts/2fa/verify/?next=%2F"
    return client, user, device, backup


def test_an_unverified_session_cannot_make_backup_codes_to_pass_the_code(unverified):
    from django_otp.plugins.otp_static.models import StaticToken

    client, user, _, backup = unverified
    minted = client.post("/accounts/2fa/backup-codes/")
    assert minted.status_code == 302
    assert minted["Location"] == "/accounts/2fa/verify/"
    assert "codes" not in (minted.context or {})
    assert sorted(
        StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    ) == (sorted(backup))
    still = client.get("/")
    assert still["Location"] == "/accounts/2fa/verify/?next=%2F"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/accounts/2fa/"),
        ("get", "/accounts/2fa/remove/"),
        ("post", "/accounts/2fa/remove/"),
        ("post", "/accounts/2fa/backup-codes/"),
        ("get", "/accounts/2fa/qr.svg"),
    ],
)
def test_an_unverified_session_reaches_only_the_code_page(unverified, method, path):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client, user, device, _ = unverified
    response = getattr(client, method)(path, {"code": code_for(device)} if method == "post" else {})
    assert response.status_code == 302, path
    assert response["Location"].startswith("/accounts/2fa/verify/"), path
    assert TOTPDevice.objects.filter(pk=device.pk, confirmed=True).exists()


def test_the_device_pages_refuse_an_unverified_session_by_themselves(unverified, rf):
    """The views check too, should the middleware ever let a request through."""
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    from accounts import views

    _, user, device, _ = unverified
    for view, method in (
        (views.two_factor, "get"),
        (views.backup_codes, "post"),
        (views.remove, "post"),
    ):
        request = getattr(rf, method)("/accounts/2fa/x/", {"code": code_for(device)})
        request.user = user
        user.is_verified = lambda: False
        request.session = SessionStore()
        request._messages = FallbackStorage(request)
        response = view(request)
        assert response.status_code == 302, view.__name__
        assert response["Location"].startswith("/accounts/2fa/verify/"), view.__name__


def test_an_unverified_session_can_still_log_out_and_enter_a_code(unverified):
    client, _, device, _ = unverified
    assert client.get("/accounts/2fa/verify/").status_code == 200
    ok = client.post("/accounts/2fa/verify/", {"code": code_for(device), "next": "/"})
    assert ok["Location"] == "/"
    # Verified now: the device page and backup codes open.
    assert client.get("/accounts/2fa/").status_code == 200
    assert client.post("/accounts/2fa/backup-codes/").status_code == 302  # then GET shows them
    assert client.post("/accounts/logout/").status_code == 302


def verified_client(user, device):
    client = Client()
    login(client, user.get_username())
    assert client.post("/accounts/2fa/login/", {"code": code_for(device)}).status_code == 302
    return client


def test_admin_login_form_is_never_shown_to_a_verified_non_staff_user(user_factory):
    user_factory("root", superuser=True, with_totp=True)
    plain = user_factory("nat", with_totp=True)
    device = plain.totp_device
    client = verified_client(plain, device)
    assert client.get("/admin/login/?next=/admin/").status_code == 403
    posted = client.post(
        "/admin/login/?next=/admin/", {"username": "root", "password": "pw-for-tests-1"}
    )
    assert posted.status_code == 403
    assert client.session["_auth_user_id"] == str(plain.pk)


def test_admin_login_never_authenticates_an_anonymous_post(user_factory):
    user_factory("root", superuser=True)
    client = Client()
    posted = client.post("/admin/login/", {"username": "root", "password": "pw-for-tests-1"})
    assert posted.status_code == 302
    assert posted["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert "_auth_user_id" not in client.session


def test_admin_login_sends_verified_staff_on(user_factory):
    staff = user_factory("root", superuser=True, with_totp=True)
    device = staff.totp_device
    client = verified_client(staff, device)
    response = client.get("/admin/login/?next=/admin/auth/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/auth/"
    outside = client.get("/admin/login/?next=https://evil.example/")
    assert outside["Location"] == "/admin/"
