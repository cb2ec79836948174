"""GET /health/: 200 after checking the database (and the cache with REDIS_URL), else 503
naming what failed (contract §7, "Running it")."""

import logging

import pytest
from django.db.utils import OperationalError

from site_config import health

pytestmark = pytest.mark.django_db

CLOSED_REDIS = "redis://127.0.0.1:1/0"  # port 1: nothing listens, the connection is refused


def test_health_is_ok_when_the_database_answers(api_client):
    response = api_client().get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_health_answers_whatever_the_host(api_client, settings):
    settings.ALLOWED_HOSTS = ["site.example.com"]
    assert api_client().get("/health/", HTTP_HOST="10.0.0.7:8000").status_code == 200


class BrokenConnection:
    def cursor(self):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed')


def test_health_names_the_database_when_it_fails(api_client, monkeypatch, caplog):
    monkeypatch.setattr(health, "connection", BrokenConnection())
    caplog.set_level(logging.WARNING, logger="site_config")
    response = api_client().get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["database"]}
    assert "health check: the database failed" in caplog.text
    assert "port 5432 failed" in caplog.text  # the log has the details, the answer does not


def test_health_checks_the_cache_only_with_redis(api_client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED_REDIS,
        }
    }
    settings.REDIS_URL = ""
    assert api_client().get("/health/").status_code == 200
    settings.REDIS_URL = CLOSED_REDIS
    response = api_client().get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["cache"]}


def test_other_methods_go_on_to_the_site(api_client):
    assert api_client().post("/health/").status_code != 200
