"""One validation for every path that writes items (contract §2): the JSON API (create, bulk,
PUT, PATCH), block code's `record.save()`; each answers 400 naming the item and the rule, and
writes nothing. The block form's side is in test_record_pages.py."""

import pytest

from records.models import Record
from tests.helpers import assert_error


@pytest.fixture
def ann(user_factory):
    return user_factory("ann")


@pytest.fixture
def client(api_client, ann, events_site):
    return api_client(ann)


GOOD = {"title": "Summer party", "seats": 40, "kind": "party", "day": "2026-07-01"}


def test_the_issue_example_is_a_400(client):
    response = client.post_json("/api/v1/events", {"seats": "many", "starts": "tomorrow"})
    assert_error(
        response,
        400,
        "item 'seats': type: NUMBER takes a number, found a string 'many'; "
        "item 'starts': type: DATETIME takes an RFC 3339 date and time with its UTC offset "
        "such as '2026-07-01T18:00:00+02:00', found a string 'tomorrow'",
    )
    assert not Record.objects.exists()


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ({"seats": 0}, "item 'seats': min: at least 1, found 0"),
        ({"seats": 501}, "item 'seats': max: at most 500, found 501"),
        ({"seats": True}, "item 'seats': type: NUMBER takes a number, found a boolean true"),
        ({"title": "x" * 81}, "item 'title': max_length: at most 80 characters, found 81"),
        ({"title": ""}, "item 'title': required: a value is required"),
        ({"title": None}, "item 'title': required: a value is required"),
        ({"kind": "gala"}, "item 'kind': choices: one of talk, workshop, party, found 'gala'"),
        ({"day": "2019-12-31"}, "item 'day': min: at least 2020-01-01, found 2019-12-31"),
        (
            {"day": "July 1st"},
            "item 'day': type: DATE takes a day as YYYY-MM-DD, found a string 'July 1st'",
        ),
        (
            {"public": "yes"},
            "item 'public': type: BOOLEAN takes true or false, found a string 'yes'",
        ),
        (
            {"contact": "ann"},
            "item 'contact': type: EMAIL takes an e-mail address, found a string 'ann'",
        ),
        (
            {"website": "ftp://x.org"},
            "item 'website': type: URL takes an http or https address, found a string 'ftp://x.org'",
        ),
        ({"code": "abc"}, "item 'code': pattern: must match [A-Z]{3}"),
        ({"notes": 12}, "item 'notes': type: TEXTAREA takes a string, found a number 12"),
        (
            {
                "poster": {
                    "name": "a",
                    "path": "events/x/a",
                    "size": 1,
                    "content_type": "text/plain",
                }
            },
            "item 'poster': FILE: a file is set only by an upload through the block form",
        ),
        ({"venue": "hall"}, "item 'venue': REFERENCE: no record 'hall' in app 'places'"),
        (
            {"follows": "a b"},
            "item 'follows': type: REFERENCE takes a record id, found a string 'a b'",
        ),
    ],
)
def test_every_rule_on_create_put_patch_and_bulk(client, items, message):
    body = {**GOOD, **items}
    assert_error(client.post_json("/api/v1/events", body), 400, message)
    assert_error(client.send("PUT", "/api/v1/events/record/one", body), 400, message)
    assert_error(
        client.post_json("/api/v1/events/records", [GOOD, body]), 400, f"record 1: {message}"
    )
    assert not Record.objects.exists()
    client.send("PUT", "/api/v1/events/record/one", GOOD)
    before = Record.objects.get().items
    assert_error(client.send("PATCH", "/api/v1/events/record/one", items), 400, message)
    assert Record.objects.get().items == before


def test_what_fits_is_written_and_free_items_stay_free(client):
    body = {
        **GOOD,
        "starts": "2026-07-01T18:00:00+02:00",
        "public": True,
        "contact": "ann@example.com",
        "website": "https://example.com/party",
        "code": "SUM",
        "notes": "Bring\na hat",
        "seats": None,  # not required: empty is fine
        "anything": {"free": ["items", 1]},  # names no element
    }
    assert client.post_json("/api/v1/events", body).status_code == 201
    client.send("PUT", "/api/v1/events/record/first", GOOD)
    response = client.send("PUT", "/api/v1/events/record/second", {**GOOD, "follows": "first"})
    assert response.status_code == 201


