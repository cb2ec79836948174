"""Every path under /api/ answers JSON, a route that matches nothing included (contract §4, §7);
a database locked or out of reach answers 503 with Retry-After, never a 500 (§7)."""

import pytest
from django.db.utils import InterfaceError, OperationalError

from records import store
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

BUSY = "the database is busy or unavailable; try again shortly"


@pytest.mark.parametrize(
    "path",
    ["/api", "/api/", "/api/v2/sales", "/api/nothing/here/", "/api/a%0Ab"],
)
def test_a_path_under_api_matching_no_route_is_a_json_404(api_client, records_site, path):
    response = api_client().get(path)
    assert_error(response, 404, f"no API route {response.wsgi_request.path}")


def test_a_newline_in_a_record_id_is_a_json_400(api_client, records_site):
    response = api_client("editor").get("/api/v1/sales/record/a%0Ab")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert "a\nb" in response.json()["error"]


def test_a_newline_in_an_app_id_is_a_json_404(api_client, records_site):
    assert_error(api_client("editor").get("/api/v1/sa%0Ales/records"), 404, "no app 'sa\nles'")


def test_a_page_path_outside_the_api_keeps_the_html_404(api_client, records_site):
    response = api_client().get("/nothing/here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "failure", [OperationalError("database is locked"), InterfaceError("connection already closed")]
)
def test_a_database_failure_in_an_api_write_is_a_503_with_retry_after(
    api_client, records_site, monkeypatch, failure
):
    def fails(**kwargs):
        raise failure

    monkeypatch.setattr(store, "record_create", fails)
    response = api_client("editor").post(
        "/api/v1/sales", {"title": "x"}, content_type="application/json"
    )
    assert_error(response, 503, BUSY)
    assert response["Retry-After"] == "2"


def test_a_database_failure_before_the_api_view_is_a_json_503(
    api_client, records_site, monkeypatch
):
    from web import middleware

    def fails(names):
        raise OperationalError("database is locked")

    monkeypatch.setattr(middleware, "_synced", {})
    monkeypatch.setattr(middleware, "ensure_groups", fails)
    client = api_client(raise_request_exception=False)
    response = client.get("/api/v1/sales/records")
    assert_error(response, 503, BUSY)
    assert response["Retry-After"] == "2"
    page = client.get("/")
    assert page.status_code == 503
    assert page["Retry-After"] == "2"
    assert b"Wait a few seconds and try again." in page.content


def test_an_unexpected_error_under_api_is_a_json_500(api_client, records_site, monkeypatch):
    from web import middleware

    def fails(names):
        raise RuntimeError("a bug")

    monkeypatch.setattr(middleware, "_synced", {})
    monkeypatch.setattr(middleware, "ensure_groups", fails)
    client = api_client(raise_request_exception=False)
    assert_error(client.get("/api/v1/sales/records"), 500, "internal server error")
