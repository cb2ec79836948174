"""The history routes (contract §9) as the description says them and as the server answers:
each answer of the server fits its described schema, for its described status."""

from __future__ import annotations

import jsonschema
import pytest
from openapi_spec_validator import validate

from api.openapi_methods import without_twins

ROUTES = {
    "/sales/record/{record_id}/history": "get",
    "/sales/record/{record_id}/restore": "post",
    "/sales/deleted": "get",
}


def description(client) -> dict:
    response = client.get("/api/v1/sales/openapi.json")
    assert response.status_code == 200
    return response.json()


def fits(doc: dict, path: str, method: str, response) -> None:
    """`response` is one the description gives for `path` and `method`, in its schema."""
    described = doc["paths"][path][method]["responses"]
    assert str(response.status_code) in described, (path, response.status_code)
    schema = described[str(response.status_code)]["content"]["application/json"]["schema"]
    jsonschema.validate(response.json(), {**schema, "components": doc["components"]})


def test_the_description_has_the_history_routes_for_who_may_use_them(records_site, api_client):
    editor, reader = description(api_client("editor")), description(api_client("reader"))
    validate(editor)
    assert {path: list(without_twins(editor["paths"])[path]) for path in ROUTES} == {
        "/sales/record/{record_id}/history": ["parameters", "get"],
        "/sales/record/{record_id}/restore": ["parameters", "post"],
        "/sales/deleted": ["get"],
    }
    assert "/sales/record/{record_id}/history" in reader["paths"]
    # A reader restores a record only with an edit share of it.
    assert reader["paths"]["/sales/record/{record_id}/restore"]["post"]["x-needs"] == "share"
    assert "/sales/deleted" not in reader["paths"]
    assert editor["paths"]["/sales/deleted"]["get"]["tags"] == ["history"]


def test_the_servers_answers_fit_the_description(records_site, api_client):
    editor = api_client("editor")
    doc = description(editor)
    history, restore = list(ROUTES)[:2]
    editor.post_json("/api/v1/sales", {"id": "r1", "title": "One"})
    editor.send("PATCH", "/api/v1/sales/record/r1", {"title": "Two"})
    fits(doc, history, "get", editor.get("/api/v1/sales/record/r1/history"))
    fits(doc, history, "get", editor.get("/api/v1/sales/record/nope/history"))
    fits(doc, history, "get", editor.get("/api/v1/sales/record/r1/history?limit=0"))
    fits(doc, restore, "post", editor.post_json("/api/v1/sales/record/r1/restore", {"version": 1}))
    fits(doc, restore, "post", editor.post_json("/api/v1/sales/record/r1/restore", {"v": 1}))
    stale = editor.post_json("/api/v1/sales/record/r1/restore", {"version": 1}, HTTP_IF_MATCH='"x"')
    fits(doc, restore, "post", stale)
    editor.delete("/api/v1/sales/record/r1")
    fits(doc, "/sales/deleted", "get", editor.get("/api/v1/sales/deleted"))
    undeleted = editor.post_json("/api/v1/sales/record/r1/restore", {"version": 2})
    assert undeleted.status_code == 201
    fits(doc, restore, "post", undeleted)
    fits(
        doc,
        restore,
        "post",
        api_client("stranger").post_json("/api/v1/sales/record/r1/restore", {"version": 1}),
    )


@pytest.mark.parametrize("path", ["/api/v1/sales/record/r1/history", "/api/v1/sales/deleted"])
def test_a_bad_page_is_a_400(records_site, api_client, path):
    editor = api_client("editor")
    editor.post_json("/api/v1/sales", {"id": "r1", "title": "One"})
    response = editor.get(f"{path}?offset=-1")
    assert response.status_code == 400
    assert response.json() == {"error": "offset must be a whole number >= 0, found '-1'"}


def test_history_pages_carry_a_link_to_the_next(records_site, api_client):
    editor = api_client("editor")
    editor.post_json("/api/v1/sales", {"id": "r1", "title": "One"})
    for n in range(3):
        editor.send("PATCH", "/api/v1/sales/record/r1", {"quantity": n})
    first = editor.get("/api/v1/sales/record/r1/history?limit=2")
    assert [v["version"] for v in first.json()] == [4, 3]
    link = first["Link"]
    assert link == '<http://testserver/api/v1/sales/record/r1/history?limit=2&offset=2>; rel="next"'
    second = editor.get(link[1 : link.index(">")])
    assert [v["version"] for v in second.json()] == [2, 1] and "Link" not in second
