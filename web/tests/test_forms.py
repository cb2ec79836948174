"""Blocks as forms and the record routes, end to end (contract §2, §3)."""

import json

import pytest

from accounts.models import SecurityEvent
from records import rls, store
from records.models import Record
from site_model.loader import current_site
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

FORM = {
    "_save": "1",
    "title": "My Order",
    "price": "2.5",
    "quantity": "4",
    "due": "2026-01-02T10:30",
}


def calls():
    return current_site().block("sales", "order").code.CALLS


def test_form_end_to_end(records_site, api_client):
    client = api_client("author")
    assert 'name="price"' in client.get("/").content.decode()

    # save: a new record, named by record_id(), formulas and on_save once each
    response = client.post("/apps/sales/blocks/order/", FORM)
    assert response.status_code == 302
    assert response["Location"] == "/apps/sales/records/my-order/"
    record = Record.objects.get(app_id="sales")
    assert record.record_id == "my-order"
    assert record.items == {
        "title": "My Order",
        "price": 2.5,
        "quantity": 4,
        "due": "2026-01-02T10:30:00+00:00",
        "number": "N-1",
        "total": 10.0,
        "block": "order",
        "_author": "author",
    }
    assert record.block_id == "order" and record.author.username == "author"
    assert calls() == [
        ("record_id", "My Order"),
        ("total", None),
        ("number", None),
        ("on_save", "my-order"),
    ]

    # view: read mode, values and an edit link, no inputs
    html = client.get("/apps/sales/records/my-order/").content.decode()
    assert '<span class="value" data-element="total">10.0</span>' in html
    assert '<span class="value" data-element="title">My Order</span>' in html
    assert '<a class="action edit" href="/apps/sales/records/my-order/edit/">Edit</a>' in html
    assert '<input type="text"' not in html

    # edit: widgets holding the values, posting back to the edit route
    html = client.get("/apps/sales/records/my-order/edit/").content.decode()
    assert 'action="/apps/sales/records/my-order/edit/"' in html
    assert 'name="price" id="f-sales-order-price" value="2.5"' in html
    assert 'name="due" id="f-sales-order-due" value="2026-01-02T10:30"' in html
    assert 'name="_delete"' in html

    # save again: COMPUTED_ON_SAVE runs again, COMPUTED_ON_CREATION does not
    del calls()[:]
    response = client.post("/apps/sales/records/my-order/edit/", {**FORM, "price": "3"})
    assert response["Location"] == "/apps/sales/records/my-order/"
    record.refresh_from_db()
    assert record.items["total"] == 12 and record.items["number"] == "N-1" and record.version == 2
    assert calls() == [("total", "my-order"), ("on_save", "my-order")]

    # delete: first a confirmation, which deletes nothing
    del calls()[:]
    response = client.post("/apps/sales/records/my-order/edit/", {"_delete": "1"})
    assert response.status_code == 200 and calls() == [] and Record.objects.exists()
    assert 'name="_confirm"' in response.content.decode()
    # confirmed: on_delete once, then gone, back on the page holding the block, with a message
    response = client.post(
        "/apps/sales/records/my-order/edit/", {"_delete": "1", "_confirm": "1"}, follow=True
    )
    assert response.redirect_chain == [("/", 302)]
    assert "Deleted “My Order”." in response.content.decode()
    assert calls() == [("on_delete", "my-order")]
    assert not Record.objects.exists()
    assert client.get("/apps/sales/records/my-order/").status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("price", "abc", "Enter a number, not &#x27;abc&#x27;."),
        ("price", "1e999", "Enter a finite number, not &#x27;1e999&#x27;."),
        ("due", "tomorrow", "Enter a date and time as YYYY-MM-DDTHH:MM, not &#x27;tomorrow&#x27;."),
        (
            "due",
            "2026-13-40T10:00",
            "Enter a date and time as YYYY-MM-DDTHH:MM, not &#x27;2026-13-40T10:00&#x27;.",
        ),
    ],
)
def test_bad_input_re_renders_with_the_message_and_saves_nothing(
    records_site, api_client, field, value, message
):
    client = api_client("author")
    response = client.post("/apps/sales/blocks/order/", {**FORM, field: value})
    assert response.status_code == 400  # the form again, its message beside the field
    html = response.content.decode()
    assert (
        f'<span class="field-error" id="f-sales-order-{field}-error" role="alert">{message}</span>'
        in html
    )
    assert f'value="{value}"' in html  # what was typed stays in the field
    assert 'value="My Order"' in html
    assert not Record.objects.exists()
    assert calls() == []


