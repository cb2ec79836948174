"""Static files (the admin's CSS) are served by the application itself after collectstatic,
under cache-busting names and compressed (contract §7, "Running it")."""

import pytest
from django.test import Client

from .conftest import clean_env, manage

MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    env = clean_env(DEBUG="0", SECRET_KEY="collectstatic-only", STATIC_ROOT=root)
    result = manage("collectstatic", "--noinput", env=env)
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def collected(settings, static_root):
    settings.STATIC_ROOT = static_root
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    from django.contrib.staticfiles.storage import staticfiles_storage

    return staticfiles_storage


def test_the_admin_css_is_served_with_a_hashed_name_and_a_long_expiry(collected):
    url = collected.url("admin/css/base.css")
    assert url.startswith("/static/admin/css/base.") and url != "/static/admin/css/base.css"
    response = Client().get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert response["Content-Encoding"] == "gzip"
    assert "max-age=315360000" in response["Cache-Control"]
    assert "immutable" in response["Cache-Control"]


def test_the_unhashed_name_is_served_too_with_a_short_expiry(collected):
    response = Client().get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert "max-age=315360000" not in response["Cache-Control"]


def test_production_settings_use_the_compressed_manifest_storage():
    from site_config import settings as production

    assert production.STORAGES["staticfiles"]["BACKEND"] == MANIFEST_STORAGE
