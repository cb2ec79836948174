"""A Redis cache out of reach answers 503 with Retry-After, not 500 (contract §7)."""

import pytest

pytestmark = pytest.mark.django_db

CLOSED_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED_REDIS,
        }
    }


def test_a_login_with_the_cache_down_is_a_503(cache_down, user_factory, api_client):
    user_factory("tom")
    response = api_client(raise_request_exception=False).post(
        "/accounts/login/", {"login": "tom", "password": "wrong"}
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert b"Wait a few seconds and try again." in response.content


def test_an_api_request_with_the_cache_down_is_a_json_503(monkeypatch, api_client):
    import redis

    from web import middleware

    def fails(names):
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:1.")

    monkeypatch.setattr(middleware, "_synced", {})
    monkeypatch.setattr(middleware, "ensure_groups", fails)
    response = api_client(raise_request_exception=False).get("/api/v1/sales/records")
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response.json() == {"error": "the cache is unavailable; try again shortly"}
