"""Field permissions (contract §10), through HTTP: an item a caller may not read is absent from
every read, a query naming it answers as for an item no element declares, a write of an item
they may not write is a 403 naming it, and an update by one who may not read an item keeps it.

App `shop`: every signed-in user reads and authors; `margin` is read by managers and the role
`auditors` (audrey), written by managers; `note` is read by all, written by editors."""

import html
import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from records import access as gate
from records import selectors
from site_model.loader import current_site
from tests.helpers import assert_error, new_client, site_property

SHOP_ACL = """
acl:
  rights:
    reader: [authenticated]
    author: [authenticated]
    editor: [editors]
    manager: [managers]
  roles:
    auditors: [audrey]
  fields:
    margin: {read: [managers, auditors], write: [managers]}
    note: {write: [editors, managers]}
"""
ITEM_BLOCK = """
elements:
  name: {type: TEXT, index_type: text}
  price: {type: NUMBER, index_type: field}
  margin: {type: NUMBER, index_type: field}
  note: TEXT
"""
REPORT_BLOCK = """
elements:
  seen: BASIC
  probe: BASIC
  chart_probe: BASIC
  per_price: {type: CHART, chart: bar, group_by: price, value: "sum:margin", title: Per price}
"""
REPORT_CODE = """
def seen(context):
    return sorted({name for record in context.app.readable() for name in record.keys()})


def _message(call):
    try:
        call()
    except ValueError as exc:
        return str(exc)
    return "no error"


def probe(context):
    query = context.params.get("query", "")
    return _message(lambda: context.app.search(query=query, secure=True))


def chart_probe(context):
    metric = context.params.get("metric", "")
    return _message(lambda: context.app.aggregate(metrics={"m": metric}, secure=True))
"""
MARGIN = 7777.5  # a value no other item holds: its absence from a page is its absence
URL = "/api/v1/shop"


@pytest.fixture
def shop(site_dir, user_factory):
    site_dir.write("apps/shop/settings.yaml", SHOP_ACL)
    site_dir.write("apps/shop/blocks/item.yaml", ITEM_BLOCK)
    site_dir.write("apps/shop/blocks/report.yaml", REPORT_BLOCK)
    site_dir.write("apps/shop/blocks/report.py", REPORT_CODE)
    site_dir.write("pages/index.yaml", "title: Home\nblocks: [shop/item, shop/report]\n")
    users = {
        "sam": user_factory("sam"),
        "eddie": user_factory("eddie", groups=["editors"]),
        "mona": user_factory("mona", groups=["managers"]),
        "audrey": user_factory("audrey"),
    }
    mona = new_client(users["mona"])
    created = mona.post_json(
        URL,
        {"id": "r1", "block": "item", "name": "Lamp", "price": 30, "margin": MARGIN, "note": "n"},
    )
    assert created.status_code == 201, created.content
    # sam's own record, with a margin only managers read
    sams = new_client(users["sam"]).post_json(URL, {"id": "s1", "block": "item", "name": "Desk"})
    assert sams.status_code == 201, sams.content
    assert mona.post_json(f"{URL}/record/s1", {"margin": 12.25}).status_code == 200
    return users


def client(users, name):
    return new_client(users[name])


def stored(record_id="r1") -> dict:
    return selectors.record_get("shop", record_id).items


# --- reads ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"), [("sam", False), ("eddie", False), ("audrey", True), ("mona", True)]
)
def test_one_record(shop, who, sees):
    body = client(shop, who).get(f"{URL}/record/r1").json()
    assert ("margin" in body) is sees
    assert body["name"] == "Lamp"


@pytest.mark.parametrize(
    "path",
    [f"{URL}/records", f"{URL}/records?fields=name,margin", f"{URL}/record/r1?fields=margin,name"],
)
def test_lists_and_fields_leave_it_out(shop, path):
    for who, sees in (("sam", False), ("mona", True)):
        answer = client(shop, who).get(path)
        assert answer.status_code == 200
        rows = answer.json() if isinstance(answer.json(), list) else [{"items": answer.json()}]
        r1 = next(row["items"] for row in rows if row["items"]["id"] == "r1")
        assert ("margin" in r1) is sees, (who, path)
        assert r1["name"] == "Lamp"


