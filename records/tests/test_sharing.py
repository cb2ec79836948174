"""Sharing and row-level security through the public surface (contract §4 `share`, §5)."""

import re

import pytest
from django.contrib.auth.models import Group

from records.ownership.models import RecordGroupShare, RecordUserShare

pytestmark = pytest.mark.django_db

RLS_ACL = """
acl:
  rights:
    reader: [readers]
    author: [authors]
    editor: [editors]
    manager: [managers]
  roles:
    Closers: [closers]
  row_owners: [salesman, team]
"""


@pytest.fixture
def rls_site(records_site):
    records_site.write("apps/sales/settings.yaml", RLS_ACL)
    return records_site


@pytest.fixture
def people(users, user_factory):
    return {
        **users,
        "sam": user_factory("sam", groups=["readers"], email="Sam@Example.com"),
        "closer": user_factory("closer", groups=["readers", "closers"]),
        "outsider": user_factory("outsider", groups=["guests"]),
    }


@pytest.fixture
def client_of(api_client, people):
    return lambda who: api_client(people[who] if who else None)


@pytest.fixture
def rows(rls_site, make_record, people):
    make_record("sales", "mine", {"title": "a"}, author=people["author"])
    make_record("sales", "by-mail", {"salesman": "sam@EXAMPLE.com"})
    make_record("sales", "by-role", {"team": ["east", "Closers"]})
    make_record("sales", "by-group", {"team": "readers"})
    make_record("sales", "nobody", {"salesman": "*", "team": ["authenticated"]})


def listed(client, app="sales"):
    return sorted(r["id"] for r in client.get(f"/api/v1/{app}/records").json())


def agreeing(client) -> list[str]:
    """The ids a visitor lists, once every record of the app has been read one by one: each
    answers 200 exactly when it is listed (a list and one record never disagree)."""
    from records.models import Record

    ids = listed(client)
    for rid in Record.objects.filter(app_id="sales").values_list("record_id", flat=True):
        status = client.get(f"/api/v1/sales/record/{rid}").status_code
        assert (status, rid in ids) in ((200, True), (404, False)), (rid, status, ids)
    return ids


def rename(model_object, field: str, new: str, how: str) -> None:
    """Rename a user or a group with save() (signals run) or a queryset update() (none do)."""
    if how == "save":
        setattr(model_object, field, new)
        model_object.save()
    else:
        type(model_object).objects.filter(pk=model_object.pk).update(**{field: new})


@pytest.mark.parametrize("how", ["save", "update"])
def test_a_renamed_user_keeps_their_shares_and_their_old_name_brings_none(
    rows, make_record, client_of, api_client, people, user_factory, how
):
    make_record("sales", "named", {"salesman": "sam"})  # an owner value: site data, by name
    body = {"principal": "sam", "permissions": ["view"]}
    assert client_of("author").send("POST", "/api/v1/sales/record/mine/share", body).json() == {
        "success": "shared"
    }
    sam = client_of("sam")
    assert agreeing(sam) == ["by-group", "by-mail", "mine", "named"]
    rename(people["sam"], "username", "samuel", how)
    # the share follows the user; the owner value "sam" names whoever is called sam
    assert agreeing(sam) == ["by-group", "by-mail", "mine"]
    newcomer = api_client(user_factory("sam", groups=["readers"], email="new@example.com"))
    assert agreeing(newcomer) == ["by-group", "named"]
    assert newcomer.get("/apps/sales/records/mine/").status_code == 404


@pytest.mark.parametrize("how", ["save", "update"])
def test_a_renamed_group_keeps_its_shares_and_its_old_name_brings_none(
    rows, client_of, people, how
):
    crew = Group.objects.create(name="crew")
    people["closer"].groups.add(crew)
    body = {"principal": "crew", "permissions": ["view"]}
    assert client_of("editor").send("POST", "/api/v1/sales/record/nobody/share", body).json() == {
        "success": "shared"
    }
    assert agreeing(client_of("closer")) == ["by-group", "by-role", "nobody"]
    rename(crew, "name", "old-crew", how)
    assert agreeing(client_of("closer")) == ["by-group", "by-role", "nobody"]
    Group.objects.create(name="crew").user_set.add(people["sam"])
    assert agreeing(client_of("sam")) == ["by-group", "by-mail"]


