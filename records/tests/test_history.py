"""Record history (contract §9, records/history.py): every path that writes a record keeps a
version; the history route, restore, deleted records and pruning, through HTTP."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from records import access as gate
from records.models import Record, RecordVersion, Upload
from tests.helpers import assert_error

BUMP_BLOCK = "elements:\n  bump: {type: ACTION, label: Bump}\n"
BUMP_CODE = """
def bump(context):
    record = context.app.get_record("r1")
    record.save({"quantity": (record.get("quantity") or 0) + 1})
    made = context.app.create_record("by-code")
    made.save({"title": "made by code"})
"""


@pytest.fixture
def sales(records_site):
    """`sales` with an ACTION whose code saves r1 and creates `by-code`."""
    records_site.write("apps/sales/blocks/bump.yaml", BUMP_BLOCK)
    records_site.write("apps/sales/blocks/bump.py", BUMP_CODE)
    return records_site


def history(client, record_id, app="sales"):
    response = client.get(f"/api/v1/{app}/record/{record_id}/history")
    assert response.status_code == 200, response.content
    return response.json()


def trail(versions) -> list[tuple]:
    """(version, by, via) of each version, newest first."""
    return [(v["version"], v["by"], v["via"]) for v in versions]


def test_every_path_that_writes_keeps_a_version(sales, api_client, users, staff_client):
    editor = api_client("editor")
    assert editor.post_json("/api/v1/sales", {"id": "r1", "title": "One"}).status_code == 201
    assert editor.send("PATCH", "/api/v1/sales/record/r1", {"price": 5}).status_code == 200
    assert editor.post_json("/api/v1/sales/records", [{"id": "b1"}, {}]).status_code == 201
    assert editor.send("PUT", "/api/v1/sales/record/p1", {"title": "put"}).status_code == 201
    # the block form: a create, then an edit of the same record
    form = editor.post("/apps/sales/blocks/order/", {"_save": "1", "title": "By form"})
    assert form.status_code == 302
    edit = editor.post(
        "/apps/sales/records/by-form/edit/", {"_save": "1", "title": "By form", "price": "2"}
    )
    assert edit.status_code == 302
    # block code: an action run over the API and over HTML
    assert editor.post_json("/api/v1/sales/blocks/bump/bump", {}).status_code == 200
    assert editor.post("/apps/sales/blocks/bump/bump/").status_code == 302
    # the admin deletes through the store
    pk = Record.objects.get(app_id="sales", record_id="p1").pk
    assert staff_client.post(f"/admin/records/record/{pk}/delete/", {"post": "yes"}).status_code
    assert editor.delete("/api/v1/sales/record/b1").status_code == 200

    assert trail(history(editor, "r1")) == [
        (4, "editor", "block"),
        (3, "editor", "block"),
        (2, "editor", "api"),
        (1, "editor", "api"),
    ]
    first = history(editor, "r1")[-1]
    assert first["changes"] == {"title": [None, "One"], "_author": [None, "editor"]}
    assert history(editor, "r1")[-2]["changes"] == {"price": [None, 5]}
    assert history(editor, "r1")[0]["changes"] == {"quantity": [1, 2]}
    assert trail(history(editor, "by-form")) == [(2, "editor", "form"), (1, "editor", "form")]
    assert history(editor, "by-form")[0]["changes"]["price"] == [None, 2]
    assert trail(history(editor, "by-code"))[-1] == (1, "editor", "block")
    assert trail(history(editor, "p1")) == [(2, "root", "admin"), (1, "editor", "api")]
    assert trail(history(editor, "b1")) == [(2, "editor", "api"), (1, "editor", "api")]
    assert history(editor, "b1")[0]["changes"] == {"_author": ["editor", None]}
    bulk_other = Record.objects.get(app_id="sales", record_id__regex=r"^[0-9a-f]{12}$")
    assert trail(history(editor, bulk_other.record_id)) == [(1, "editor", "api")]
    assert history(editor, "r1")[0]["at"].startswith("20")


def test_history_leaves_out_the_items_the_caller_may_not_read(
    records_site, api_client, make_record, monkeypatch
):
    editor = api_client("editor")
    editor.post_json("/api/v1/sales", {"id": "r1", "title": "One", "price": 3})
    editor.send("PATCH", "/api/v1/sales/record/r1", {"price": 4})

    def without_price(app, access, items):
        return {name: value for name, value in items.items() if name != "price"}

    monkeypatch.setattr(gate, "readable_items", without_price)
    versions = history(api_client("reader"), "r1")
    assert [v["changes"] for v in versions] == [
        {},
        {"title": [None, "One"], "_author": [None, "editor"]},
    ]


@pytest.mark.parametrize("path", ["history", "restore"])
def test_a_caller_who_may_not_read_gets_the_answer_of_a_missing_record(
    records_site, api_client, make_record, path
):
    make_record("sales", "r1", {"title": "x"})
    for who, status in (("stranger", 403), (None, 401)):
        client = api_client(who)
        answers = [
            client.send(
                "GET" if path == "history" else "POST",
                f"/api/v1/sales/record/{record_id}/{path}",
                None if path == "history" else {"version": 1},
            )
            for record_id in ("r1", "missing")
        ]
        assert {a.status_code for a in answers} == {status}
        assert answers[0].json() == answers[1].json()


def test_under_row_level_security_a_record_not_ones_own_is_a_missing_one(
    owned_app, api_client, make_record
):
    make_record("owned", "o1", {"salesman": "someone", "amount": 1})
    reader = api_client("reader")
    cases = (("history", "GET", None, 404), ("restore", "POST", {"version": 1}, 403))
    for path, method, body, status in cases:
        there = reader.send(method, f"/api/v1/owned/record/o1/{path}", body)
        missing = reader.send(method, f"/api/v1/owned/record/nope/{path}", body)
        assert there.status_code == missing.status_code == status
        assert there.json()["error"].replace("o1", "nope") == missing.json()["error"]


def test_restore_writes_an_old_version_back_as_a_new_one(records_site, api_client):
    editor = api_client("editor")
    editor.post_json("/api/v1/sales", {"id": "r1", "title": "One", "price": 3})
    editor.send("PATCH", "/api/v1/sales/record/r1", {"price": 4, "quantity": 2})
    response = editor.post_json("/api/v1/sales/record/r1/restore", {"version": 1})
    assert response.status_code == 200
    assert response.json() == {"success": "restored", "version": 3}
    record = editor.get("/api/v1/sales/record/r1")
    assert record.json() == {"id": "r1", "title": "One", "price": 3, "_author": "editor"}
    assert response["ETag"] == record["ETag"]
    latest = history(editor, "r1")[0]
    assert (latest["version"], latest["by"], latest["via"]) == (3, "editor", "restore")
    assert latest["changes"] == {"price": [4, 3], "quantity": [2, None]}
    # the index follows: a search on the restored value finds it
    found = editor.post_json("/api/v1/sales/search", {"query": "price == 3"}).json()
    assert [r["id"] for r in found] == ["r1"]


def test_restore_honours_if_match(records_site, api_client):
    editor = api_client("editor")
    editor.post_json("/api/v1/sales", {"id": "r1", "title": "One"})
    stale = editor.get("/api/v1/sales/record/r1")["ETag"]
    editor.send("PATCH", "/api/v1/sales/record/r1", {"title": "Two"})
    response = editor.post_json(
        "/api/v1/sales/record/r1/restore", {"version": 1}, HTTP_IF_MATCH=stale
    )
    assert response.status_code == 412
    assert "has changed" in response.json()["error"]
    assert editor.get("/api/v1/sales/record/r1").json()["title"] == "Two"
    assert len(history(editor, "r1")) == 2
    fresh = editor.get("/api/v1/sales/record/r1")["ETag"]
    ok = editor.post_json("/api/v1/sales/record/r1/restore", {"version": 1}, HTTP_IF_MATCH=fresh)
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("who", "status", "message"),
    [
        ("reader", 403, "you may not edit records of app 'sales'"),
        ("author2", 403, "you may not edit records of app 'sales'"),
        ("author", 200, None),
    ],
)
def test_restore_needs_edit(records_site, api_client, who, status, message):
    api_client("author").post_json("/api/v1/sales", {"id": "r1", "title": "One"})
    api_client("editor").send("PATCH", "/api/v1/sales/record/r1", {"title": "Two"})
    response = api_client(who).post_json("/api/v1/sales/record/r1/restore", {"version": 1})
    if message is None:
        assert response.status_code == status
    else:
        assert_error(response, status, message)
        assert Record.objects.get(record_id="r1").items["title"] == "Two"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, 'the body must name the version to restore: {"version": n}'),
        ({"version": "1"}, 'version must be a positive integer, found "1"'),
        ({"version": 0}, "version must be a positive integer, found 0"),
        ({"version": 1, "x": 1}, "unknown key 'x' in a restore; keys: version"),
        ({"version": 9}, "record 'r1' has no version 9; versions kept: 1"),
        ([], 'the body must be a JSON object {"version": n}, found a list'),
    ],
)
def test_a_bad_restore_body_is_a_400_naming_it(records_site, api_client, body, message):
    editor = api_client("editor")
    editor.post_json("/api/v1/sales", {"id": "r1", "title": "One"})
    assert_error(editor.post_json("/api/v1/sales/record/r1/restore", body), 400, message)


def test_a_deleted_record_is_listed_and_restored_with_its_history(records_site, api_client):
    editor = api_client("editor")
    editor.post_json("/api/v1/sales", {"id": "r1", "title": "One"})
    editor.send("PATCH", "/api/v1/sales/record/r1", {"title": "Two"})
    assert editor.delete("/api/v1/sales/record/r1").status_code == 200
    assert editor.get("/api/v1/sales/record/r1").status_code == 404
    listed = editor.get("/api/v1/sales/deleted").json()
    assert [(d["id"], d["deleted_by"]) for d in listed] == [("r1", "editor")]
    assert listed[0]["deleted_at"].startswith("20")
    # editors see a deleted record's history; readers get the answer of a missing record
    assert trail(history(editor, "r1"))[0] == (3, "editor", "api")
    assert api_client("reader").get("/api/v1/sales/record/r1/history").status_code == 404

    assert_error(
        editor.post_json("/api/v1/sales/record/r1/restore", {"version": 2}, HTTP_IF_MATCH='"x"'),
        412,
        "record 'r1' is deleted: If-Match cannot match it",
    )
    response = editor.post_json("/api/v1/sales/record/r1/restore", {"version": 2})
    assert response.status_code == 201
    assert response.json()["success"] == "restored" and response.json()["version"] == 4
    assert editor.get("/api/v1/sales/record/r1").json() == {
        "id": "r1",
        "title": "Two",
        "_author": "editor",
    }
    assert trail(history(editor, "r1")) == [
        (4, "editor", "restore"),
        (3, "editor", "api"),
        (2, "editor", "api"),
        (1, "editor", "api"),
    ]
    assert editor.get("/api/v1/sales/deleted").json() == []
    # its author is back too: the `author` column
    assert Record.objects.get(record_id="r1").author.username == "editor"


def test_a_record_created_again_at_a_deleted_id_goes_on_with_its_history(records_site, api_client):
    editor = api_client("editor")
    editor.post_json("/api/v1/sales", {"id": "r1", "title": "One"})
    editor.delete("/api/v1/sales/record/r1")
    assert editor.post_json("/api/v1/sales/records", [{"id": "r1"}]).status_code == 201
    assert trail(history(editor, "r1")) == [
        (3, "editor", "api"),
        (2, "editor", "api"),
        (1, "editor", "api"),
    ]
    assert editor.get("/api/v1/sales/deleted").json() == []
    # a restore at a live id is a restore of that record: 200
    response = editor.post_json("/api/v1/sales/record/r1/restore", {"version": 1})
    assert response.status_code == 200 and editor.get("/api/v1/sales/record/r1").json()["title"]


@pytest.mark.parametrize(("who", "status"), [("reader", 403), ("author", 403), (None, 401)])
def test_only_editors_and_managers_list_deleted_records(records_site, api_client, who, status):
    assert api_client(who).get("/api/v1/sales/deleted").status_code == status
    assert api_client("manager").get("/api/v1/sales/deleted").status_code == 200


def test_deleting_every_record_keeps_each_ones_version(records_site, api_client):
    editor = api_client("editor")
    editor.post_json("/api/v1/sales/records", [{"id": "a"}, {"id": "b"}])
    assert editor.delete("/api/v1/sales/records").status_code == 200
    assert sorted(d["id"] for d in editor.get("/api/v1/sales/deleted").json()) == ["a", "b"]
    assert editor.post_json("/api/v1/sales/record/b/restore", {"version": 1}).status_code == 201


# --- files --------------------------------------------------------------------------------------


@pytest.fixture
def board(site_dir):
    site_dir.write(
        "apps/board/settings.yaml",
        "acl:\n  rights:\n    reader: ['*']\n    author: [authenticated]\n    editor: [admins]\n",
    )
    site_dir.write("apps/board/blocks/note.yaml", "elements:\n  title: TEXT\n  poster: FILE\n")
    return site_dir


def test_a_deleted_records_file_is_kept_unserved_and_served_again_once_restored(
    board, api_client, user_factory, settings, django_capture_on_commit_callbacks
):
    boss = api_client(user_factory("boss", groups=["admins"]))
    poster = SimpleUploadedFile("p.pdf", b"%PDF poster", "application/pdf")
    response = boss.post("/apps/board/blocks/note/", {"_save": "1", "title": "T", "poster": poster})
    assert response.status_code == 302
    record = Record.objects.get(app_id="board")
    path = record.items["poster"]["path"]
    url = f"/apps/board/records/{record.record_id}/files/poster/"
    assert boss.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert boss.delete(f"/api/v1/board/record/{record.record_id}").status_code == 200
    assert os.path.exists(settings.MEDIA_ROOT / path)  # kept while it can be restored
    assert boss.get(url).status_code == 404
    assert api_client().get(url).status_code == 404
    restore = f"/api/v1/board/record/{record.record_id}/restore"
    assert boss.post_json(restore, {"version": 1}).status_code == 201
    got = boss.get(url)
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"%PDF poster"
    assert Upload.objects.get().uploader.username == "boss"
    # deleted again and pruned: the file goes with its record for good
    with django_capture_on_commit_callbacks(execute=True):
        boss.delete(f"/api/v1/board/record/{record.record_id}")
    RecordVersion.objects.update(at=RecordVersion.objects.first().at - timedelta(days=400))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("prune_history", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert not os.path.exists(settings.MEDIA_ROOT / path)
    assert boss.get("/api/v1/board/deleted").json() == []


# --- pruning ------------------------------------------------------------------------------------


def test_prune_history_deletes_versions_older_than_the_setting(
    records_site, api_client, clock, settings, capsys
):
    settings.HISTORY_KEEP_DAYS = 30
    editor = api_client("editor")
    editor.post_json("/api/v1/sales", {"id": "old", "title": "One"})
    editor.post_json("/api/v1/sales", {"id": "gone", "title": "Gone"})
    editor.delete("/api/v1/sales/record/gone")
    clock.move(days=31)
    editor = api_client("editor")  # the session of a month ago has expired
    editor.send("PATCH", "/api/v1/sales/record/old", {"title": "Two"})
    call_command("prune_history", "--batch", "1")
    out = capsys.readouterr().out
    assert "3 versions" in out
    assert trail(history(editor, "old")) == [(2, "editor", "api")]
    assert editor.get("/api/v1/sales/deleted").json() == []
    assert editor.get("/api/v1/sales/record/gone/history").status_code == 404


# --- the admin: the audit of data changes --------------------------------------------------


def listed_records(page) -> set[str]:
    """The record ids in the admin's change list (not a substring test: a CSRF token may hold
    "r1")."""
    return set(re.findall(r'<td class="field-record_id">([^<]*)</td>', page.content.decode()))


def test_the_admin_lists_versions_filterable_by_user_app_and_date(
    records_site, api_client, staff_client
):
    api_client("editor").post_json("/api/v1/sales", {"id": "r1", "title": "One"})
    api_client("author").post_json("/api/v1/public", {"id": "n1", "text": "hi"})
    page = staff_client.get("/admin/records/recordversion/")
    assert page.status_code == 200
    assert listed_records(page) == {"r1", "n1"} and "title" in page.content.decode()
    by_user = staff_client.get("/admin/records/recordversion/?by=editor")
    assert listed_records(by_user) == {"r1"}
    by_app = staff_client.get("/admin/records/recordversion/?app_id=public")
    assert listed_records(by_app) == {"n1"}
    version = RecordVersion.objects.get(record_id="r1")
    day = version.at
    dated = staff_client.get(
        f"/admin/records/recordversion/?at__year={day.year}&at__month={day.month}"
    )
    assert listed_records(dated) == {"r1", "n1"}
    detail = staff_client.get(f"/admin/records/recordversion/{version.pk}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert staff_client.get("/admin/records/recordversion/add/").status_code == 403


# --- the record's HTML History view -------------------------------------------------------------


def test_the_history_page_shows_changes_side_by_side_and_restores(records_site, api_client):
    editor = api_client("editor")
    editor.post("/apps/sales/blocks/order/", {"_save": "1", "title": "Desk", "price": "5"})
    editor.post("/apps/sales/records/desk/edit/", {"_save": "1", "title": "Desk", "price": "7"})
    record_page = editor.get("/apps/sales/records/desk/").content.decode()
    assert 'href="/apps/sales/records/desk/history/"' in record_page
    html = editor.get("/apps/sales/records/desk/history/").content.decode()
    assert '<th scope="row">price</th><td class="old">5</td><td class="new">7</td>' in html
    assert html.count('class="action restore"') == 1  # not on the current version
    reader = api_client("reader")
    assert (
        'class="action restore"'
        not in reader.get("/apps/sales/records/desk/history/").content.decode()
    )
    assert reader.post("/apps/sales/records/desk/history/", {"version": "1"}).status_code == 403
    assert api_client("stranger").get("/apps/sales/records/desk/history/").status_code == 403
    assert api_client().get("/apps/sales/records/desk/history/").status_code == 302
    etag = Record.objects.get(record_id="desk").etag
    done = editor.post("/apps/sales/records/desk/history/", {"version": "1", "_etag": etag})
    assert done.status_code == 302 and done["Location"] == "/apps/sales/records/desk/"
    assert Record.objects.get(record_id="desk").items["price"] == 5
    assert trail(history(editor, "desk"))[0] == (3, "editor", "restore")
    stale = editor.post("/apps/sales/records/desk/history/", {"version": "2", "_etag": etag})
    assert stale.status_code == 302 and Record.objects.get(record_id="desk").items["price"] == 5