@pytest.mark.parametrize("body", [{}, {"fields": ["margin", "name"]}, {"query": "price > 1"}])
def test_search_leaves_it_out(shop, body):
    sam = client(shop, "sam").post_json(f"{URL}/search", body).json()
    mona = client(shop, "mona").post_json(f"{URL}/search", body).json()
    assert [row["items"].get("margin") for row in sam] == [None] * len(sam)
    assert MARGIN in [row["items"].get("margin") for row in mona]


def test_app_and_openapi_leave_it_out(shop):
    sam, mona = client(shop, "sam"), client(shop, "mona")
    assert "margin" not in sam.get(URL).json()["indexes"]
    assert "margin" in mona.get(URL).json()["indexes"]
    assert "margin" not in sam.get(f"{URL}/openapi.json").content.decode()
    assert "margin" in mona.get(f"{URL}/openapi.json").content.decode()
    # a manager sees the rules with the rest of the ACL
    assert mona.get(URL).json()["acl"]["fields"] == {
        "margin": {"read": ["managers", "auditors"], "write": ["managers"]},
        "note": {"write": ["editors", "managers"]},
    }


def test_block_routes_leave_it_out(shop):
    sam, mona = client(shop, "sam"), client(shop, "mona")
    assert "margin" not in sam.get(f"{URL}/blocks/item").json()["elements"]
    assert "margin" in mona.get(f"{URL}/blocks/item").json()["elements"]
    hidden = sam.get(f"{URL}/blocks/item/margin")
    unknown = sam.get(f"{URL}/blocks/item/zzzzzz")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.content.replace(b"margin", b"zzzzzz") == unknown.content
    # and the HTML element route (it answered 200 for an item sam may not read)
    hidden = sam.get("/apps/shop/blocks/item/margin/")
    unknown = sam.get("/apps/shop/blocks/item/zzzzzz/")
    assert hidden.status_code == unknown.status_code == 404
    assert len(hidden.content) == len(unknown.content)  # (the page's token differs each time)
    assert mona.get("/apps/shop/blocks/item/margin/").status_code == 200


def test_block_code_secure_reads_leave_it_out(shop):
    seen = f"{URL}/blocks/report/seen"
    assert "margin" not in client(shop, "sam").get(seen).json()
    assert "margin" in client(shop, "mona").get(seen).json()


def test_a_chart_of_a_hidden_item_shows_nothing(shop):
    """A declared CHART counting `margin`: no data for sam (not an error), mona's totals."""
    chart = f"{URL}/blocks/report/per_price"
    assert client(shop, "sam").get(chart).json() == {"labels": [], "series": {"Per price": []}}
    assert MARGIN in client(shop, "mona").get(chart).json()["series"]["Per price"]


def test_record_pages_and_forms_leave_it_out(shop):
    sam, mona = client(shop, "sam"), client(shop, "mona")
    for path in ("/apps/shop/records/r1/", "/apps/shop/records/s1/edit/", "/"):
        shown = sam.get(path)
        assert shown.status_code == 200, path
        assert str(MARGIN) not in shown.content.decode() and "12.25" not in shown.content.decode()
        assert 'name="margin"' not in shown.content.decode()
    assert str(MARGIN) in mona.get("/apps/shop/records/r1/").content.decode()
    assert 'name="margin"' in mona.get("/apps/shop/records/s1/edit/").content.decode()


# --- no probing by filter -----------------------------------------------------------------------

# Each pair asks about `margin` (hidden from sam) and about `zzzzzz`, which no element declares;
# with the name swapped, sam's two answers must be the same bytes (status and body).
PROBES = [
    ("search", {"query": "margin > 100"}),
    ("search", {"query": "price > 1 and margin == 7777.5"}),
    ("search", {"sort_index": "margin"}),
    ("aggregate", {"metrics": {"m": "sum:margin"}}),
    ("aggregate", {"metrics": {"n": "count"}, "group_by": ["margin"]}),
    ("aggregate", {"metrics": {"n": "count"}, "query": "margin > 0"}),
]


