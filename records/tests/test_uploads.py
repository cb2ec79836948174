"""Uploads belong to the record and FILE item they were uploaded to, and go away with it
(records/uploads.py), through the block forms, the JSON API and the file route."""

from __future__ import annotations

import importlib
import io
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from records import uploads
from records.models import Record, RecordVersion, Upload
from site_model.loader import current_site
from tests.helpers import assert_error

FILE_REFUSED = "item '{}': FILE: a file is set only by an upload through the block form"


@pytest.fixture
def file_site(site_dir):
    """`vault`: private (admins read, anyone signed in adds their own); `board`: public."""
    site_dir.write(
        "apps/vault/settings.yaml",
        "acl:\n  rights:\n    reader: [admins]\n    author: [authenticated]\n"
        "    editor: [admins]\n  row_owners: [owner]\n",
    )
    site_dir.write(
        "apps/vault/blocks/doc.yaml",
        "elements:\n  name: TEXT\n  scan: FILE\n  place: {type: REFERENCE, app: vault}\n",
    )
    site_dir.write(
        "apps/board/settings.yaml",
        "acl:\n  rights:\n    reader: ['*']\n    author: [authenticated]\n"
        "    editor: [authenticated]\n",
    )
    site_dir.write("apps/board/blocks/note.yaml", "elements:\n  title: TEXT\n  poster: FILE\n")
    return site_dir


def upload(name="plan.pdf", body=b"%PDF secret plan"):
    return SimpleUploadedFile(name, body, "application/pdf")


def stored(settings) -> list[str]:
    """Every file and folder under MEDIA_ROOT, relative to it."""
    root = settings.MEDIA_ROOT
    found = []
    for folder, dirs, files in os.walk(root):
        found += [os.path.relpath(os.path.join(folder, n), root) for n in dirs + files]
    return sorted(found)


def content(response) -> bytes:
    return b"".join(response.streaming_content)


def file_url(app, record_id, item):
    return f"/apps/{app}/records/{record_id}/files/{item}/"


@pytest.fixture
def secret(file_site, api_client, user_factory):
    """bob's upload into the vault, which ann may not read: (bob's client, record, FILE value)."""
    bob = api_client(user_factory("bob"))
    response = bob.post("/apps/vault/blocks/doc/", {"_save": "1", "name": "S", "scan": upload()})
    assert response.status_code == 302
    record = Record.objects.get(app_id="vault")
    return bob, record, record.items["scan"]


def test_a_path_seen_once_cannot_be_written_into_a_public_record(secret, api_client, user_factory):
    """The attack: bob shares his upload with ann, who reads its path; bob revokes the share;
    ann writes the path into a record of the public board, under a FILE element or any name,
    for anonymous visitors to fetch. Every write is refused, naming the item."""
    bob, record, _ = secret
    ann = api_client(user_factory("ann"))
    share = f"/api/v1/vault/record/{record.record_id}/share"
    assert bob.post_json(share, {"principal": "ann", "permissions": ["view"]}).status_code == 200
    value = ann.get(f"/api/v1/vault/record/{record.record_id}").json()["scan"]
    assert ann.get(file_url("vault", record.record_id, "scan")).status_code == 200
    assert (
        bob.send("DELETE", share, {"principal": "ann", "permissions": ["view"]}).status_code == 200
    )
    assert ann.get(file_url("vault", record.record_id, "scan")).status_code == 404
    for item in ("poster", "scan", "anything"):
        response = ann.post_json("/api/v1/board", {"title": "Look", item: value})
        assert_error(response, 400, FILE_REFUSED.format(item))
        response = ann.send("PUT", "/api/v1/board/record/look", {item: value})
        assert_error(response, 400, FILE_REFUSED.format(item))
        response = ann.post_json("/api/v1/board/records", [{"title": "x"}, {item: [value]}])
        assert_error(response, 400, "record 1: " + FILE_REFUSED.format(item))
    ann.send("PUT", "/api/v1/board/record/mine", {"title": "Mine"})
    response = ann.send("PATCH", "/api/v1/board/record/mine", {"notes": {**value, "name": "x"}})
    assert_error(response, 400, FILE_REFUSED.format("notes"))
    response = ann.send("PATCH", "/api/v1/board/record/mine", {"notes": {"path": value["path"]}})
    assert_error(response, 400, FILE_REFUSED.format("notes"))
    link = {"path": "/faq/", "label": "FAQ"}  # a path with a key no file has: not a file
    assert ann.send("PATCH", "/api/v1/board/record/mine", {"notes": link}).status_code == 200
    assert Record.objects.filter(app_id="board").count() == 1
    assert Record.objects.get(app_id="board").items["notes"] == link
    assert not Upload.objects.filter(record__app_id="board").exists()