def test_each_visitor_lists_only_what_they_own(rows, client_of):
    assert listed(client_of("author")) == ["mine"]  # not in group readers: a reader by right
    assert listed(client_of("sam")) == ["by-group", "by-mail"]
    assert listed(client_of("closer")) == ["by-group", "by-role"]
    assert listed(client_of("editor")) == ["by-group", "by-mail", "by-role", "mine", "nobody"]
    assert listed(client_of("manager")) == listed(client_of("editor"))


def test_a_new_record_of_an_author_is_theirs_at_once(rows, client_of):
    client = client_of("author2")
    response = client.send("POST", "/api/v1/sales", {"title": "fresh", "id": "fresh"})
    assert response.status_code == 201
    assert listed(client) == ["fresh"]
    assert client.get("/api/v1/sales/record/fresh").json() == {
        "id": "fresh",
        "title": "fresh",
        "_author": "author2",
    }


def test_a_hidden_record_answers_as_a_missing_one(rows, client_of):
    client = client_of("sam")
    for rid in ("mine", "no-such"):
        response = client.get(f"/api/v1/sales/record/{rid}")
        assert response.status_code == 404
        assert response.json() == {"error": f"no record '{rid}' in app 'sales'"}
        assert client.get(f"/apps/sales/records/{rid}/").status_code == 404


def test_owner_items_are_re_read_when_a_record_changes(rows, client_of, people):
    editor = client_of("editor")
    assert editor.send("PATCH", "/api/v1/sales/record/mine", {"team": "closers"}).status_code == 200
    assert listed(client_of("closer")) == ["by-group", "by-role", "mine"]
    assert editor.send("PATCH", "/api/v1/sales/record/mine", {"team": []}).status_code == 200
    assert listed(client_of("closer")) == ["by-group", "by-role"]


def test_share_and_unshare_by_the_author(rows, client_of):
    author, sam = client_of("author"), client_of("sam")
    path = "/api/v1/sales/record/mine/share"
    body = {"principal": "SAM@example.com", "permissions": ["view", "edit"]}
    response = author.send("POST", path, body)
    assert (response.status_code, response.json()) == (200, {"success": "shared"})
    assert listed(sam) == ["by-group", "by-mail", "mine"]
    assert sam.send("PATCH", "/api/v1/sales/record/mine", {"title": "b"}).status_code == 200
    response = sam.send("DELETE", "/api/v1/sales/record/mine")
    assert response.status_code == 403
    assert response.json() == {"error": "you may not delete records of app 'sales'"}
    response = author.send("DELETE", path, {"principal": "sam", "permissions": ["view"]})
    assert (response.status_code, response.json()) == (200, {"success": "unshared"})
    assert listed(sam) == ["by-group", "by-mail"]
    assert sam.get("/api/v1/sales/record/mine").status_code == 404
    # guardian's backend answers from the same direct-FK rows
    from records.models import Record

    record = Record.objects.get(record_id="mine")
    assert RecordUserShare.objects.filter(content_object=record).count() == 1  # edit is left


def test_a_share_gives_a_non_reader_that_record_only(rows, client_of, people):
    outsider = client_of("outsider")
    response = outsider.get("/api/v1/sales/record/mine")
    assert (response.status_code, response.json()) == (
        403,
        {"error": "you may not view records of app 'sales'"},
    )
    body = {"principal": "guests", "permissions": ["view"]}
    assert client_of("editor").send("POST", "/api/v1/sales/record/mine/share", body).json() == {
        "success": "shared"
    }
    assert RecordGroupShare.objects.count() == 1
    assert outsider.get("/api/v1/sales/record/mine").json()["title"] == "a"
    assert outsider.get("/apps/sales/records/mine/").status_code == 200
    assert people["outsider"].has_perm(
        "records.view_record", RecordGroupShare.objects.get().content_object
    )
    # other records: the same answer as a missing one, and no list
    for rid in ("nobody", "no-such"):
        response = outsider.get(f"/api/v1/sales/record/{rid}")
        assert (response.status_code, response.json()) == (
            403,
            {"error": "you may not view records of app 'sales'"},
        )
    response = outsider.send("PATCH", "/api/v1/sales/record/mine", {"title": "x"})
    assert (response.status_code, response.json()) == (
        403,
        {"error": "you may not edit records of app 'sales'"},
    )