def swapped(body) -> dict:
    return json.loads(json.dumps(body).replace("margin", "zzzzzz"))


@pytest.mark.parametrize(("route", "body"), PROBES)
def test_a_hidden_item_answers_as_an_unknown_one(shop, route, body):
    sam = client(shop, "sam")
    hidden = sam.post_json(f"{URL}/{route}", body)
    unknown = sam.post_json(f"{URL}/{route}", swapped(body))
    assert hidden.status_code == unknown.status_code == 400
    assert hidden.content.replace(b"margin", b"zzzzzz") == unknown.content
    # and those who may read it are answered
    assert client(shop, "audrey").post_json(f"{URL}/{route}", body).status_code == 200


def test_block_code_probe_answers_as_an_unknown_item(shop):
    sam = client(shop, "sam")

    def ask(element, **params):
        return sam.get(f"{URL}/blocks/report/{element}", params).content

    hidden = ask("probe", query="margin > 1").replace(b"margin", b"zzzzzz")
    assert hidden == ask("probe", query="zzzzzz > 1")
    assert b"unknown index" in hidden
    hidden = ask("chart_probe", metric="sum:margin").replace(b"margin", b"zzzzzz")
    assert hidden == ask("chart_probe", metric="sum:zzzzzz")
    assert (
        client(shop, "mona").get(f"{URL}/blocks/report/probe", {"query": "margin > 1"}).json()
        == "no error"
    )


# --- writes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "item"),
    [
        ("POST", URL, {"name": "x", "margin": 1}, "margin"),
        ("PUT", f"{URL}/record/new1", {"name": "x", "margin": 1}, "margin"),
        ("POST", f"{URL}/records", [{"name": "ok"}, {"name": "x", "margin": 1}], "margin"),
        ("PATCH", f"{URL}/record/s1", {"margin": 12.25}, "margin"),  # even its own value
        ("POST", f"{URL}/record/s1", {"name": "y", "margin": None}, "margin"),
        ("PATCH", f"{URL}/record/s1", {"note": "mine"}, "note"),
        ("PUT", f"{URL}/record/new2", {"note": "mine"}, "note"),
    ],
)
def test_a_write_of_an_item_they_may_not_write_is_403(shop, method, path, body, item):
    before = {r.record_id: dict(r.items) for r in selectors.app_records("shop")}
    answer = client(shop, "sam").send(method, path, body)
    assert_error(answer, 403, f"you may not write item '{item}' of app 'shop'")
    assert {r.record_id: dict(r.items) for r in selectors.app_records("shop")} == before


def test_an_unchanged_readable_item_may_be_sent_again(shop):
    """A client re-sending what it read (GET, edit, POST back) changes nothing it may not."""
    sam = client(shop, "sam")
    assert mona_sets_note(shop, "s1", "kept") == 200
    mine = {k: v for k, v in sam.get(f"{URL}/record/s1").json().items() if k[0] != "_"}
    mine["name"] = "Desk 2"
    assert sam.post_json(f"{URL}/record/s1", mine).status_code == 200
    assert stored("s1")["name"] == "Desk 2" and stored("s1")["note"] == "kept"


def etag_of(form: str) -> str:
    return html.unescape(form.split('name="_etag" value="', 1)[1].split('"', 1)[0])


def mona_sets_note(users, record_id, note) -> int:
    return (
        client(users, "mona").send("PATCH", f"{URL}/record/{record_id}", {"note": note}).status_code
    )


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_an_update_keeps_what_they_may_not_read(shop, method):
    answer = client(shop, "sam").send(method, f"{URL}/record/s1", {"name": "Desk 2"})
    assert answer.status_code == 200, answer.content
    assert stored("s1")["margin"] == 12.25 and stored("s1")["name"] == "Desk 2"