def test_a_copied_file_value_is_not_served_from_another_record(secret, api_client):
    """Records written before the check (or by hand) that hold another record's file: the route
    answers as for a file that never was, to anyone, while the owner's own route serves it."""
    bob, record, value = secret
    copy = Record.objects.create(
        app_id="board", record_id="copy", items={"poster": value, "scan": value, "x": value}
    )
    anonymous = api_client()
    for item in ("poster", "scan", "x", "title", "nothing"):
        url = file_url("board", copy.record_id, item)
        response = anonymous.get(url)
        assert response.status_code == 404
        never = file_url("board", "copy", "nothing")  # the page names its path
        expected = anonymous.get(never).content.replace(never.encode(), b"?")
        assert response.content.replace(url.encode(), b"?") == expected
    got = bob.get(file_url("vault", record.record_id, "scan"))
    assert got.status_code == 200 and content(got) == b"%PDF secret plan"
    # the vault's own record, under a name that is no FILE element: the same 404
    Record.objects.filter(pk=record.pk).update(items={**record.items, "other": value})
    assert bob.get(file_url("vault", record.record_id, "other")).status_code == 404


def test_a_file_of_one_record_is_not_served_from_another(file_site, api_client, user_factory):
    ann, anonymous = api_client(user_factory("ann")), api_client()
    for title in ("A", "B"):
        post = {"_save": "1", "title": title, "poster": upload(f"{title}.pdf", title.encode())}
        assert ann.post("/apps/board/blocks/note/", post).status_code == 302
    a, b = Record.objects.filter(app_id="board").order_by("pk")
    row = Upload.objects.get(record=a)
    assert (row.item, row.size, row.content_type) == ("poster", 1, "application/pdf")
    got = anonymous.get(file_url("board", a.record_id, "poster"))
    assert got.status_code == 200 and content(got) == b"A"
    Record.objects.filter(pk=b.pk).update(items={**b.items, "poster": a.items["poster"]})
    assert anonymous.get(file_url("board", b.record_id, "poster")).status_code == 404


def prune_all():
    """Prune every version (records.history): deleted records go for good, with their files."""
    RecordVersion.objects.update(at=timezone.now() - timedelta(days=1))
    call_command("prune_history", "--days", "0", verbosity=0, stdout=io.StringIO())


def test_a_deleted_record_keeps_its_files_until_pruned(
    secret, settings, django_capture_on_commit_callbacks
):
    """A deleted record can be restored (records.history): its files stay, served to nobody,
    until its delete is pruned."""
    bob, record, value = secret
    files = sorted(["vault", os.path.dirname(value["path"]), value["path"]])
    assert stored(settings) == files
    row = Upload.objects.get()
    assert (row.record, row.item, row.uploader.username) == (record, "scan", "bob")
    post = {"_delete": "1", "_confirm": "1"}
    with django_capture_on_commit_callbacks(execute=True) as removals:
        response = bob.post(f"/apps/vault/records/{record.record_id}/", post)
    assert response.status_code == 302 and len(removals) == 0
    assert stored(settings) == files and not Upload.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        prune_all()
    assert stored(settings) == []


def test_a_replaced_or_emptied_file_is_removed(
    secret, settings, api_client, user_factory, django_capture_on_commit_callbacks
):
    bob, record, first = secret
    edit = f"/apps/vault/records/{record.record_id}/edit/"
    with django_capture_on_commit_callbacks(execute=True):
        response = bob.post(edit, {"_save": "1", "name": "S", "scan": upload("v2.pdf", b"two")})
    assert response.status_code == 302
    second = Record.objects.get().items["scan"]
    assert second["path"] != first["path"]
    assert stored(settings) == sorted(["vault", os.path.dirname(second["path"]), second["path"]])
    assert list(Upload.objects.values_list("path", flat=True)) == [second["path"]]
    boss = api_client(user_factory("boss", groups=["admins"]))
    with django_capture_on_commit_callbacks(execute=True):
        response = boss.send("PATCH", f"/api/v1/vault/record/{record.record_id}", {"scan": None})
    assert response.status_code == 200
    assert stored(settings) == [] and not Upload.objects.exists()


