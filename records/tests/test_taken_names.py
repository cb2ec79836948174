"""Sign-up cannot claim rows (issue 10, finding 1; contract §7 "Names").

The attacks, through HTTP: sign up with the name a record's owner item holds (a role of an app
with row_owners, `nobody`, a deleted user's `_author`), in any case or width, then list and
PATCH; rename a user into such a name in the admin. Each is now refused with "This name is
taken.", and nobody who signs up reads a row they did not read before.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.models import SecurityEvent
from records.ownership.models import RecordOwner
from tests.helpers import ApiClient, new_client, signup

pytestmark = pytest.mark.django_db

TAKEN = "This name is taken. Choose another one."

RLS_ACL = """
acl:
  rights:
    reader: [authenticated]
    author: [authenticated]
    editor: [editors]
  roles:
    Closers: [closers]
  row_owners: [salesman, team]
"""


@pytest.fixture
def rls_site(records_site):
    records_site.write("apps/sales/settings.yaml", RLS_ACL)
    return records_site


@pytest.fixture
def rows(rls_site, make_record, users):
    make_record("sales", "for-closers", {"title": "a", "team": "Closers"})
    make_record("sales", "for-nobody", {"title": "b", "salesman": "nobody"})
    make_record("sales", "for-wide", {"title": "c", "salesman": "ｗｉｄｅ"})  # full-width
    make_record("sales", "customer-zoe", {"title": "d", "customer": "zoe"})  # not an owner item


def listed(client):
    response = client.get("/api/v1/sales/records")
    found = response.json() if response.status_code == 200 else []
    return response.status_code, sorted(r["id"] for r in found)


def refused(name: str) -> ApiClient:
    client = new_client()
    response = signup(client, username=name, email="attacker@example.com")
    assert response.status_code == 200, (name, response.get("Location"))
    assert response.context["form"].errors["username"] == [TAKEN]
    assert not get_user_model().objects.filter(email="attacker@example.com").exists()
    return client


def assert_reads_nothing(client):
    assert listed(client) == (401, [])
    for rid in ("for-closers", "for-nobody", "for-wide"):
        assert client.get(f"/api/v1/sales/record/{rid}").status_code == 401
        assert (
            client.send("PATCH", f"/api/v1/sales/record/{rid}", {"title": "mine"}).status_code
            == 401
        )


@pytest.mark.parametrize("name", ["Closers", "closers", "CLOSERS", "ｃｌｏｓｅｒｓ"])
def test_signup_as_a_role_of_an_app_with_row_owners_is_refused(rows, name):
    assert_reads_nothing(refused(name))


def test_a_member_of_the_role_reads_and_patches_the_row(rows, user_factory, api_client):
    """The twin: the row is there for those the role names."""
    closer = api_client(user_factory("carl", groups=["closers"]))
    assert listed(closer) == (200, ["for-closers"])
    response = closer.send("PATCH", "/api/v1/sales/record/for-closers", {"title": "closed"})
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["nobody", "Nobody", "NOBODY", "ｎｏｂｏｄｙ", "wide", "WIDE"])
def test_signup_as_an_owner_value_is_refused(rows, name):
    assert_reads_nothing(refused(name))
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.NAME_REFUSED)
    assert event.detail == "user name refused: an owner value of a record"


def test_signup_with_a_free_name_sees_nothing_it_did_not_see(rows):
    client = new_client()
    assert signup(client, username="somebody", email="somebody@example.com").status_code == 302
    assert listed(client) == (200, [])
    assert (
        client.send("PATCH", "/api/v1/sales/record/for-nobody", {"title": "x"}).status_code == 404
    )


def test_a_deleted_users_name_cannot_be_signed_up_again(rows, user_factory, api_client):
    carol = user_factory("carol")
    made = api_client(carol).send("POST", "/api/v1/sales", {"title": "carol's"})
    assert made.status_code == 201, made.content
    rid = made.json()["id"]
    carol.delete()
    for name in ("carol", "Carol", "ｃａｒｏｌ"):
        client = refused(name)
        assert client.get(f"/api/v1/sales/record/{rid}").status_code == 401
    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.NAME_REFUSED).first()
    assert event.detail == "user name refused: the _author of a record"
    # another name signs up, and reads nothing of carol's
    client = api_client()
    assert signup(client, username="carol2", email="c2@example.com").status_code == 302
    assert listed(client) == (200, [])
    assert client.get(f"/api/v1/sales/record/{rid}").status_code == 404


def test_a_name_in_an_item_that_owns_nothing_is_free_until_row_owners_lists_it(
    api_client, rows, rls_site
):
    client = api_client()
    assert signup(client, username="zoe", email="zoe@example.com").status_code == 302
    assert listed(client) == (200, [])
    rls_site.write(
        "apps/sales/settings.yaml",
        RLS_ACL.replace("row_owners: [salesman, team]", "row_owners: [salesman, team, customer]"),
    )
    # The item's names are owners now (zoe reads her row): a second `zoe` may not come.
    assert listed(client) == (200, ["customer-zoe"])
    get_user_model().objects.filter(username="zoe").delete()
    refused("ZOE")


def test_owner_rows_hold_their_name_folded_and_the_lookup_is_one_query(
    rows, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from records.ownership.owners import name_in_records

    assert sorted(
        RecordOwner.objects.filter(record__record_id__in=["for-closers", "for-wide"]).values_list(
            "principal", "name"
        )
    ) == [("o:Closers", "closers"), ("o:ｗｉｄｅ", "wide")]
    with django_capture_on_commit_callbacks(execute=True):
        name_in_records("warm-up")  # the first call checks that owner rows are current
    with django_assert_num_queries(1):
        assert name_in_records("nobody") == "an owner value of a record"
    with django_assert_num_queries(1):
        assert name_in_records("anybody") is None


def test_the_migration_fills_the_names_of_existing_rows(rows):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("records.ownership.migrations.0005_owner_name")
    RecordOwner.objects.update(name="")
    migration.fill_names(apps, None)
    assert RecordOwner.objects.get(principal="o:nobody").name == "nobody"
    assert not RecordOwner.objects.filter(name="").exists()


# --- the admin -------------------------------------------------------------------------------


def rename_user(client, user, username):
    return client.post(
        f"/admin/auth/user/{user.pk}/change/",
        {
            "username": username,
            "email": user.email,
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )


@pytest.mark.parametrize("name", ["nobody", "Wide", "CAROL"])
def test_admin_refuses_renaming_a_user_into_a_name_records_carry(
    rows, staff_client, users, user_factory, make_record, name
):
    carol = user_factory("carol")
    make_record("sales", "by-carol", {"title": "e"}, author=carol)
    carol.delete()
    stranger = users["stranger"]
    response = rename_user(staff_client, stranger, name)
    assert response.status_code == 200
    assert TAKEN in response.content.decode()
    stranger.refresh_from_db()
    assert stranger.username == "stranger"


def test_admin_may_create_a_group_named_in_owner_items(
    rows, staff_client, user_factory, api_client
):
    """A team named in records before its group exists: creating the group gives it the rows."""
    response = staff_client.post("/admin/auth/group/add/", {"name": "nobody"})
    assert response.status_code == 302
    member = user_factory("nina")
    member.groups.add(Group.objects.get(name="nobody"))
    assert listed(api_client(member)) == (200, ["for-nobody"])