@pytest.mark.parametrize(
    ("who", "record", "status", "error"),
    [
        (None, "mine", 401, "authentication required to share records of app 'sales'"),
        ("sam", "mine", 403, "you may not share records of app 'sales'"),  # a reader
        ("sam", "no-such", 403, "you may not share records of app 'sales'"),
        ("sam", "by-mail", 403, "you may not share records of app 'sales'"),
        ("author2", "mine", 404, "no record 'mine' in app 'sales'"),
        ("outsider", "mine", 403, "you may not share records of app 'sales'"),
    ],
)
def test_who_may_not_share(rows, client_of, who, record, status, error):
    body = {"principal": "sam", "permissions": ["view"]}
    response = client_of(who).send("POST", f"/api/v1/sales/record/{record}/share", body)
    assert (response.status_code, response.json()) == (status, {"error": error})
    assert not RecordUserShare.objects.exists()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ([], "the body must be a JSON object with principal, permissions"),
        (
            {"principal": "sam"},
            "permissions must be a non-empty list of view, edit, delete, found nothing",
        ),
        (
            {"principal": "sam", "permissions": []},
            "permissions must be a non-empty list of view, edit, delete, found []",
        ),
        (
            {"principal": "sam", "permissions": ["view", "own"]},
            "unknown permission own; permissions: view, edit, delete",
        ),
        (
            {"principal": "sam", "permissions": ["view", 1]},
            "unknown permission 1; permissions: view, edit, delete",
        ),
        (
            {"permissions": ["view"]},
            "principal must be a user name, a user's e-mail or a group name, found nothing",
        ),
        (
            {"principal": 3, "permissions": ["view"]},
            "principal must be a user name, a user's e-mail or a group name, found 3",
        ),
        (
            {"principal": "sam", "permissions": ["view"], "until": 1},
            "unknown key 'until' in a share; keys: principal, permissions",
        ),
        (
            {"principal": "ghost", "permissions": ["view"]},
            "no user or group 'ghost': a share names a user, a user's e-mail or a group",
        ),
        (
            {"principal": "ghost@example.com", "permissions": ["view"]},
            "no user or group 'ghost@example.com': a share names a user, a user's e-mail or a group",
        ),
        (
            {"principal": "authenticated", "permissions": ["view"]},
            "no user or group 'authenticated': a share names a user, a user's e-mail or a group",
        ),
    ],
)
def test_bad_shares_are_400(rows, client_of, body, error):
    for method in ("POST", "DELETE"):
        response = client_of("editor").send(method, "/api/v1/sales/record/mine/share", body)
        assert (response.status_code, response.json()) == (400, {"error": error})
    assert not RecordUserShare.objects.exists()


def test_readable_in_block_code_follows_the_same_filter(rows, rls_site, client_of):
    rls_site.write("apps/sales/blocks/mine.yaml", "elements:\n  ids: BASIC\n  west: BASIC\n")
    rls_site.write(
        "apps/sales/blocks/mine.py",
        "def ids(context):\n    return sorted(r.id for r in context.app.readable())\n"
        "def west(context):\n    return len(context.app.records())\n",
    )
    assert client_of("sam").get("/api/v1/sales/blocks/mine/ids").json() == ["by-group", "by-mail"]
    assert client_of("sam").get("/api/v1/sales/blocks/mine/west").json() == 5  # trusted code


def test_a_change_of_row_owners_holds_on_the_next_request(rows, rls_site, client_of):
    from records.ownership.models import OwnedApp

    rls_site.write("apps/sales/settings.yaml", RLS_ACL.replace("[salesman, team]", "[salesman]"))
    assert listed(client_of("closer")) == []  # an item taken out stops granting at once
    assert client_of("closer").get("/api/v1/sales/record/by-role").status_code == 404
    body = {"id": "later", "team": "closers"}
    assert client_of("editor").send("POST", "/api/v1/sales", body).status_code == 201
    rls_site.write("apps/sales/settings.yaml", RLS_ACL)
    # an item put back counts for every record at once, saved before the change or after
    assert listed(client_of("closer")) == ["by-group", "by-role", "later"]
    assert client_of("closer").get("/api/v1/sales/record/later").status_code == 200
    assert OwnedApp.objects.get(app_id="sales").row_owners == "salesman team"
    response = client_of("manager").send("POST", "/api/v1/sales/refresh")
    assert response.status_code == 200
    assert listed(client_of("closer")) == ["by-group", "by-role", "later"]


