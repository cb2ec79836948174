"""Google, Facebook and Microsoft as the tests fake them: the providers' HTTP answers, replaced
at the transport (requests' HTTPAdapter.send); allauth's views and callbacks run for real.
The `provider_keys` fixture (accounts/tests/conftest.py) gives every provider an app."""

import json
from urllib.parse import parse_qs, urlsplit

import requests

ENDPOINTS = {
    "google": {
        "token": ("POST", "https://oauth2.googleapis.com/token"),
        "profile": ("GET", "https://www.googleapis.com/oauth2/v2/userinfo"),
        "authorize": "https://accounts.google.com/o/oauth2/v2/auth",
    },
    "facebook": {
        "token": ("GET", "https://graph.facebook.com/"),
        "profile": ("GET", "https://graph.facebook.com/"),
        "authorize": "https://www.facebook.com/",
    },
    "microsoft": {
        "token": ("POST", "https://login.microsoftonline.com/common/oauth2/v2.0/token"),
        "profile": ("GET", "https://graph.microsoft.com/v1.0/me"),
        "authorize": "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
    },
}


def profile(provider, uid, email, verified=True):
    if provider == "google":
        return {"id": uid, "email": email, "verified_email": verified, "name": "Gina Google"}
    if provider == "facebook":
        return {"id": uid, "email": email, "name": "Fay Book", "first_name": "Fay"}
    return {"id": uid, "mail": email, "displayName": "Mia Soft", "userPrincipalName": email}


class FakeProvider:
    """Answers allauth's HTTP requests the way the provider would; records them."""

    def __init__(self, monkeypatch, provider, answer):
        self.provider = provider
        self.answer = answer
        self.calls = []
        fake = self

        def send(adapter, request, **kwargs):
            return fake.send(request)

        monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)

    def send(self, request):
        self.calls.append((request.method, request.url))
        token_method, token_url = ENDPOINTS[self.provider]["token"]
        is_token = request.method == token_method and request.url.startswith(token_url)
        if self.provider == "facebook":
            is_token = "/oauth/access_token" in request.url
        body = {"access_token": "fake-access-token", "token_type": "Bearer", "expires_in": 3600}
        if not is_token:
            assert request.url.startswith(ENDPOINTS[self.provider]["profile"][1]), request.url
            assert request.headers.get("Authorization") == "Bearer fake-access-token" or (
                "access_token=fake-access-token" in request.url
            )
            body = self.answer
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        response.url = request.url
        response.request = request
        return response


def sign_in_with(client, provider, monkeypatch, answer):
    fake = FakeProvider(monkeypatch, provider, answer)
    start = client.post(f"/accounts/{provider}/login/", {"process": "login"})
    assert start.status_code == 302, start.content[:500]
    assert start["Location"].startswith(ENDPOINTS[provider]["authorize"])
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    callback = client.get(
        f"/accounts/{provider}/login/callback/", {"code": "the-code", "state": state}
    )
    return callback, fake
