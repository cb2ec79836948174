"""The block form of every element type and the record pages (issue 14): fields, rules beside
the field, FILE served only to readers, REFERENCE hidden when unreadable, headings, the link
back, Edit and Delete only for those who may, a confirmed delete, a stale edit refused."""

import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from records.models import Record


@pytest.fixture
def ann(user_factory):
    return user_factory("ann")


@pytest.fixture
def client(api_client, ann, events_site):
    return api_client(ann)


FORM = {"_save": "1", "title": "Summer party", "seats": "40", "kind": "party", "day": "2026-07-01"}


def field_error(html: str, element: str) -> str:
    found = re.search(rf'id="f-events-event-{element}-error" role="alert">([^<]*)<', html)
    return found.group(1) if found else ""


def test_the_empty_form_has_a_field_of_every_type_and_runs_no_formula(client):
    response = client.get("/apps/events/blocks/event/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="block block-error"' not in html  # headline() reads context.record: not run here
    assert 'enctype="multipart/form-data"' in html
    for markup in (
        '<input type="text" name="title" id="f-events-event-title" value="" maxlength="80" required>',
        '<select name="kind" id="f-events-event-kind"><option value="" selected>---------</option>'
        '<option value="talk">talk</option>',
        '<input type="date" name="day" id="f-events-event-day" value="" min="2020-01-01">',
        '<input type="datetime-local" name="starts"',
        '<input type="number" name="seats" id="f-events-event-seats" value="" max="500" min="1" '
        'step="any">',
        '<textarea name="notes" id="f-events-event-notes" rows="4" maxlength="2000"></textarea>',
        '<input type="hidden" name="public" value="0"><input type="checkbox" name="public" '
        'id="f-events-event-public" value="1">',
        '<input type="email" name="contact"',
        '<input type="url" name="website"',
        '<input type="file" name="poster" id="f-events-event-poster">',
        '<input type="text" name="venue" id="f-events-event-venue" value="">',
    ):
        assert markup in html, markup
    assert 'name="headline"' not in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("seats", "0", "Seats must be at least 1."),
        ("seats", "501", "Seats must be at most 500."),
        ("seats", "many", "Enter a number, not &#x27;many&#x27;."),
        ("day", "2019-05-01", "Day must be 2020-01-01 or later."),
        ("kind", "gala", "Select a valid choice. gala is not one of the available choices."),
        ("code", "abc", "Code must match [A-Z]{3}."),
        ("title", "x" * 81, "Title must be at most 80 characters long."),
        ("contact", "ann", "Enter a valid email address."),
        ("title", "", "Title is required."),
        ("venue", "hall", "Venue names no record &#x27;hall&#x27; in app &#x27;places&#x27;."),
    ],
)
def test_a_rule_broken_in_the_form_shows_beside_its_field(client, field, value, message):
    response = client.post("/apps/events/blocks/event/", {**FORM, field: value})
    assert response.status_code == 400
    assert field_error(response.content.decode(), field) == message
    assert not Record.objects.exists()


def test_all_of_a_form_s_problems_show_at_once(client):
    """A REFERENCE to nothing is named together with the field the form itself refused."""
    sent = {**FORM, "seats": "0", "venue": "hall", "title": "", "follows": "nothing"}
    response = client.post("/apps/events/blocks/event/", sent)
    assert response.status_code == 400
    html = response.content.decode()
    assert {name: field_error(html, name) for name in ("seats", "venue", "title", "follows")} == {
        "seats": "Seats must be at least 1.",
        "venue": "Venue names no record &#x27;hall&#x27; in app &#x27;places&#x27;.",
        "title": "Title is required.",
        "follows": "Follows names no record &#x27;nothing&#x27; in app &#x27;events&#x27;.",
    }
    assert not Record.objects.exists()


def test_all_problems_show_at_once_on_the_edit_page_too(client):
    location = client.post("/apps/events/blocks/event/", FORM)["Location"]
    response = client.post(location + "edit/", {**FORM, "seats": "0", "venue": "hall"})
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, "seats") == "Seats must be at least 1."
    assert field_error(html, "venue") == (
        "Venue names no record &#x27;hall&#x27; in app &#x27;places&#x27;."
    )


