"""Every row of the API table (contract §4) for every right (contract §5), through the client."""

import pytest

from records.models import Record

pytestmark = pytest.mark.django_db

WHO = ("anon", "reader", "author", "author2", "editor", "manager", "stranger", "root")


@pytest.fixture
def seeded(make_record, users):
    """sales/r1 by `author`, sales/r2 by `author2`, open/o1, public/p1."""
    make_record("sales", "r1", {"title": "one", "price": 1}, author=users["author"])
    make_record("sales", "r2", {"title": "two", "price": 2}, author=users["author2"])
    make_record("open", "o1", {"name": "x"})
    make_record("public", "p1", {"text": "hi"})


def client_of(api_client, who):
    return api_client(None if who == "anon" else who)


def expect(response, status, action, app="sales"):
    """The status, and for a refusal the whole error body."""
    assert response.status_code == status, response.content
    if status == 401:
        assert response.json() == {
            "error": f"authentication required to {action} records of app '{app}'"
        }
        assert response["WWW-Authenticate"] == 'Basic realm="api", Bearer realm="api"'
    elif status == 403:
        assert response.json() == {"error": f"you may not {action} records of app '{app}'"}


def statuses(allowed: int, *, allow: tuple, anon=401, others=403) -> dict:
    found = {who: (allowed if who in allow else others) for who in WHO}
    if "anon" not in allow:
        found["anon"] = anon
    return found


READ = ("reader", "author", "author2", "editor", "manager", "root")
CREATE = ("author", "author2", "editor", "manager", "root")
EDIT_OWN = ("author", "editor", "manager", "root")  # r1 is author's own, author2's others'
EDITORS = ("editor", "manager", "root")
MANAGERS = ("manager", "root")


@pytest.mark.parametrize(("who", "status"), statuses(200, allow=READ).items())
def test_list_records(api_client, seeded, who, status):
    response = client_of(api_client, who).get("/api/v1/sales/records")
    expect(response, status, "view")
    if status == 200:
        assert response.json() == [
            {
                "id": "r1",
                "path": "http://testserver/api/v1/sales/record/r1",
                "items": {"id": "r1", "title": "one", "price": 1, "_author": "author"},
            },
            {
                "id": "r2",
                "path": "http://testserver/api/v1/sales/record/r2",
                "items": {"id": "r2", "title": "two", "price": 2, "_author": "author2"},
            },
        ]
        # The list's items are what GET record/<id> answers (contract §4).
        one = client_of(api_client, who).get("/api/v1/sales/record/r1").json()
        assert response.json()[0]["items"] == one


@pytest.mark.parametrize(("who", "status"), statuses(200, allow=READ).items())
def test_get_record(api_client, seeded, who, status):
    response = client_of(api_client, who).get("/api/v1/sales/record/r1")
    expect(response, status, "view")
    if status == 200:
        assert response.json() == {"id": "r1", "title": "one", "price": 1, "_author": "author"}
        record = Record.objects.get(app_id="sales", record_id="r1")
        assert response["ETag"] == record.etag  # opaque: test_api.py


@pytest.mark.parametrize(("who", "status"), statuses(201, allow=CREATE).items())
def test_create_record_on_app(api_client, seeded, who, status):
    response = client_of(api_client, who).send("POST", "/api/v1/sales", {"id": "new", "title": "n"})
    expect(response, status, "create")
    if status == 201:
        assert response.json() == {
            "success": "created",
            "id": "new",
            "path": "http://testserver/api/v1/sales/record/new",
        }
        record = Record.objects.get(app_id="sales", record_id="new")
        assert record.items == {"title": "n", "_author": "root" if who == "root" else who}
        assert record.author.username == (who if who != "root" else "root")
    else:
        assert not Record.objects.filter(record_id="new").exists()


@pytest.mark.parametrize(("who", "status"), statuses(201, allow=CREATE).items())
def test_put_record(api_client, seeded, who, status):
    response = client_of(api_client, who).send("PUT", "/api/v1/sales/record/put-1", {"title": "p"})
    expect(response, status, "create")
    assert Record.objects.filter(record_id="put-1").exists() == (status == 201)
    if status == 201:
        assert response.json()["path"] == "http://testserver/api/v1/sales/record/put-1"