def test_history_leaves_it_out(shop):
    assert client(shop, "mona").post_json(f"{URL}/record/r1", {"margin": 1.5}).status_code == 200
    sams = client(shop, "sam").get(f"{URL}/record/r1/history").json()
    monas = client(shop, "mona").get(f"{URL}/record/r1/history").json()
    assert "margin" not in json.dumps(sams) and str(MARGIN) not in json.dumps(sams)
    assert monas[0]["changes"]["margin"] == [MARGIN, 1.5]


def test_a_restore_keeps_what_they_may_not_read_and_may_not_change_what_they_may_not_write(
    shop,
):
    sam, mona = client(shop, "sam"), client(shop, "mona")
    assert mona.post_json(f"{URL}/record/s1", {"note": "by mona"}).status_code == 200  # v3
    assert sam.post_json(f"{URL}/record/s1", {"name": "Desk 2"}).status_code == 200  # v4
    refused = sam.post_json(f"{URL}/record/s1/restore", {"version": 1})  # would drop the note
    assert_error(refused, 403, "you may not write item 'note' of app 'shop'")
    assert stored("s1")["note"] == "by mona"
    assert sam.post_json(f"{URL}/record/s1/restore", {"version": 3}).status_code == 200
    assert stored("s1")["name"] == "Desk" and stored("s1")["margin"] == 12.25


def test_the_edit_form_keeps_what_they_may_not_read(shop):
    sam = client(shop, "sam")
    form = sam.get("/apps/shop/records/s1/edit/").content.decode()
    etag = etag_of(form)
    saved = sam.post(
        "/apps/shop/records/s1/edit/",
        {"_save": "1", "_etag": etag, "name": "Desk 3", "price": "5"},
    )
    assert saved.status_code == 302, saved.content
    assert stored("s1")["margin"] == 12.25
    assert stored("s1")["name"] == "Desk 3" and stored("s1")["price"] == 5


def test_the_form_refuses_an_item_beside_its_field(shop):
    """sam reads `note` but may not write it: the form shows it as a value, not a control;
    a forged post changing it gets the form again, 403, the refusal beside the item."""
    sam = client(shop, "sam")
    assert mona_sets_note(shop, "s1", "kept") == 200
    form = sam.get("/apps/shop/records/s1/edit/").content.decode()
    assert 'name="note"' not in form and "kept" in form
    etag = etag_of(form)
    post = {"_save": "1", "_etag": etag, "name": "Desk", "note": "forged"}
    refused = sam.post("/apps/shop/records/s1/edit/", post)
    assert refused.status_code == 403
    page = refused.content.decode()
    assert 'class="field field-locked has-error"' in page
    assert "You may not change this item." in page.split("kept", 1)[1]
    assert stored("s1")["note"] == "kept"
    # an item they may not read: the 403 page, nothing written
    forged = sam.post("/apps/shop/records/s1/edit/", {**post, "note": "kept", "margin": "1"})
    assert forged.status_code == 403
    assert "you may not write item &#x27;margin&#x27;" in forged.content.decode()
    assert stored("s1")["margin"] == 12.25
    # whatever the value, even one the field would refuse
    forged = sam.post("/apps/shop/records/s1/edit/", {**post, "note": "kept", "margin": "abc"})
    assert forged.status_code == 403
    # and the create form on the page
    created = sam.post("/apps/shop/blocks/item/", {"_save": "1", "name": "Chair", "margin": "3"})
    assert created.status_code == 403
    assert not selectors.app_records("shop").filter(items__name="Chair").exists()


# --- field_rights is what the API does ----------------------------------------------------------

FRESH = itertools.count(1)
PRINCIPALS = ["*", "authenticated", "managers", "editors", "auditors", "sam", "sam@example.com"]


