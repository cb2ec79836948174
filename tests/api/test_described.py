"""The check of every API test's requests and answers against the caller's description
(conftest.py `api_described`, tests/api_description.py) catches what it is there to catch,
and the description's generated operations (HEAD, 405 with `Allow`, the trailing slash) hold
for every method on every path a manager's description names (issue 22)."""

import copy

import pytest
from rest_framework.response import Response

from api import discovery, views
from api.openapi_methods import METHODS
from tests.api_description import DescriptionMismatch
from tests.helpers import WWW_AUTHENTICATE

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(records_site, make_record, users):
    make_record("sales", "r1", {"title": "one"}, author=users["author"])
    return records_site


def test_an_answer_unlike_its_description_fails_the_test(api_client, sales, monkeypatch):
    monkeypatch.setattr(views.AppView, "get", lambda self, request, app_id: Response({"id": 1}))
    with pytest.raises(DescriptionMismatch, match=r"GET /api/v1/sales -> 200: the answer"):
        api_client("reader").get("/api/v1/sales")


def test_a_header_unlike_its_description_fails_the_test(api_client, sales, monkeypatch):
    def refuse_without_challenge(self, request, *args, **kwargs):
        return Response({"error": "go away"}, status=401)

    monkeypatch.setattr(views.RecordsView, "get", refuse_without_challenge)
    with pytest.raises(DescriptionMismatch, match="WWW-Authenticate|401"):
        api_client("reader").get("/api/v1/sales/records")


def test_an_operation_served_but_not_described_fails_the_test(api_client, sales, monkeypatch):
    def without_records(app, user, server):
        found = described(app, user, server)
        found["paths"].pop("/sales/records")
        return found

    described = discovery.description
    monkeypatch.setattr(discovery, "description", without_records)
    with pytest.raises(DescriptionMismatch, match="served, but not described for this caller"):
        api_client("reader").get("/api/v1/sales/records")


def test_a_request_the_description_refuses_but_the_server_takes_fails_the_test(
    api_client, sales, monkeypatch
):
    def at_most_one(app, user, server):
        found = copy.deepcopy(described(app, user, server))  # its parts are module constants
        limit = found["paths"]["/sales/records"]["get"]["parameters"][0]
        limit["schema"] = {**limit["schema"], "maximum": 1}
        return found

    described = discovery.description
    monkeypatch.setattr(discovery, "description", at_most_one)
    assert api_client("reader").get("/api/v1/sales/records?limit=1").status_code == 200
    with pytest.raises(DescriptionMismatch, match="served, but invalid by its description"):
        api_client("reader").get("/api/v1/sales/records?limit=2")


def test_a_refusal_of_an_undescribed_operation_passes(api_client, sales):
    """The description of a reader has no PUT of a record: the server's 403 agrees."""
    assert api_client("reader").put("/api/v1/sales/record/r9").status_code == 403
    response = api_client().get("/api/v1/sales/records")
    assert response.status_code == 401 and response["WWW-Authenticate"] == WWW_AUTHENTICATE


def test_every_method_on_every_described_path_answers_as_described(api_client, sales):
    """Each answer is checked by `api_described`; here, that each method was tried and the
    405s name the path's methods in `Allow`."""
    manager = api_client("manager")
    paths = manager.get("/api/v1/sales/openapi.json").json()["paths"]
    tried = 0
    for template, item in paths.items():
        path = "/api/v1" + template.replace("{record_id}", "r1").replace("{job_id}", "j1")
        for method in METHODS:
            if method in ("delete", "post", "put", "patch") and item.get(method, {}).get(
                "x-needs"
            ) not in (None, "nothing"):
                continue  # the writes are the other tests'; here: reads and refusals
            response = manager.generic(method.upper(), path)
            tried += 1
            if method in item and item[method]["operationId"].endswith("_405"):
                assert response.status_code == 405, (method, path, response.content)
                assert response["Allow"], (method, path)
    assert tried > 200