def test_deleting_every_record_removes_every_file(
    secret, settings, api_client, user_factory, django_capture_on_commit_callbacks
):
    boss = api_client(user_factory("boss", groups=["admins"]))
    with django_capture_on_commit_callbacks(execute=True):
        assert boss.delete("/api/v1/vault/records").status_code in (200, 204)
        prune_all()
    assert stored(settings) == [] and not Upload.objects.exists()


def test_a_refused_write_leaves_no_file_nor_folder(file_site, api_client, user_factory, settings):
    ann = api_client(user_factory("ann"))
    post = {"_save": "1", "name": "S", "scan": upload(), "place": "nowhere"}
    response = ann.post("/apps/vault/blocks/doc/", post)
    assert response.status_code == 400
    assert (
        "Place names no record &#x27;nowhere&#x27; in app &#x27;vault&#x27;."
        in response.content.decode()
    )
    assert stored(settings) == [] and not Upload.objects.exists()


def test_uploads_are_capped_per_user(
    file_site, api_client, user_factory, settings, django_capture_on_commit_callbacks
):
    settings.MAX_UPLOADS_BYTES_PER_USER = 2**20
    ann, bob = api_client(user_factory("ann")), api_client(user_factory("bob"))
    half = b"x" * (600 * 1024)
    response = ann.post(
        "/apps/vault/blocks/doc/", {"_save": "1", "name": "1", "scan": upload(body=half)}
    )
    assert response.status_code == 302
    before = stored(settings)
    response = ann.post(
        "/apps/vault/blocks/doc/", {"_save": "1", "name": "2", "scan": upload(body=half)}
    )
    assert response.status_code == 400
    assert (
        "Uploads are capped at 1 MB per user (MAX_UPLOADS_MB_PER_USER); yours hold 0.59 MB and "
        "this file is 0.59 MB." in response.content.decode()
    )
    assert stored(settings) == before and Record.objects.count() == 1
    # another user has an allowance of their own
    response = bob.post(
        "/apps/vault/blocks/doc/", {"_save": "1", "name": "3", "scan": upload(body=half)}
    )
    assert response.status_code == 302
    # a file removed frees its room: ann replaces hers
    record = Record.objects.get(items__name="1")
    edit = f"/apps/vault/records/{record.record_id}/edit/"
    with django_capture_on_commit_callbacks(execute=True):
        response = ann.post(edit, {"_save": "1", "name": "1", "scan": upload(body=b"y" * 100)})
    assert response.status_code == 302
    response = ann.post(
        "/apps/vault/blocks/doc/", {"_save": "1", "name": "4", "scan": upload(body=half)}
    )
    assert response.status_code == 302


def test_the_migration_gives_existing_files_their_rows(secret, api_client):
    """Records written before uploads had rows keep their files served, where the value sits
    under a FILE element of the app; nothing else gets a row."""
    bob, record, value = secret
    other = {**value, "path": "board/abc/other.pdf"}
    Upload.objects.all().delete()
    copy = Record.objects.create(
        app_id="board", record_id="n", items={"title": value, "poster": other}
    )
    assert bob.get(file_url("vault", record.record_id, "scan")).status_code == 404
    migration = importlib.import_module("records.migrations.0006_uploads")
    migration.rows_for_existing_files(django_apps, None)
    rows = set(
        Upload.objects.values_list("record__record_id", "item", "path", "uploader__username")
    )
    assert rows == {
        (record.record_id, "scan", value["path"], "bob"),
        (copy.record_id, "poster", other["path"], None),
    }
    got = bob.get(file_url("vault", record.record_id, "scan"))
    assert got.status_code == 200 and content(got) == b"%PDF secret plan"