def test_a_refused_save_shows_the_page_the_form_was_posted_from(client, events_site):
    events_site.write("pages/index.yaml", "title: Home\nblocks: [events/event]\n")
    response = client.post("/apps/events/blocks/event/", {**FORM, "seats": "0", "next": "/events/"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Events ·" in html and "<h1>Events</h1>" in html
    assert field_error(html, "seats") == "Seats must be at least 1."
    assert 'value="Summer party"' in html  # what was typed stays
    assert 'name="next" value="/events/"' in html  # the next save comes back here too


@pytest.mark.parametrize("next_url", [None, "/nowhere/", "https://evil.example/events/"])
def test_without_a_page_of_its_own_named_a_refused_save_shows_the_page_holding_the_block(
    client, next_url
):
    sent = {**FORM, "seats": "0", **({"next": next_url} if next_url else {})}
    response = client.post("/apps/events/blocks/event/", sent)
    assert response.status_code == 400
    html = response.content.decode()
    assert "<h1>Events</h1>" in html
    assert field_error(html, "seats") == "Seats must be at least 1."
    assert "evil.example" not in html


def test_a_refused_save_of_a_block_on_no_page_has_a_heading_and_a_way_back(client, events_site):
    events_site.remove("pages/events.yaml")
    response = client.post("/apps/events/blocks/event/", {**FORM, "seats": "0"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<h1>Add an event</h1>" in html
    assert '<nav class="block-back"><a href="/">&larr; Home page</a></nav>' in html
    assert field_error(html, "seats") == "Seats must be at least 1."


def test_a_refused_save_under_htmx_is_the_block_alone(client):
    response = client.post(
        "/apps/events/blocks/event/", {**FORM, "seats": "0"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith("<form") and "<h1>" not in html


def test_an_unticked_box_sends_its_hidden_0_alone_and_is_stored_false(client):
    """A browser sends the hidden "0" alone for an unticked box (Django's CheckboxInput would
    read that non-empty string as ticked)."""
    client.post("/apps/events/blocks/event/", {**FORM, "public": "0"})
    record = Record.objects.get()
    assert record.items["public"] is False
    client.post(
        f"/apps/events/records/{record.record_id}/edit/",
        {**FORM, "public": ["0", "1"], "_etag": record.etag},
    )
    record.refresh_from_db()
    assert record.items["public"] is True


def test_a_save_runs_the_formula_and_lands_on_a_finished_record_page(
    client, api_client, user_factory
):
    response = client.post("/apps/events/blocks/event/", {**FORM, "public": ["0", "1"]})
    assert response.status_code == 302
    record = Record.objects.get()
    assert record.items["headline"] == "Summer party (40 seats)"
    assert record.items["public"] is True and record.items["kind"] == "party"
    html = client.get(response["Location"]).content.decode()
    assert '<h1 class="record-heading">Summer party</h1>' in html
    assert '<nav class="record-back"><a href="/events/">&larr; Events</a></nav>' in html
    assert 'class="action edit"' in html
    edit = client.get(response["Location"] + "edit/").content.decode()
    assert '<h1 class="record-heading">Edit: Summer party</h1>' in edit
    assert 'name="_delete"' in edit
    # bob, signed in but not the author, sees the event without Edit (it would be a 403)
    bob = api_client(user_factory("bob"))
    html = bob.get(response["Location"]).content.decode()
    assert "Summer party" in html and 'class="action edit"' not in html
    assert bob.get(response["Location"] + "edit/").status_code == 403


def test_delete_asks_first_then_says_so_on_the_events_page(client):
    location = client.post("/apps/events/blocks/event/", FORM)["Location"]
    confirm = client.post(location + "edit/", {"_delete": "1"})
    assert confirm.status_code == 200 and Record.objects.exists()
    html = confirm.content.decode()
    assert (
        "Delete <strong>Summer party</strong>? It is kept as deleted until its history is pruned"
        in html
    )
    assert f'<a class="action cancel" href="{location}">Cancel</a>' in html
    done = client.post(location + "edit/", {"_delete": "1", "_confirm": "1"}, follow=True)
    assert done.redirect_chain == [("/events/", 302)]
    assert "Deleted “Summer party”." in done.content.decode()
    assert not Record.objects.exists()


def test_a_stale_edit_is_refused_not_written(client):
    location = client.post("/apps/events/blocks/event/", FORM)["Location"]
    edit = client.get(location + "edit/").content.decode()
    etag = unescape(re.search(r'name="_etag" value="([^"]+)"', edit).group(1))
    # meanwhile, someone else changes the event through the API
    record_id = Record.objects.get().record_id
    response = client.send("PATCH", f"/api/v1/events/record/{record_id}", {"seats": 60})
    assert response.status_code == 200
    assert client.post(location + "edit/", {**FORM, "_etag": etag}).status_code == 409
    response = client.post(location + "edit/", {**FORM, "seats": "45", "_etag": etag})
    assert response.status_code == 409
    html = response.content.decode()
    assert "This record was changed since you opened it, so your changes were not saved." in html
    assert 'value="60"' in html  # the form shows the saved version
    assert Record.objects.get().items["seats"] == 60
    fresh = unescape(re.search(r'name="_etag" value="([^"]+)"', html).group(1))
    response = client.post(location + "edit/", {**FORM, "seats": "45", "_etag": fresh})
    assert response.status_code == 302 and Record.objects.get().items["seats"] == 45


def test_a_file_is_uploaded_and_read_back_only_by_a_reader(api_client, user_factory, site_dir):
    site_dir.write(
        "apps/vault/settings.yaml",
        "acl:\n  rights:\n    reader: [admins]\n    author: [authenticated]\n"
        "    editor: [admins]\n  row_owners: [owner]\n",
    )
    site_dir.write("apps/vault/blocks/doc.yaml", "elements:\n  name: TEXT\n  scan: FILE\n")
    ann, bob = api_client(user_factory("ann")), api_client(user_factory("bob"))
    upload = SimpleUploadedFile("plan <1>.html", b"<script>alert(1)</script>", "text/html")
    response = ann.post("/apps/vault/blocks/doc/", {"_save": "1", "name": "Plan", "scan": upload})
    assert response.status_code == 302
    record = Record.objects.get()
    scan = record.items["scan"]
    assert (scan["name"], scan["size"], scan["content_type"]) == ("plan_1.html", 25, "text/html")
    page = ann.get(response["Location"]).content.decode()
    url = f"/apps/vault/records/{record.record_id}/files/scan/"
    assert f'<a class="file" href="{url}">plan_1.html</a>' in page
    got = ann.get(url)
    assert (
        got.status_code == 200 and b"".join(got.streaming_content) == b"<script>alert(1)</script>"
    )
    assert got["Content-Disposition"] == 'attachment; filename="plan_1.html"'
    assert got["Content-Type"] == "application/octet-stream"
    assert bob.get(url).status_code == 404  # may not read the record: not even its existence
    assert api_client().get(url).status_code == 302  # anonymous: to the login page
    # an edit that chooses no new file keeps the stored one
    edit = ann.post(response["Location"] + "edit/", {"_save": "1", "name": "Plan B", "scan": ""})
    assert edit.status_code == 302
    assert Record.objects.get().items["scan"] == scan
    # a client may not point a FILE item at a stored file
    response = bob.post_json("/api/v1/vault", {"scan": scan})
    assert response.status_code == 400


def test_a_file_over_the_upload_limit_is_refused_beside_its_field(
    api_client, user_factory, site_dir, settings
):
    settings.MAX_UPLOAD_BYTES = 2**20
    site_dir.write("apps/vault/settings.yaml", "acl:\n  rights:\n    author: [authenticated]\n")
    site_dir.write("apps/vault/blocks/doc.yaml", "elements:\n  name: TEXT\n  scan: FILE\n")
    ann = api_client(user_factory("ann"))
    big = SimpleUploadedFile("big.bin", b"x" * (2**20 + 1), "application/octet-stream")
    response = ann.post("/apps/vault/blocks/doc/", {"_save": "1", "name": "Big", "scan": big})
    assert response.status_code == 400
    assert "The file is larger than the limit of 1 MB." in response.content.decode()
    assert not Record.objects.exists()
    small = SimpleUploadedFile("small.bin", b"x" * 2**20, "application/octet-stream")
    response = ann.post("/apps/vault/blocks/doc/", {"_save": "1", "name": "Ok", "scan": small})
    assert response.status_code == 302


def test_a_reference_is_a_link_only_for_those_who_may_read_its_target(
    client, api_client, user_factory
):
    boss = api_client(user_factory("boss", groups=["admins"]))
    boss.send("PUT", "/api/v1/places/record/hall", {"name": "Hall", "block": "place"})
    # boss writes the reference: ann may not (to her, 'hall' does not exist: test_validation.py)
    event = {"title": "Summer party", "seats": 40, "venue": "hall", "block": "event"}
    assert boss.send("PUT", "/api/v1/events/record/party", event).status_code == 201
    location = "/apps/events/records/party/"
    link = '<a class="reference" href="/apps/places/records/hall/">hall</a>'
    assert link in boss.get(location).content.decode()
    html = client.get(location).content.decode()  # ann may not read app places
    assert link not in html and "hall" not in html


def test_an_api_record_shows_its_block_or_the_default_layout_without_server_items(client):
    client.send("PUT", "/api/v1/events/record/raw", {"title": "Raw", "extra": "x"})
    html = client.get("/apps/events/records/raw/").content.decode()
    assert '<h1 class="record-heading">raw</h1>' in html
    assert "<th>extra</th><td>x</td>" in html and "_author" not in html
    client.send(
        "PUT",
        "/api/v1/events/record/typed",
        {**{k: v for k, v in FORM.items() if k != "_save"}, "seats": 3, "block": "event"},
    )
    html = client.get("/apps/events/records/typed/").content.decode()
    assert '<h1 class="record-heading">Summer party</h1>' in html
    assert 'data-block="event"' in html and "_author" not in html


@pytest.mark.parametrize("seats", ["40", "0"], ids=["alone", "beside-another-problem"])
def test_the_form_answers_a_hidden_reference_as_a_missing_one(
    client, api_client, user_factory, seats
):
    """Also where the form refused another field first, and the store's check runs on the
    rest to show every problem at once."""
    boss = api_client(user_factory("boss", groups=["admins"]))
    boss.send("PUT", "/api/v1/places/record/hall", {"name": "Hall", "block": "place"})
    hidden = client.post("/apps/events/blocks/event/", {**FORM, "seats": seats, "venue": "hall"})
    missing = client.post(
        "/apps/events/blocks/event/", {**FORM, "seats": seats, "venue": "nowhere"}
    )
    assert hidden.status_code == missing.status_code == 400
    assert field_error(hidden.content.decode(), "venue") == field_error(
        missing.content.decode(), "venue"
    ).replace("nowhere", "hall")
    assert field_error(hidden.content.decode(), "venue") != ""