def test_bad_input_on_edit_changes_nothing(records_site, api_client):
    client = api_client("author")
    client.post("/apps/sales/blocks/order/", FORM)
    response = client.post("/apps/sales/records/my-order/edit/", {**FORM, "price": "x"})
    assert response.status_code == 400
    assert "Enter a number, not &#x27;x&#x27;." in response.content.decode()
    assert Record.objects.get().items["price"] == 2.5


def test_record_id_hook_suffixes_taken_ids(records_site, api_client):
    client = api_client("author")
    locations = [client.post("/apps/sales/blocks/order/", FORM)["Location"] for _ in range(3)]
    assert locations == [
        "/apps/sales/records/my-order/",
        "/apps/sales/records/my-order-1/",
        "/apps/sales/records/my-order-2/",
    ]


def test_on_save_redirect(records_site, api_client):
    response = api_client("author").post("/apps/sales/blocks/order/", {**FORM, "title": "go away"})
    assert response["Location"] == "/elsewhere/"
    assert Record.objects.get().record_id == "go-away"


def test_htmx_save_answers_a_client_redirect(records_site, api_client):
    response = api_client("author").post("/apps/sales/blocks/order/", FORM, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == "/apps/sales/records/my-order/"


def test_edit_button_redirects_to_edit_route(records_site, api_client):
    client = api_client("author")
    client.post("/apps/sales/blocks/order/", FORM)
    response = client.post("/apps/sales/records/my-order/", {"_edit": "1"})
    assert response["Location"] == "/apps/sales/records/my-order/edit/"


# --- the same rights as the API -----------------------------------------------------------------


def test_save_needs_create_right(records_site, api_client):
    response = api_client().post("/apps/sales/blocks/order/", FORM)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/apps/sales/blocks/order/"
    assert api_client("reader").post("/apps/sales/blocks/order/", FORM).status_code == 403
    assert not Record.objects.exists()


@pytest.fixture
def order(records_site, api_client):
    api_client("author").post("/apps/sales/blocks/order/", FORM)
    del calls()[:]
    return Record.objects.get()


@pytest.mark.parametrize(
    ("who", "view", "edit"),
    [
        ("anon", 302, 302),
        ("stranger", 403, 403),
        ("reader", 200, 403),
        ("author", 200, 200),
        ("author2", 200, 403),
        ("editor", 200, 200),
        ("manager", 200, 200),
    ],
)
def test_record_routes_follow_the_acl(api_client, order, who, view, edit):
    client = api_client(None if who == "anon" else who)
    response = client.get("/apps/sales/records/my-order/")
    assert response.status_code == view
    if view == 302:
        assert response["Location"] == "/accounts/login/?next=/apps/sales/records/my-order/"
    assert client.get("/apps/sales/records/my-order/edit/").status_code == edit
    assert client.post(
        "/apps/sales/records/my-order/edit/", {**FORM, "price": "9"}
    ).status_code == (302 if edit in (200, 302) else 403)
    assert client.post(
        "/apps/sales/records/my-order/edit/", {"_delete": "1", "_confirm": "1"}
    ).status_code == (302 if edit in (200, 302) else 403)
    survived = Record.objects.filter(pk=order.pk).first()
    if edit == 200:
        assert survived is None  # saved, then deleted
        assert calls() == [
            ("total", "my-order"),
            ("on_save", "my-order"),
            ("on_delete", "my-order"),
        ]
    else:
        assert survived.items["price"] == 2.5
        assert calls() == []


def test_record_routes_404_and_400(api_client, order):
    client = api_client("editor")
    assert client.get("/apps/sales/records/nope/").status_code == 404
    assert client.get("/apps/nope/records/my-order/").status_code == 404
    assert client.get("/apps/sales/records/a%20b/").status_code == 400
    assert client.get("/apps/sales/records/..../edit/").status_code == 400


def test_record_in_app_without_acl(api_client, make_record):
    make_record("open", "o1", {"name": "x"})
    assert api_client().get("/apps/open/records/o1/").status_code == 302
    assert api_client("editor").get("/apps/open/records/o1/").status_code == 403
    response = api_client("root").get("/apps/open/records/o1/")
    assert response.status_code == 200
    assert "<tr><th>name</th><td>x</td></tr>" in response.content.decode()
    assert api_client("root").get("/apps/open/records/o1/edit/").status_code == 404


def test_block_view_permission_guards_its_records(api_client, records_site):
    records_site.write("apps/sales/blocks/secret.py", "def code(context):\n    return 42\n")
    api_client("root").post("/apps/sales/blocks/secret/", {"_save": "1", "note": "n"})
    record = Record.objects.get()
    assert record.block_id == "secret"
    assert api_client("editor").get(f"/apps/sales/records/{record.record_id}/").status_code == 403
    assert api_client("manager").get(f"/apps/sales/records/{record.record_id}/").status_code == 200


# --- on_delete on every path ------------------------------------------------------------------


def test_on_delete_runs_on_api_delete(order, api_client):
    assert api_client("editor").delete("/api/v1/sales/record/my-order").status_code == 200
    assert calls() == [("on_delete", "my-order")]


def test_on_delete_runs_on_api_delete_all(order, api_client):
    api_client("author").post("/apps/sales/blocks/order/", {**FORM, "title": "second"})
    del calls()[:]
    assert api_client("editor").delete("/api/v1/sales/records").status_code == 200
    assert sorted(calls()) == [("on_delete", "my-order"), ("on_delete", "second")]
    assert not Record.objects.exists()


def test_on_delete_error_deletes_nothing(order, api_client, records_site):
    code = (records_site.root / "apps/sales/blocks/order.py").read_text()
    records_site.write(
        "apps/sales/blocks/order.py",
        code.replace('CALLS.append(("on_delete"', 'raise ValueError("kept")\n    (("on_delete"'),
    )
    response = api_client("editor").delete("/api/v1/sales/record/my-order")
    assert response.status_code == 500
    assert response.json() == {"error": "the site's block code failed"}
    assert Record.objects.filter(pk=order.pk).exists()


def test_api_writes_do_not_run_block_formulas(order, api_client):
    response = api_client("editor").patch(
        "/api/v1/sales/record/my-order", json.dumps({"price": 100}), content_type="application/json"
    )
    assert response.status_code == 200
    assert Record.objects.get().items["total"] == 10.0
    assert calls() == []


# --- the edit race: the record deleted between the route's read and the save -----------------


@pytest.fixture
def deleted_meanwhile(monkeypatch):
    """`store.record_save` as another request's delete leaves it: the row gone before the lock."""
    save = store.record_save

    def save_after_a_delete(*, record, **kwargs):
        with rls.trusted():  # another request's delete: the store's, as the server (§12)
            Record.objects.filter(pk=record.pk).delete()
        return save(record=record, **kwargs)

    monkeypatch.setattr(store, "record_save", save_after_a_delete)


def test_a_record_deleted_while_saved_on_its_edit_page_is_a_404_page(
    order, api_client, deleted_meanwhile
):
    response = api_client("author").post(
        "/apps/sales/records/my-order/edit/", {**FORM, "price": "9"}
    )
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert not Record.objects.exists()
    assert calls() == []  # neither a formula nor on_save ran
    event = SecurityEvent.objects.values_list("kind", "target", "status", "detail").get()
    assert event == (
        "access_refused",
        "sales/my-order",
        404,
        "POST /apps/sales/records/my-order/edit/: no record 'my-order' in app 'sales'",
    )


def test_a_record_deleted_while_saved_through_the_api_is_a_json_404(
    order, api_client, deleted_meanwhile
):
    response = api_client("author").patch(
        "/api/v1/sales/record/my-order", json.dumps({"price": 9}), content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json() == {"error": "no record 'my-order' in app 'sales'"}


def test_an_owner_item_a_formula_overfills_is_a_400_not_a_500(records_site, api_client):
    from tests.sites import SALES_ACL

    records_site.write("apps/sales/settings.yaml", SALES_ACL + "  row_owners: [team]\n")
    records_site.write(
        "apps/sales/blocks/crowd.yaml",
        "elements:\n  note: TEXT\n  team: {type: TEXT, mode: COMPUTED_ON_SAVE}\n",
    )
    records_site.write(
        "apps/sales/blocks/crowd.py",
        "def team(context):\n    return [f'u{n}' for n in range(101)]\n",
    )
    response = api_client("author").post("/apps/sales/blocks/crowd/", {"_save": "1", "note": "n"})
    assert (response.status_code, response.content.decode()) == (
        400,
        "item 'team': an owner item holds at most 100 values, found 101",
    )
    assert not Record.objects.exists()


# --- a record's block is set when it is created (issue 10 follow-up, F4) -----------------------

MOVED = "the block item cannot change: record 'my-order' was created through block 'order'"


@pytest.fixture
def sharer(order, api_client):
    """`reader` holds a view+edit share on my-order."""
    shared = api_client("editor").send(
        "POST",
        "/api/v1/sales/record/my-order/share",
        {"principal": "reader", "permissions": ["view", "edit"]},
    )
    assert shared.status_code == 200, shared.content
    return api_client("reader")


@pytest.mark.parametrize("who", ["editor", "author", "sharer"])
@pytest.mark.parametrize("method", ["PATCH", "POST"])
def test_an_update_cannot_move_a_record_to_another_block_to_skip_on_delete(
    order, api_client, sharer, who, method
):
    client = sharer if who == "sharer" else api_client(who)
    response = client.send(method, "/api/v1/sales/record/my-order", {"block": "secret"})
    assert_error(response, 400, MOVED)
    order.refresh_from_db()
    assert (order.block_id, order.items["block"], order.version) == ("order", "order", 1)
    # so deleting it still runs the on_delete of the block it was created through
    assert api_client("editor").delete("/api/v1/sales/record/my-order").status_code == 200
    assert calls() == [("on_delete", "my-order")]


def test_an_update_may_send_the_record_s_own_block_back(order, api_client):
    body = {"block": "order", "price": 3}
    response = api_client("editor").send("PATCH", "/api/v1/sales/record/my-order", body)
    assert response.status_code == 200, response.content
    order.refresh_from_db()
    assert (order.block_id, order.items["price"]) == ("order", 3)


def test_a_record_created_without_a_block_cannot_be_given_one(records_site, api_client):
    editor = api_client("editor")
    assert editor.send("PUT", "/api/v1/sales/record/plain", {"title": "x"}).status_code == 201
    assert_error(
        editor.send("PATCH", "/api/v1/sales/record/plain", {"block": "order"}),
        400,
        "the block item cannot change: record 'plain' was created without a block",
    )
    assert Record.objects.get(record_id="plain").block_id == ""


def test_a_client_names_the_block_of_a_record_it_creates(records_site, api_client):
    editor = api_client("editor")
    assert editor.send("PUT", "/api/v1/sales/record/x", {"block": "secret"}).status_code == 201
    assert editor.send("POST", "/api/v1/sales", {"id": "y", "block": "order"}).status_code == 201
    blocks = dict(Record.objects.values_list("record_id", "block_id"))
    assert blocks == {"x": "secret", "y": "order"}


def test_the_edit_form_keeps_the_record_s_block(order, api_client, sharer):
    for client in (api_client("author"), sharer):
        response = client.post(
            "/apps/sales/records/my-order/edit/", {**FORM, "block": "secret", "price": "3"}
        )
        assert response.status_code == 302, response.content
    order.refresh_from_db()
    assert (order.block_id, order.items["block"], order.items["price"]) == ("order", "order", 3)