def test_block_code_may_not_point_a_record_at_another_records_file(secret, file_site, api_client):
    _, _, value = secret
    file_site.write("apps/board/blocks/copier.yaml", "elements:\n  go: ACTION\n")
    file_site.write(
        "apps/board/blocks/copier.py",
        f"OUT = []\nVALUE = {value!r}\n\n\n"
        "def go(context):\n"
        "    record = context.app.create_record('c')\n"
        "    for item in ('poster', 'other'):\n"
        "        try:\n"
        "            record.save({item: VALUE})\n"
        "        except ValueError as exc:\n"
        "            OUT.append(str(exc))\n"
        "    return '/done/'\n",
    )
    response = api_client().post("/apps/board/blocks/copier/", {"go": "1"})
    assert response["Location"] == "/done/"
    assert current_site().block("board", "copier").code.OUT == [
        FILE_REFUSED.format("poster"),
        FILE_REFUSED.format("other"),
    ]
    assert not any(value in r.items.values() for r in Record.objects.filter(app_id="board"))


def test_a_refused_edit_leaves_no_new_file(secret, settings):
    """A stale version, a rule broken, the cap: the file chosen on the edit page goes at once,
    and the stored one stays served."""
    bob, record, value = secret
    before = stored(settings)
    edit = f"/apps/vault/records/{record.record_id}/edit/"
    stale = {"_save": "1", "name": "S", "scan": upload("new.pdf"), "_etag": '"old"'}
    assert bob.post(edit, stale).status_code == 409
    bad = {"_save": "1", "name": "S", "scan": upload("new.pdf"), "place": "nowhere"}
    assert bob.post(edit, bad).status_code == 400
    settings.MAX_UPLOADS_BYTES_PER_USER = 2**20
    big = upload("new.pdf", b"x" * 2**20)
    response = bob.post(edit, {"_save": "1", "name": "S", "scan": big})
    assert response.status_code == 400
    assert (
        "Uploads are capped at 1 MB per user (MAX_UPLOADS_MB_PER_USER); yours hold 0 MB and "
        "this file is 1 MB." in response.content.decode()
    )
    assert stored(settings) == before
    assert list(Upload.objects.values_list("path", flat=True)) == [value["path"]]
    got = bob.get(file_url("vault", record.record_id, "scan"))
    assert got.status_code == 200 and content(got) == b"%PDF secret plan"