def test_row_owners_are_checked_once_per_site_object_and_a_change_on_the_next_request(
    rows, rls_site, client_of, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from records.ownership.models import OwnedApp

    closer = client_of("closer")

    def list_and_count_checks():
        # committed as a request outside a test's transaction would be
        with (
            django_capture_on_commit_callbacks(execute=True),
            CaptureQueriesContext(connection) as seen,
        ):
            ids = listed(closer)
        table = OwnedApp._meta.db_table
        return ids, sum(table in query["sql"] for query in seen.captured_queries)

    ids, checks = list_and_count_checks()
    assert (ids, checks > 0) == (["by-group", "by-role"], True)
    assert list_and_count_checks() == (["by-group", "by-role"], 0)  # no round trip
    rls_site.write("apps/sales/settings.yaml", RLS_ACL.replace("[salesman, team]", "[salesman]"))
    ids, checks = list_and_count_checks()
    assert (ids, checks > 0) == ([], True)  # a new site object: checked, rebuilt
    assert list_and_count_checks() == ([], 0)
    rls_site.write("apps/sales/settings.yaml", RLS_ACL)
    ids, checks = list_and_count_checks()
    assert (ids, checks > 0) == (["by-group", "by-role"], True)
    assert OwnedApp.objects.get(app_id="sales").row_owners == "salesman team"


def test_admin_shows_and_edits_a_records_object_permissions(rows, api_client, people, client_of):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from records.models import Record

    device = TOTPDevice.objects.create(user=people["root"], name="phone", confirmed=True)
    client = api_client(people["root"])
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    body = {"principal": "sam", "permissions": ["view"]}
    assert client.send("POST", "/api/v1/sales/record/mine/share", body).status_code == 200
    record = Record.objects.get(record_id="mine")
    page = client.get(f"/admin/records/record/{record.pk}/change/").content.decode()
    assert f"/admin/records/record/{record.pk}/permissions/" in page  # guardian's button
    page = client.get(f"/admin/records/record/{record.pk}/permissions/").content.decode()
    sam_row = re.search(r"<td>sam</td>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r"icon-(yes|no)", sam_row) == ["no", "no", "no", "yes"]  # view only
    # a share made in the admin is honoured by the filter too (the owner table follows it)
    guests = Group.objects.get(name="guests")
    response = client.post(
        f"/admin/records/record/{record.pk}/permissions/group-manage/{guests.pk}/",
        {"permissions": ["view_record"]},
    )
    assert response.status_code == 302
    assert client_of("outsider").get("/api/v1/sales/record/mine").status_code == 200
    response = client.post(
        f"/admin/records/record/{record.pk}/permissions/group-manage/{guests.pk}/",
        {"csrfmiddlewaretoken": "-"},  # a browser's form: no permission ticked
    )
    assert response.status_code == 302
    assert client_of("outsider").get("/api/v1/sales/record/mine").status_code == 403


# --- contract §7: a share never turns into ownership; sharing needs the author right now ------


def snapshot(record_id):
    from records.models import Record

    return list(Record.objects.filter(record_id=record_id).values_list("items", "version"))


def test_an_edit_share_may_not_take_the_record_over(rows, client_of):
    """Issue 10, finding 4: given view+edit, sam PATCHed the owner item to his own name and
    kept the row after the share was revoked."""
    author, sam = client_of("author"), client_of("sam")
    share = {"principal": "sam", "permissions": ["view", "edit"]}
    assert author.send("POST", "/api/v1/sales/record/mine/share", share).status_code == 200
    before = snapshot("mine")
    for method in ("PATCH", "POST"):
        for body, item in (
            ({"salesman": "sam"}, "salesman"),
            ({"title": "b", "team": ["readers"]}, "team"),
            ({"salesman": ["sam", "author"]}, "salesman"),
        ):
            response = sam.send(method, "/api/v1/sales/record/mine", body)
            assert (response.status_code, response.json()) == (
                403,
                {"error": f"an edit share may not change the owner item '{item}'"},
            )
    assert snapshot("mine") == before
    # the other items are his to change, and an owner item's current value may be sent back
    response = sam.send("PATCH", "/api/v1/sales/record/mine", {"title": "b", "salesman": None})
    assert response.status_code == 200
    # revoked: nothing is left, as for any record he does not own
    assert author.send("DELETE", "/api/v1/sales/record/mine/share", share).status_code == 200
    assert listed(sam) == ["by-group", "by-mail"]
    assert sam.get("/api/v1/sales/record/mine").status_code == 404
    for method, body, action in (("PATCH", {"title": "c"}, "edit"), ("DELETE", None, "delete")):
        response = sam.send(method, "/api/v1/sales/record/mine", body)  # a reader: the app's 403
        assert (response.status_code, response.json()) == (
            403,
            {"error": f"you may not {action} records of app 'sales'"},
        )
    assert sam.get("/apps/sales/records/mine/").status_code == 404
    assert snapshot("mine")[0][0]["title"] == "b"


def test_those_who_own_a_record_may_hand_it_on(rows, client_of, make_record, people):
    make_record("sales", "theirs", {"title": "t"}, author=people["author2"])
    response = client_of("author2").send(
        "PATCH", "/api/v1/sales/record/theirs", {"salesman": "sam"}
    )
    assert response.status_code == 200  # an author who owns it
    response = client_of("editor").send("PATCH", "/api/v1/sales/record/by-mail", {"team": "x"})
    assert response.status_code == 200  # an editor


DEAL = "elements:\n  title: TEXT\n  salesman: TEXT\n"


def test_an_edit_share_may_not_take_the_record_over_through_its_form(rls_site, client_of, people):
    from records import store
    from site_model.loader import current_site

    rls_site.write("apps/sales/blocks/deal.yaml", DEAL)
    app = current_site().apps["sales"]
    store.record_create(
        app=app,
        items={"title": "a", "salesman": "author"},
        record_id="deal",
        user=people["author"],
        block=app.blocks["deal"],
    )
    share = {"principal": "outsider", "permissions": ["view", "edit"]}  # no right in the app
    assert client_of("author").send("POST", "/api/v1/sales/record/deal/share", share).json() == {
        "success": "shared"
    }
    outsider, before = client_of("outsider"), snapshot("deal")
    form = {"_save": "1", "title": "b", "salesman": "outsider"}
    response = outsider.post("/apps/sales/records/deal/edit/", form)
    assert response.status_code == 403
    assert snapshot("deal") == before
    response = outsider.post("/apps/sales/records/deal/edit/", {**form, "salesman": "author"})
    assert (response.status_code, snapshot("deal")[0][0]["title"]) == (302, "b")


@pytest.mark.parametrize("still_reader", [True, False])
def test_a_demoted_author_may_no_longer_share(rows, rls_site, client_of, still_reader):
    """Issue 10, finding 5: an author who lost the author right shared their record with
    themselves (edit, delete) and with a user with no right in the app, and both PATCHed it."""
    author = client_of("author")
    early = {"principal": "sam", "permissions": ["view"]}
    assert author.send("POST", "/api/v1/sales/record/mine/share", early).status_code == 200
    # settings.yaml edited: the group `authors` now holds the reader right only, or none
    readers = "reader: [readers, authors]" if still_reader else "reader: [readers]"
    rls_site.write(
        "apps/sales/settings.yaml",
        RLS_ACL.replace("reader: [readers]", readers).replace("author: [authors]", "author: []"),
    )
    shares = list(RecordUserShare.objects.values_list("pk", flat=True))
    for principal in ("author", "outsider", "sam"):
        body = {"principal": principal, "permissions": ["view", "edit", "delete"]}
        for method in ("POST", "DELETE"):
            response = author.send(method, "/api/v1/sales/record/mine/share", body)
            assert (response.status_code, response.json()) == (
                403,
                {"error": "you may not share records of app 'sales'"},
            )
    assert list(RecordUserShare.objects.values_list("pk", flat=True)) == shares
    for who in ("author", "outsider"):
        response = client_of(who).send("PATCH", "/api/v1/sales/record/mine", {"title": "x"})
        assert response.status_code in (403, 404)
    # the share made while they held the right stays
    assert client_of("sam").get("/api/v1/sales/record/mine").status_code == 200


# --- an empty owner item names nobody: sending it empty is no change (issue 10 follow-up, F5) --

DEAL_WITH_TEAM = "elements:\n  title: TEXT\n  salesman: TEXT\n  team: TEXT\n"


@pytest.fixture
def bare_deal(rls_site, client_of, people):
    """A deal saved through its block with no owner item at all, shared view+edit with outsider."""
    from records import store
    from site_model.loader import current_site

    rls_site.write("apps/sales/blocks/deal.yaml", DEAL_WITH_TEAM)
    app = current_site().apps["sales"]
    store.record_create(
        app=app,
        items={"title": "a"},
        record_id="deal",
        user=people["author"],
        block=app.blocks["deal"],
    )
    share = {"principal": "outsider", "permissions": ["view", "edit"]}
    assert client_of("author").send("POST", "/api/v1/sales/record/deal/share", share).json() == {
        "success": "shared"
    }
    return client_of("outsider")


def items_of(record_id):
    from records.models import Record

    return Record.objects.get(record_id=record_id).items


def test_an_edit_share_saves_the_form_of_a_record_without_owner_items(bare_deal):
    page = bare_deal.get("/apps/sales/records/deal/edit/")
    assert page.status_code == 200
    # the form posts every field, the absent owner items as ""
    response = bare_deal.post(
        "/apps/sales/records/deal/edit/", {"_save": "1", "title": "b", "salesman": "", "team": ""}
    )
    assert response.status_code == 302, response.content
    items = items_of("deal")
    assert items["title"] == "b"
    assert [items.get("salesman"), items.get("team")] in ([None, None], ["", ""])
    # saved again: still nobody's, still no change
    again = {"_save": "1", "title": "c", "salesman": "", "team": ""}
    assert bare_deal.post("/apps/sales/records/deal/edit/", again).status_code == 302
    assert items_of("deal")["title"] == "c"


@pytest.mark.parametrize("empty", [None, "", []])
def test_an_empty_owner_item_is_no_change_over_the_api(bare_deal, empty):
    response = bare_deal.send("PATCH", "/api/v1/sales/record/deal", {"salesman": empty})
    assert response.status_code == 200, response.content
    for other in (None, "", []):  # whatever empty value is stored now, any other is the same
        body = {"title": f"t{other!r}", "salesman": other, "team": other}
        response = bare_deal.send("PATCH", "/api/v1/sales/record/deal", body)
        assert response.status_code == 200, response.content


def test_an_edit_share_may_not_fill_or_empty_an_owner_item(bare_deal, client_of):
    for body, item in (({"salesman": "outsider"}, "salesman"), ({"team": ["guests"]}, "team")):
        response = bare_deal.send("PATCH", "/api/v1/sales/record/deal", body)
        assert (response.status_code, response.json()) == (
            403,
            {"error": f"an edit share may not change the owner item '{item}'"},
        )
    # the author gives it an owner; emptying it is a change too
    assert (
        client_of("author").send("PATCH", "/api/v1/sales/record/deal", {"team": "east"}).status_code
        == 200
    )
    for empty in (None, "", []):
        response = bare_deal.send("PATCH", "/api/v1/sales/record/deal", {"team": empty})
        assert response.status_code == 403
    assert items_of("deal")["team"] == "east"


def test_the_edit_page_s_refusal_names_the_owner_item(bare_deal):
    import html

    form = {"_save": "1", "title": "b", "salesman": "outsider", "team": ""}
    response = bare_deal.post("/apps/sales/records/deal/edit/", form)
    assert response.status_code == 403
    text = html.unescape(response.content.decode())
    assert "an edit share may not change the owner item 'salesman'" in text
    assert items_of("deal") == {"title": "a", "block": "deal", "_author": "author"}
