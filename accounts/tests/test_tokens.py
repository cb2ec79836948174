"""API tokens on the account page: made (shown once), listed, revoked."""

import pytest
from django.test import Client

from accounts import tokens
from accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def test_create_shows_the_token_once_and_lists_it(user_factory, api_client):
    user = user_factory("tia")
    client = api_client(user)
    assert "You have no API tokens." in client.get("/accounts/tokens/").content.decode()
    created = client.post("/accounts/tokens/", {"name": "CI job"})
    assert created.status_code == 302  # POST/redirect/GET: a reload makes no second token
    assert created["Location"] == "/accounts/tokens/"
    shown = client.get("/accounts/tokens/")
    assert "no-store" in shown["Cache-Control"]
    raw = shown.context["new_token"]
    html = shown.content.decode()
    assert "Token created. Copy it now: it is shown only once." in html
    assert raw in html
    assert tokens.user_for_token(raw) == user
    listed = client.get("/accounts/tokens/").content.decode()
    assert "CI job" in listed
    assert raw not in listed
    assert raw[:10] in listed


def test_a_reload_after_creating_makes_no_second_token(user_factory, api_client):
    user = user_factory("tom")
    client = api_client(user)
    response = client.post("/accounts/tokens/", {"name": "once"}, follow=True)
    assert response.redirect_chain == [("/accounts/tokens/", 302)]
    assert response.context["new_token"]
    reloaded = client.get("/accounts/tokens/")  # the browser's reload repeats the GET
    assert reloaded.context["new_token"] is None
    assert ApiToken.objects.filter(user=user).count() == 1


def test_an_invalid_token_form_answers_with_its_errors(user_factory, api_client):
    client = api_client(user_factory("ted"))
    response = client.post("/accounts/tokens/", {"name": "x" * 500})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_revoke(user_factory, api_client):
    user = user_factory("uma")
    token, raw = tokens.create_token(user, name="old")
    client = api_client(user)
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/", follow=True)
    assert "Token revoked." in response.content.decode()
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert tokens.user_for_token(raw) is None


def test_nobody_revokes_another_user_s_token(user_factory, api_client):
    owner = user_factory("vera")
    token, raw = tokens.create_token(owner)
    response = api_client(user_factory("walt")).post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    assert tokens.user_for_token(raw) == owner


def test_tokens_page_needs_a_login():
    response = Client().get("/accounts/tokens/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/tokens/"


def test_revoke_asks_first_and_the_question_revokes_nothing(user_factory, api_client):
    user = user_factory("xena")
    token, raw = tokens.create_token(user, name="nightly export")
    client = api_client(user)
    listed = client.get("/accounts/tokens/").content.decode()
    assert f'<form method="get" action="/accounts/tokens/{token.pk}/revoke/">' in listed
    question = client.get(f"/accounts/tokens/{token.pk}/revoke/")
    html = question.content.decode()
    assert question.status_code == 200
    assert "Revoke <strong>nightly export</strong>" in html
    assert f'action="/accounts/tokens/{token.pk}/revoke/">' in html
    assert 'href="/accounts/tokens/">Cancel</a>' in html
    assert tokens.user_for_token(raw) == user


def test_nobody_sees_the_question_for_another_user_s_token(user_factory, api_client):
    token, _ = tokens.create_token(user_factory("yves"), name="private name")
    response = api_client(user_factory("zoe")).get(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    assert "private name" not in response.content.decode()


# --- the audit trail ---------------------------------------------------------------------------


def test_made_and_revoked_tokens_are_in_the_audit_trail(user_factory, api_client):
    from accounts.models import SecurityEvent

    user = user_factory("yara")
    client = api_client(user)
    client.defaults["REMOTE_ADDR"] = "198.51.100.9"
    client.post("/accounts/tokens/", {"name": "CI job"})
    token = ApiToken.objects.get(user=user)
    client.post(f"/accounts/tokens/{token.pk}/revoke/")
    events = SecurityEvent.objects.order_by("id")
    assert [(e.kind, e.user, e.address, e.target, e.detail) for e in events] == [
        (
            "token_created",
            user,
            "198.51.100.9",
            f"token {token.prefix}",
            "named 'CI job' on the account page",
        ),
        ("token_revoked", user, "198.51.100.9", f"token {token.prefix}", "on the account page"),
    ]