def test_a_long_file_name_is_stored_shortened(file_site, api_client, user_factory, settings):
    """A name longer than the file system takes (255 bytes: 200 'é' are 400) is shortened,
    keeping its extension, instead of failing the write with a 500 and an empty folder."""
    ann = api_client(user_factory("ann"))
    post = {"_save": "1", "title": "Long", "poster": upload("é" * 200 + ".pdf", b"long")}
    response = ann.post("/apps/board/blocks/note/", post)
    assert response.status_code == 302
    value = Record.objects.get(app_id="board").items["poster"]
    assert value["name"].endswith(".pdf") and len(value["name"].encode()) <= 200
    assert os.path.basename(value["path"]) == value["name"]
    got = api_client().get(file_url("board", Record.objects.get().record_id, "poster"))
    assert got.status_code == 200 and content(got) == b"long"
    assert got["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(value['name'])}"
    # a name with nothing storable left in it (Django's own check answered a bare 400)
    post = {"_save": "1", "title": "Odd", "poster": upload("!!!", b"odd")}
    assert ann.post("/apps/board/blocks/note/", post).status_code == 302
    assert Record.objects.get(items__title="Odd").items["poster"]["name"] == "file"


def test_a_formula_failing_on_edit_leaves_no_new_file(
    file_site, api_client, user_factory, settings
):
    """Block code failing while an edit with a new file is saved: the error box, the stored
    file kept and served, the new one gone (it had no row: it would never be removed nor
    counted against the cap)."""
    file_site.write(
        "apps/board/blocks/note.yaml",
        "elements:\n  title: TEXT\n  poster: FILE\n  n: {type: NUMBER, mode: COMPUTED_ON_SAVE}\n",
    )
    file_site.write(
        "apps/board/blocks/note.py",
        "def n(context):\n"
        "    if context.record.get('title') == 'boom':\n"
        "        raise ValueError('boom')\n"
        "    return 1\n",
    )
    ann = api_client(user_factory("ann"))
    post = {"_save": "1", "title": "x", "poster": upload()}
    assert ann.post("/apps/board/blocks/note/", post).status_code == 302
    record = Record.objects.get(app_id="board")
    before = stored(settings)
    edit = f"/apps/board/records/{record.record_id}/edit/"
    response = ann.post(edit, {"_save": "1", "title": "boom", "poster": upload("new.pdf")})
    assert "Block board/note could not be shown." in response.content.decode()
    assert stored(settings) == before
    got = ann.get(file_url("board", record.record_id, "poster"))
    assert got.status_code == 200 and content(got) == b"%PDF secret plan"


def test_a_deleted_users_uploads_do_not_eat_the_anonymous_allowance(
    file_site, api_client, user_factory, settings
):
    """An admin deletes an account (its records and files stay): its uploads count against
    nobody, not against the allowance anonymous visitors share."""
    settings.MAX_UPLOADS_BYTES_PER_USER = 2**20
    file_site.write("apps/wall/settings.yaml", "acl:\n  rights:\n    author: ['*']\n")
    file_site.write("apps/wall/blocks/doc.yaml", "elements:\n  name: TEXT\n  scan: FILE\n")
    spammer = user_factory("spammer")
    big = {"_save": "1", "name": "big", "scan": upload(body=b"x" * (600 * 1024))}
    assert api_client(spammer).post("/apps/wall/blocks/doc/", big).status_code == 302
    root = user_factory("root2", superuser=True, with_totp=True)
    admin = api_client(root)
    session = admin.session
    session["otp_device_id"] = root.totp_device.persistent_id
    session.save()
    response = admin.post(f"/admin/auth/user/{spammer.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not type(spammer).objects.filter(pk=spammer.pk)
    assert Upload.objects.get().uploader is None  # the file stays, with its record
    anonymous = {"_save": "1", "name": "anonymous", "scan": upload(body=b"y" * (600 * 1024))}
    assert api_client().post("/apps/wall/blocks/doc/", anonymous).status_code == 302


@pytest.mark.parametrize("path", ["../outside.txt", "/etc/hostname"])
def test_a_row_naming_a_path_outside_the_uploads_serves_and_removes_nothing(
    secret, settings, tmp_path, django_capture_on_commit_callbacks, path
):
    """A row whose path leaves MEDIA_ROOT (no upload writes one; data from before the rows,
    given a row by migration 0006): the file route answers 404, and deleting the record
    deletes it without touching the file outside."""
    bob, record, value = secret
    outside = tmp_path / "outside.txt"
    outside.write_text("not an upload")
    Upload.objects.filter(record=record).update(path=path)
    Record.objects.filter(pk=record.pk).update(
        items={**record.items, "scan": {**value, "path": path}}
    )
    assert bob.get(file_url("vault", record.record_id, "scan")).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = bob.post(
            f"/apps/vault/records/{record.record_id}/", {"_delete": "1", "_confirm": "1"}
        )
    assert response.status_code == 302 and not Record.objects.filter(pk=record.pk).exists()
    assert outside.read_text() == "not an upload"


def test_a_formula_copying_the_upload_to_another_item(
    file_site, api_client, user_factory, settings, django_capture_on_commit_callbacks
):
    """Block code that keeps a copy of the FILE value under another item (trusted, as all
    block code): the upload's row is its FILE element's, once. Each save failed instead (a
    second row for the same path: a 409 'record exists already' on create)."""
    file_site.write(
        "apps/board/blocks/note.yaml",
        "elements:\n  title: TEXT\n  poster: FILE\n  copy: {type: TEXT, mode: COMPUTED_ON_SAVE}\n",
    )
    file_site.write(
        "apps/board/blocks/note.py", "def copy(context):\n    return context.record.get('poster')\n"
    )
    ann = api_client(user_factory("ann"))
    post = {"_save": "1", "title": "x", "poster": upload()}
    assert ann.post("/apps/board/blocks/note/", post).status_code == 302
    record = Record.objects.get(app_id="board")
    assert record.items["copy"] == record.items["poster"]
    assert list(Upload.objects.values_list("item", flat=True)) == ["poster"]
    edit = f"/apps/board/records/{record.record_id}/edit/"
    with django_capture_on_commit_callbacks(execute=True):
        response = ann.post(edit, {"_save": "1", "title": "x", "poster": upload("v2.pdf", b"2")})
    assert response.status_code == 302
    value = Record.objects.get().items["poster"]
    assert list(Upload.objects.values_list("item", "path")) == [("poster", value["path"])]
    assert stored(settings) == sorted(["board", os.path.dirname(value["path"]), value["path"]])
    got = ann.get(file_url("board", record.record_id, "poster"))
    assert got.status_code == 200 and content(got) == b"2"


def multipart(filename: str, body: bytes, content_type: str) -> tuple[bytes, str]:
    """A block form post with the file name as a browser (or anyone) may send it, unchanged
    (Django's test client sends a file's base name only)."""
    fields = "".join(
        f'--B\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in (("_save", "1"), ("title", "t"))
    )
    head = (
        f'--B\r\nContent-Disposition: form-data; name="poster"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    )
    return (fields + head).encode() + body + b"\r\n--B--\r\n", "multipart/form-data; boundary=B"


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../../outside.svg", "outside.svg"),
        ("..\\..\\outside.svg", "outside.svg"),
        ("/etc/passwd", "passwd"),
        ("%2e%2e%2fx.svg", "2e2e2fx.svg"),
        ("&#46;&#46;&#47;x.svg", "x.svg"),
    ],
)
def test_an_upload_name_keeps_no_folder_and_is_never_rendered(
    file_site, api_client, user_factory, settings, sent, kept
):
    ann = api_client(user_factory("ann"))
    body, content_type = multipart(sent, b"<svg onload=alert(1)></svg>", "image/svg+xml")
    response = ann.generic("POST", "/apps/board/blocks/note/", body, content_type=content_type)
    assert response.status_code == 302
    value = Record.objects.get().items["poster"]
    assert value["name"] == kept
    assert value["path"].startswith("board/") and value["path"].endswith("/" + kept)
    assert ".." not in value["path"] and len(stored(settings)) == 3  # app, folder, file
    got = api_client().get(file_url("board", Record.objects.get().record_id, "poster"))
    assert got.status_code == 200
    assert got["Content-Type"] == "application/octet-stream"
    assert got["Content-Disposition"] == f'attachment; filename="{kept}"'
    assert got["X-Content-Type-Options"] == "nosniff"


def test_a_record_made_again_under_a_deleted_ones_id_serves_nothing_of_it(
    secret, api_client, user_factory, settings, django_capture_on_commit_callbacks
):
    bob, record, value = secret
    url = file_url("vault", record.record_id, "scan")
    with django_capture_on_commit_callbacks(execute=True):
        response = bob.post(
            f"/apps/vault/records/{record.record_id}/", {"_delete": "1", "_confirm": "1"}
        )
        prune_all()
    assert response.status_code == 302 and stored(settings) == []
    again = f"/api/v1/vault/record/{record.record_id}"
    assert_error(
        bob.send("PUT", again, {"name": "again", "scan": value}), 400, FILE_REFUSED.format("scan")
    )
    assert bob.send("PUT", again, {"name": "again"}).status_code == 201
    # even written by hand, the old value names no row of the new record
    Record.objects.filter(app_id="vault").update(items={"name": "again", "scan": value})
    boss = api_client(user_factory("boss", groups=["admins"]))
    assert boss.get(url).status_code == 404


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers are PostgreSQL's: SQLite's take turns (and its test database, "
    "in memory with a shared cache, refuses a second writer instead of queueing it)",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["ann", None])
def test_parallel_uploads_stay_within_the_cap(
    file_site, api_client, user_factory, settings, monkeypatch, who
):
    """Two uploads at once of one user (or of anonymous visitors, who share an allowance),
    each within the cap but not both: one is refused. The two requests are made to read what
    the allowance holds at the same moment (each waits up to a second for the other to have
    read it too); only one may read it at a time."""
    settings.MAX_UPLOADS_BYTES_PER_USER = 2**20
    file_site.write("apps/wall/settings.yaml", "acl:\n  rights:\n    author: ['*']\n")
    file_site.write("apps/wall/blocks/doc.yaml", "elements:\n  name: TEXT\n  scan: FILE\n")
    if who is not None:
        user_factory(who)
    both_read = threading.Barrier(2, timeout=1)
    read = uploads.stored_bytes

    def read_then_wait(uploader):
        held = read(uploader)
        try:
            both_read.wait()
        except threading.BrokenBarrierError:
            pass  # the other request waits for the allowance: as it should
        return held

    monkeypatch.setattr(uploads, "stored_bytes", read_then_wait)

    def post(n: int) -> int:
        try:
            body = {"_save": "1", "name": str(n), "scan": upload(body=b"x" * (600 * 1024))}
            return api_client(who).post("/apps/wall/blocks/doc/", body).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(post, range(2)))
    assert statuses == [302, 400]
    assert Upload.objects.count() == 1 and len(stored(settings)) == 3  # app, folder, file
