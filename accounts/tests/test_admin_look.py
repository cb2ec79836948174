"""The admin as a newcomer sees it: the site's name on it, the account models in one
"Accounts" section under readable names, and no AnonymousUser among the users."""

import re

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(user_factory, site_dir):
    """A superuser's client, second factor passed, on a site titled "Likes"."""
    site_dir.write("settings.yaml", "title: Likes\ngroups: [admins]\n")
    root = user_factory("root", superuser=True, with_totp=True)
    client = Client()
    client.force_login(root)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = root.totp_device.persistent_id
    session.save()
    return client


def sections(html: str) -> dict[str, list[str]]:
    """The admin index: section caption -> the names of its models."""
    found = {}
    for caption, body in re.findall(
        r"<caption>\s*<a[^>]*>([^<]+)</a>\s*</caption>(.*?)</table>", html, re.S
    ):
        found[caption.strip()] = re.findall(r'<th scope="row"[^>]*>\s*<a [^>]*>([^<]+)</a>', body)
    return found


def test_the_admin_wears_the_site_s_title(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "<title>Site administration | Likes admin</title>" in html
    assert '<div id="site-name"><a href="/admin/">Likes administration</a></div>' in html
    assert "Django" not in re.sub(r"<script.*?</script>|<link[^>]*>", "", html, flags=re.S)


def test_one_accounts_section_with_readable_names(admin_client):
    found = sections(admin_client.get("/admin/").content.decode())
    assert list(found) == ["Accounts", "Background tasks", "Records", "Social Accounts"]
    assert found["Background tasks"] == ["Queued and finished tasks (imports)"]
    assert found["Accounts"] == [
        "API tokens",
        "Authenticator apps (second factor)",
        "Backup codes (second factor)",
        "Email addresses",
        "Groups",
        "Security events",
        "Users",
    ]


def test_a_section_page_has_readable_names_too(admin_client):
    html = admin_client.get("/admin/otp_totp/").content.decode()
    assert "Otp_Totp" not in html and "OTP_TOTP" not in html
    assert "Authenticator apps (second factor)" in html


def test_the_user_list_leaves_out_guardian_s_anonymous_user(admin_client, user_factory):
    from django.contrib.auth import get_user_model

    user_factory("ann")
    assert get_user_model().objects.filter(username="AnonymousUser").exists()
    html = admin_client.get("/admin/auth/user/").content.decode()
    assert "ann" in html
    assert "AnonymousUser" not in html
    assert (
        admin_client.get("/admin/auth/user/?q=Anonymous")
        .content.decode()
        .count('class="field-username"')
        == 0
    )
