"""allauth's own pages in the site's style (issue 14): labelled fields, errors beside them,
sentence case, destructive buttons in the quiet style."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"


def headings(html: str) -> list[str]:
    return re.findall(r"<h[12][^>]*>([^<]+)</h[12]>", html)


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/accounts/email/", "E-mail addresses"),
        ("/accounts/password/change/", "Change your password"),
        ("/accounts/3rdparty/", "Connected accounts"),
        ("/accounts/tokens/", "API tokens"),
    ],
)
def test_account_pages_are_headed_in_sentence_case(user_factory, api_client, url, heading):
    html = api_client(user_factory("ann")).get(url).content.decode()
    assert f"<h1>{heading}</h1>" in html
    assert f"<title>{heading} · " in html


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/accounts/login/", "Log in"),
        ("/accounts/signup/", "Sign up"),
        ("/accounts/password/reset/", "Reset your password"),
    ],
)
def test_entrance_pages_are_headed_in_sentence_case(client, site_dir, url, heading):
    assert f"<h1>{heading}</h1>" in client.get(url).content.decode()


def test_password_change_fields_have_labels_and_errors_beside_them(user_factory, api_client):
    client = api_client(user_factory("ann"))
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": "wrong", "password1": "x", "password2": "y"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_oldpassword">Current password</label>' in html
    assert '<label for="id_password1">New password</label>' in html
    assert '<label for="id_password2">New password (again)</label>' in html
    # The error sits in the field's own box, right after its input.
    assert re.search(
        r'<div class="field has-error">\s*<label for="id_oldpassword">Current password</label>'
        r'\s*<input[^>]*>\s*<span class="field-error" id="id_oldpassword_error">'
        r"Please type your current password.</span>",
        html,
    )
    assert 'placeholder="Current Password"' not in html  # no placeholder repeating the label


def test_email_page_remove_button_is_quiet_and_asks_first(user_factory, api_client):
    html = api_client(user_factory("ann")).get("/accounts/email/").content.decode()
    assert (
        '<button type="submit" name="action_remove" class="delete" '
        'data-confirm="Remove the selected e-mail address from your account?">Remove</button>'
    ) in html
    assert "Make primary" in html and "Make Primary" not in html
    assert "<h2>Add an e-mail address</h2>" in html


def test_login_errors_are_shown(client, site_dir, user_factory):
    user_factory("ann")
    response = client.post("/accounts/login/", {"login": "ann", "password": "nope"})
    html = response.content.decode()
    assert '<p class="field-error" role="alert">' in html
    assert "Username or email" in html  # a placeholder that adds to the label stays


def test_token_revoke_is_a_quiet_button(user_factory, api_client):
    from accounts import tokens

    user = user_factory("ann")
    tokens.create_token(user, name="ci")
    html = api_client(user).get("/accounts/tokens/").content.decode()
    assert '<button type="submit" class="delete">Revoke</button>' in html


def test_anonymous_pages_render_for_a_fresh_client(site_dir):
    assert Client().get("/accounts/password/reset/").status_code == 200