@pytest.mark.parametrize(("who", "status"), statuses(201, allow=CREATE).items())
def test_bulk_create(api_client, seeded, who, status):
    body = [{"id": "b1", "title": "x"}, {"title": "no id"}]
    response = client_of(api_client, who).send("POST", "/api/v1/sales/records", body)
    expect(response, status, "create")
    if status == 201:
        assert response.json() == {"success": "created", "total": 2}
    assert Record.objects.filter(app_id="sales").count() == (4 if status == 201 else 2)


@pytest.mark.parametrize(("who", "status"), statuses(200, allow=EDIT_OWN).items())
def test_patch_record(api_client, seeded, who, status):
    response = client_of(api_client, who).send("PATCH", "/api/v1/sales/record/r1", {"price": 5})
    expect(response, status, "edit")
    record = Record.objects.get(app_id="sales", record_id="r1")
    if status == 200:
        assert response.json() == {"success": "updated"}
        assert record.items == {"title": "one", "price": 5, "_author": "author"}
        assert record.version == 2
        assert response["ETag"] == record.etag
    else:
        assert record.items["price"] == 1 and record.version == 1


@pytest.mark.parametrize(("who", "status"), statuses(200, allow=EDIT_OWN).items())
def test_post_to_record_updates(api_client, seeded, who, status):
    response = client_of(api_client, who).send("POST", "/api/v1/sales/record/r1/", {"price": 7})
    expect(response, status, "edit")
    assert Record.objects.get(record_id="r1").items["price"] == (7 if status == 200 else 1)


def test_author_may_not_edit_or_delete_others_record(api_client, seeded):
    client = api_client("author")
    expect(client.send("PATCH", "/api/v1/sales/record/r2", {"price": 9}), 403, "edit")
    expect(client.delete("/api/v1/sales/record/r2"), 403, "delete")
    assert Record.objects.get(record_id="r2").items["price"] == 2


@pytest.mark.parametrize(("who", "status"), statuses(200, allow=EDIT_OWN).items())
def test_delete_record(api_client, seeded, who, status):
    response = client_of(api_client, who).delete("/api/v1/sales/record/r1")
    expect(response, status, "delete")
    if status == 200:
        assert response.json() == {"success": "deleted"}
    assert Record.objects.filter(record_id="r1").exists() == (status != 200)


@pytest.mark.parametrize(("who", "status"), statuses(200, allow=EDITORS).items())
def test_delete_all_records(api_client, seeded, who, status):
    response = client_of(api_client, who).delete("/api/v1/sales/records")
    expect(response, status, "delete all")
    if status == 200:
        assert response.json() == {"success": "deleted"}
    assert Record.objects.filter(app_id="sales").count() == (0 if status == 200 else 2)
    assert Record.objects.filter(app_id="open").count() == 1  # other apps untouched


@pytest.mark.parametrize(("who", "status"), statuses(200, allow=READ).items())
def test_search(api_client, seeded, who, status):
    response = client_of(api_client, who).send("POST", "/api/v1/sales/search", {"query": ""})
    expect(response, status, "view")
    if status == 200:
        assert [r["id"] for r in response.json()] == ["r1", "r2"]


@pytest.mark.parametrize(("who", "status"), statuses(200, allow=MANAGERS).items())
def test_refresh(api_client, seeded, who, status):
    response = client_of(api_client, who).post("/api/v1/sales/refresh")
    expect(response, status, "manage")
    if status == 200:
        assert response.json() == {
            "success": "refresh",
            "indexes": ["id", "price", "title", "total"],
        }


@pytest.mark.parametrize("who", WHO)
def test_app_description_needs_nothing(api_client, seeded, who):
    response = client_of(api_client, who).get("/api/v1/sales")
    assert response.status_code == 200
    body = response.json()
    expected = {
        "id": "sales",
        "title": "Sales",
        "blocks": ["order", "secret"],
        "indexes": ["id", "price", "title", "total"],
    }
    if who in MANAGERS:
        expected["acl"] = {
            "rights": {
                "reader": ["readers"],
                "author": ["authors"],
                "editor": ["editors"],
                "manager": ["managers"],
            },
            "roles": {"PurchaseManager": ["eric", "buyers"]},
            "row_owners": [],
        }
    assert body == expected
    assert len(response["X-CSRF-Token"]) == 64


# --- an app with no ACL: only managers (superusers) -------------------------------------------