@site_property(max_examples=12)
@given(
    read=st.one_of(st.none(), st.lists(st.sampled_from(PRINCIPALS), max_size=2)),
    write=st.one_of(st.none(), st.lists(st.sampled_from(PRINCIPALS), max_size=2)),
    groups=st.lists(st.sampled_from(["managers", "editors", "others"]), max_size=2, unique=True),
)
def test_field_rights_are_what_the_api_does(shop, site_dir, user_factory, read, write, groups):
    rule = {key: value for key, value in (("read", read), ("write", write)) if value is not None}
    site_dir.write(
        "apps/shop/settings.yaml",
        SHOP_ACL.replace(
            "margin: {read: [managers, auditors], write: [managers]}",
            f"margin: {json.dumps(rule)}",
        ),
    )
    from django.contrib.auth.models import Group, User

    User.objects.get(username="sam").groups.set(
        [Group.objects.get_or_create(name=name)[0] for name in groups]
    )
    user = User.objects.get(username="sam")
    app = current_site().apps["shop"]
    rights = gate.field_rights(app, gate.access_to(app, user))
    sam = new_client(user)
    for item in ("margin", "note", "name"):
        may_read, may_write = rights[item]
        assert (item in sam.get(f"{URL}/record/r1").json()) is may_read, item
        # a new value each time: re-sending a readable item's stored value is no write
        value = next(FRESH)
        value = {"margin": value, "note": f"w{value}", "name": f"n{value}"}[item]
        answer = sam.send("PATCH", f"{URL}/record/s1", {item: value})
        assert answer.status_code == (200 if may_write else 403), (item, answer.content)


def test_hiding_costs_no_query(shop):
    """The database leaves the items out of a list: the same statements for a caller who has
    an item hidden as for one who has none (and one record: the same too)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def statements(who, path):
        caller = client(shop, who)
        caller.get(path)  # warm: the site, the session
        with CaptureQueriesContext(connection) as queries:
            assert caller.get(path).status_code == 200
        return len(queries)

    for path in (f"{URL}/records", f"{URL}/record/r1"):
        assert statements("sam", path) == statements("mona", path), path


def test_block_code_on_a_record_page_is_given_only_what_the_visitor_reads(shop, site_dir):
    """`context.record` on the record routes is the record as the visitor may read it, as a
    `readable()` handle is: an element that shows the record's items shows no hidden one
    (issue 26)."""
    site_dir.write("apps/shop/blocks/item.yaml", ITEM_BLOCK + "  dump: BASIC\n")
    site_dir.write(
        "apps/shop/blocks/item.py",
        "def dump(context):\n    return repr(sorted(dict(context.record.items()).items()))\n",
    )
    sam, mona = client(shop, "sam"), client(shop, "mona")
    for path in ("/apps/shop/records/r1/", "/apps/shop/records/s1/edit/"):
        shown = html.unescape(sam.get(path).content.decode())
        assert "'margin'" not in shown and "'name'" in shown, path
        assert "'margin'" in html.unescape(mona.get(path).content.decode()), path
    # a save through the edit page still keeps what sam may not read
    form = sam.get("/apps/shop/records/s1/edit/").content.decode()
    saved = sam.post(
        "/apps/shop/records/s1/edit/", {"_save": "1", "_etag": etag_of(form), "name": "Desk 4"}
    )
    assert saved.status_code == 302, saved.content
    assert stored("s1")["margin"] == 12.25 and stored("s1")["name"] == "Desk 4"


def test_an_export_query_naming_a_hidden_item_answers_as_an_unknown_one(shop):
    """`GET /export?query=` filtered on an item the caller may not read, so the rows it gave
    told its value (margin > 7000: one row, > 8000: none) (issue 26)."""
    sam = client(shop, "sam")

    def export(query):
        answer = sam.get(f"{URL}/export", {"format": "json", "query": query})
        body = b"".join(answer.streaming_content) if answer.streaming else answer.content
        return answer.status_code, body

    hidden = export("margin > 7000")
    unknown = export("zzzzzz > 7000")
    assert hidden[0] == unknown[0] == 400
    assert hidden[1].replace(b"margin", b"zzzzzz") == unknown[1]
    assert b"margin" not in unknown[1]  # the indexes it lists are those sam may know
    assert export("price > 1")[0] == 200
    audrey = client(shop, "audrey").get(f"{URL}/export", {"format": "json", "query": "margin > 1"})
    assert audrey.status_code == 200