def test_a_reference_to_another_app_must_exist(client, user_factory, api_client):
    admin = api_client(user_factory("boss", groups=["admins"]))
    assert admin.send("PUT", "/api/v1/places/record/hall", {"name": "Hall"}).status_code == 201
    assert admin.post_json("/api/v1/events", {**GOOD, "venue": "hall"}).status_code == 201
    # ann may not read places: to her, 'hall' does not exist (more below)
    assert_error(
        client.post_json("/api/v1/events", {**GOOD, "venue": "hall"}),
        400,
        "item 'venue': REFERENCE: no record 'hall' in app 'places'",
    )


def test_required_on_create_with_a_block_but_not_on_patch(client):
    assert_error(
        client.post_json("/api/v1/events", {"seats": 3, "block": "event"}),
        400,
        "item 'title': required: a value is required",
    )
    client.send("PUT", "/api/v1/events/record/one", GOOD)
    assert client.send("PATCH", "/api/v1/events/record/one", {"seats": 3}).status_code == 200


def test_record_save_in_block_code_is_checked(client, events_site):
    events_site.write(
        "apps/events/blocks/fix.yaml", "elements:\n  fix: {type: ACTION, label: Fix}\n"
    )
    events_site.write(
        "apps/events/blocks/fix.py",
        "def fix(context):\n"
        "    record = context.app.get_record('one')\n"
        "    try:\n"
        "        record.save({'seats': 'lots'})\n"
        "    except ValueError as exc:\n"
        "        context.app.get_record('one').save({'title': str(exc)[:80]})\n",
    )
    client.send("PUT", "/api/v1/events/record/one", GOOD)
    assert client.post("/apps/events/blocks/fix/", {"fix": "1"}).status_code == 302
    assert (
        Record.objects.get().items["title"]
        == ("item 'seats': type: NUMBER takes a number, found a string 'lots'")[:80]
    )


def test_the_list_answers_the_items_as_one_record_does(client):
    client.send("PUT", "/api/v1/events/record/one", GOOD)
    listed = client.get("/api/v1/events/records").json()
    one = client.get("/api/v1/events/record/one").json()
    assert listed[0]["items"] == one == {"id": "one", **GOOD, "_author": "ann"}
    found = client.post_json("/api/v1/events/search", {}).json()
    assert found[0]["items"] == one


HIDDEN_PLACES = {
    # ann has no right in places at all
    "no right": "acl:\n  rights:\n    reader: [admins]\n",
    # ann is an author of places, but 'hall' is owned by bob (row-level security)
    "not hers": "acl:\n  rights:\n    author: [authenticated]\n  row_owners: [owner]\n",
}


@pytest.mark.parametrize("places_acl", HIDDEN_PLACES.values(), ids=HIDDEN_PLACES.keys())
def test_a_reference_to_a_hidden_record_answers_as_a_missing_one(
    client, events_site, make_record, user_factory, places_acl
):
    events_site.write("apps/places/settings.yaml", places_acl)
    make_record("places", "hall", {"name": "Main hall", "owner": "bob"})
    answers = {}
    for venue in ("hall", "nowhere"):
        body = {**GOOD, "venue": venue}
        answers[venue] = [
            client.post_json("/api/v1/events", body),
            client.send("PUT", f"/api/v1/events/record/{venue}", body),
            client.post_json("/api/v1/events/records", [body]),
        ]
    assert not Record.objects.filter(app_id="events").exists()
    client.send("PUT", "/api/v1/events/record/one", GOOD)
    for venue in ("hall", "nowhere"):
        answers[venue].append(client.send("PATCH", "/api/v1/events/record/one", {"venue": venue}))
    for hidden, missing in zip(answers["hall"], answers["nowhere"], strict=True):
        message = missing.json()["error"].replace("nowhere", "hall")
        assert_error(hidden, missing.status_code, message)
    assert missing.status_code == 400
    assert "venue" not in Record.objects.get(app_id="events", record_id="one").items