NO_ACL_ROWS = [
    ("GET", "/api/v1/open/records", None, "view"),
    ("POST", "/api/v1/open/records", [{"name": "y"}], "create"),
    ("DELETE", "/api/v1/open/records", None, "delete all"),
    ("GET", "/api/v1/open/record/o1", None, "view"),
    ("PUT", "/api/v1/open/record/o2", {"name": "y"}, "create"),
    ("PATCH", "/api/v1/open/record/o1", {"name": "y"}, "edit"),
    ("DELETE", "/api/v1/open/record/o1", None, "delete"),
    ("POST", "/api/v1/open/search", {}, "view"),
    ("POST", "/api/v1/open", {"name": "y"}, "create"),
    ("POST", "/api/v1/open/refresh", None, "manage"),
]


@pytest.mark.parametrize(("method", "path", "body", "action"), NO_ACL_ROWS)
@pytest.mark.parametrize(("who", "status"), [("anon", 401), ("editor", 403), ("stranger", 403)])
def test_no_acl_refuses_everyone_but_managers(
    api_client, seeded, method, path, body, action, who, status
):
    response = client_of(api_client, who).send(method, path, body)
    expect(response, status, action, app="open")
    assert list(Record.objects.filter(app_id="open").values_list("record_id", "items")) == [
        ("o1", {"name": "x"})
    ]


@pytest.mark.parametrize(("method", "path", "body", "action"), NO_ACL_ROWS)
def test_no_acl_superuser_is_manager(api_client, seeded, method, path, body, action):
    response = api_client("root").send(method, path, body)
    assert response.status_code in (200, 201), response.content


# --- public app: reader '*', author authenticated ---------------------------------------------


def test_public_app_anonymous_reads_but_may_not_write(api_client, seeded):
    anon = api_client()
    assert anon.get("/api/v1/public/record/p1").json() == {"id": "p1", "text": "hi"}
    assert [r["id"] for r in anon.get("/api/v1/public/records").json()] == ["p1"]
    expect(anon.send("POST", "/api/v1/public", {"text": "x"}), 401, "create", app="public")
    expect(anon.send("PATCH", "/api/v1/public/record/p1", {"text": "x"}), 401, "edit", app="public")


def test_public_app_signed_in_user_creates_and_edits_own(api_client, seeded):
    client = api_client("stranger")
    created = client.send("POST", "/api/v1/public", {"text": "mine"}).json()
    assert (
        client.send("PATCH", f"/api/v1/public/record/{created['id']}", {"text": "x"}).status_code
        == 200
    )
    expect(
        client.send("PATCH", "/api/v1/public/record/p1", {"text": "x"}), 403, "edit", app="public"
    )


# --- blocks through the API -------------------------------------------------------------------


def test_block_description(api_client, seeded):
    response = api_client().get("/api/v1/sales/blocks/order")
    assert response.json() == {
        "id": "order",
        "title": "Order",
        "elements": {
            "title": {"type": "TEXT", "label": "Title", "mode": "EDITABLE", "index_type": "text"},
            "price": {
                "type": "NUMBER",
                "label": "Price",
                "mode": "EDITABLE",
                "index_type": "field",
            },
            "quantity": {"type": "NUMBER", "label": "Quantity", "mode": "EDITABLE"},
            "due": {"type": "DATETIME", "label": "Due", "mode": "EDITABLE"},
            "total": {
                "type": "NUMBER",
                "label": "Total",
                "mode": "COMPUTED_ON_SAVE",
                "index_type": "field",
            },
            "number": {"type": "TEXT", "label": "Number", "mode": "COMPUTED_ON_CREATION"},
        },
    }


@pytest.mark.parametrize(
    ("who", "status", "error"),
    [
        ("anon", 401, "authentication required to see block 'sales/secret'"),
        ("reader", 403, "you may not see block 'sales/secret'"),
        ("manager", 200, None),
        ("root", 200, None),
    ],
)
def test_block_view_permission(api_client, seeded, who, status, error):
    for path in ("/api/v1/sales/blocks/secret", "/api/v1/sales/blocks/secret/code"):
        response = client_of(api_client, who).get(path)
        assert response.status_code == status
        if error:
            assert response.json() == {"error": error}
    if status == 200:
        assert client_of(api_client, who).get("/api/v1/sales/blocks/secret/code/").json() == 42
        assert client_of(api_client, who).post("/api/v1/sales/blocks/secret/code").json() == 42
