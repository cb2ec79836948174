"""Profile fields on the account page, the People page and the admin; block code's
`context.user.profile`; no query of their own (contract §11, issue 27)."""

import pytest
from django.contrib.auth.models import Group

from accounts.models import Profile
from tests.helpers import new_client

pytestmark = pytest.mark.django_db

SETTINGS = """
title: Test site
groups: [leads, sales, finance]
auth:
  user_managers: [leads]
users:
  fields:
    team: {type: CHOICE, choices: [east, west], label: Team}
    phone: {type: TEXT, max_length: 12, label: Phone}
  self_edit: [phone]
"""


@pytest.fixture
def site(site_dir, user_factory):
    site_dir.write("settings.yaml", SETTINGS)
    lena = user_factory("lena", groups=["leads", "sales"])  # a user manager in team east
    Profile.objects.create(user=lena, data={"team": "east"})
    bob = user_factory("bob", groups=["finance"])
    Profile.objects.create(user=bob, data={"team": "west", "phone": "123"})
    user_factory("carol")
    return site_dir


def profile_of(username):
    row = Profile.objects.filter(user__username=username).first()
    return row.data if row else {}


# --- the account page ---------------------------------------------------------------------------


def test_the_account_page_shows_every_field_and_edits_only_self_edit(site):
    page = new_client("bob").get("/accounts/profile/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<dt>Team</dt><dd>west</dd>" in html
    assert list(page.context["form"].fields) == ["phone"]
    assert 'value="123"' in html


def test_a_user_saves_a_self_edit_field(site):
    response = new_client("bob").post("/accounts/profile/", {"phone": "555"})
    assert response.status_code == 302
    assert profile_of("bob") == {"team": "west", "phone": "555"}


def test_a_self_edit_value_breaking_its_rule_is_refused_by_name(site):
    response = new_client("bob").post("/accounts/profile/", {"phone": "1234567890123"})
    assert response.status_code == 400
    assert "at most 12 characters" in response.content.decode()
    assert profile_of("bob")["phone"] == "123"


def test_a_user_may_not_set_a_field_outside_self_edit(site):
    response = new_client("bob").post("/accounts/profile/", {"phone": "1", "team": "east"})
    assert response.status_code == 403
    assert "You may not change these fields yourself: team." in response.content.decode()
    assert profile_of("bob") == {"team": "west", "phone": "123"}


def test_the_account_page_needs_a_sign_in(site):
    assert new_client().get("/accounts/profile/").status_code == 302


# --- the People page ----------------------------------------------------------------------------


def test_only_user_managers_see_people(site):
    assert new_client("bob").get("/people/").status_code == 403
    assert new_client("bob").get("/people/carol/").status_code == 403
    assert new_client().get("/people/").status_code == 302


def test_the_people_page_lists_and_searches(site):
    client = new_client("lena")
    page = client.get("/people/")
    assert page.status_code == 200
    names = [row["user"].username for row in page.context["rows"]]
    assert names == ["bob", "carol", "lena"]
    bob = page.context["rows"][0]
    assert bob["groups"] == ["finance"] and bob["values"] == ["west", "123"]
    assert "Invite a user" in page.content.decode()
    found = client.get("/people/", {"q": "CAR"})
    assert [row["user"].username for row in found.context["rows"]] == ["carol"]


def test_a_manager_gives_a_value_and_a_group_they_hold(site):
    response = new_client("lena").post(
        "/people/carol/", {"team": "east", "phone": "42", "groups": ["sales"]}
    )
    assert response.status_code == 302, response.content
    assert profile_of("carol") == {"team": "east", "phone": "42"}
    assert list(Group.objects.filter(user__username="carol").values_list("name", flat=True)) == [
        "sales"
    ]


def test_a_manager_may_not_give_a_value_they_do_not_hold(site):
    response = new_client("lena").post("/people/carol/", {"team": "west", "phone": ""})
    assert response.status_code == 403
    assert "not: team:west" in response.content.decode()
    assert profile_of("carol") == {}


def test_a_manager_may_keep_a_value_they_do_not_hold_and_change_another_field(site):
    # bob is in team west (lena is not): re-posting it is no gift; bob keeps his group finance.
    response = new_client("lena").post(
        "/people/bob/", {"team": "west", "phone": "9", "groups": ["finance"]}
    )
    assert response.status_code == 302
    assert profile_of("bob") == {"team": "west", "phone": "9"}


def test_a_manager_may_not_take_away_a_group_they_are_not_in(site):
    response = new_client("lena").post("/people/bob/", {"team": "west", "groups": []})
    assert response.status_code == 403
    assert "not: finance" in response.content.decode()
    assert list(Group.objects.filter(user__username="bob").values_list("name", flat=True)) == [
        "finance"
    ]


def test_a_manager_may_not_give_a_group_they_are_not_in(site):
    response = new_client("lena").post("/people/carol/", {"groups": ["finance"]})
    assert response.status_code == 400  # not among the form's choices
    assert not Group.objects.filter(user__username="carol").exists()


def test_a_value_breaking_its_rule_is_refused_on_the_people_page(site):
    response = new_client("lena").post("/people/carol/", {"team": "north"})
    assert response.status_code == 400
    assert profile_of("carol") == {}


def test_an_unknown_person_is_404(site):
    assert new_client("lena").get("/people/nobody/").status_code == 404


# --- the admin ----------------------------------------------------------------------------------


def admin_data(user, **profile):
    data = {
        "username": user.username,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "site_profile-TOTAL_FORMS": "1",
        "site_profile-INITIAL_FORMS": "1" if Profile.objects.filter(user=user).exists() else "0",
        "site_profile-MIN_NUM_FORMS": "0",
        "site_profile-MAX_NUM_FORMS": "1",
        "site_profile-0-user": str(user.pk),
    }
    data.update({f"site_profile-0-{name}": value for name, value in profile.items()})
    return data


def test_the_admin_sets_any_value_by_the_fields_rules(site, user_factory):
    root = user_factory("root", superuser=True)
    client = new_client(root, verified=True)
    carol = Profile._meta.get_field("user").related_model.objects.get(username="carol")
    page = client.get(f"/admin/auth/user/{carol.pk}/change/")
    assert page.status_code == 200
    assert 'name="site_profile-0-team"' in page.content.decode()
    bad = client.post(f"/admin/auth/user/{carol.pk}/change/", admin_data(carol, team="north"))
    assert bad.status_code == 200  # the form again, with the error
    assert profile_of("carol") == {}
    good = client.post(
        f"/admin/auth/user/{carol.pk}/change/", admin_data(carol, team="west", phone="7")
    )
    assert good.status_code == 302, good.content.decode()[:3000]
    assert profile_of("carol") == {"team": "west", "phone": "7"}


# --- block code and the query budget ------------------------------------------------------------


@pytest.fixture
def profile_block(site):
    site.write("apps/demo/blocks/me.yaml", "elements:\n  team: BASIC\n")
    site.write(
        "apps/demo/blocks/me.py",
        "def team(context):\n"
        "    user = context.user\n"
        "    return 'team=' + str(user.profile.get('team') if user else None)\n",
    )
    site.write("pages/me.yaml", "path: /me/\nblocks: [demo/me]\n")
    site.write("pages/plain.yaml", "path: /plain/\nblocks: []\n")
    return site


def test_block_code_reads_the_profile(profile_block):
    assert "team=west" in new_client("bob").get("/me/").content.decode()
    assert "team=None" in new_client("carol").get("/me/").content.decode()


def test_a_page_costs_no_query_more_for_a_user_with_a_profile(profile_block):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(who, path):
        client = new_client(who)
        client.get(path)  # warm up
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    # bob has a profile, carol none; a page that uses none of it, and one that reads it
    assert count("bob", "/plain/") == count("carol", "/plain/")
    assert count("bob", "/me/") == count("carol", "/me/") == count("bob", "/plain/")


def test_the_page_budget_is_the_one_before_profiles(profile_block):
    """A signed-in page of no blocks: the session with its user and identity (one query),
    the site's groups checked once per process (warm-up): 1, as before profiles existed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = new_client("bob")
    client.get("/plain/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/plain/")
    assert len(queries) == 1, [q["sql"] for q in queries]


def test_a_page_for_one_team(site):
    site.write("pages/west.yaml", "path: /west/\nview_permission: ['team:west']\nblocks: []\n")
    assert new_client("bob").get("/west/").status_code == 200
    assert new_client("carol").get("/west/").status_code == 403
    assert new_client("lena").get("/west/").status_code == 403


# --- the People page's invitation form ------------------------------------------------------


def test_the_people_page_invites_into_groups_the_manager_holds(site, mailoutbox):
    from django.contrib.auth import get_user_model

    lena = new_client("lena")
    page = lena.get("/people/")
    assert [v for v, _ in page.context["form"].fields["groups"].choices] == ["leads", "sales"]
    assert 'name="invite-email"' in page.content.decode()
    response = lena.post(
        "/people/", {"invite-email": "New.Person@example.com", "invite-groups": ["sales"]}
    )
    assert (response.status_code, response["Location"]) == (302, "/people/")
    assert "Invitation sent to New.Person@example.com." in lena.get("/people/").content.decode()
    invited = get_user_model().objects.get(email="new.person@example.com")
    assert list(invited.groups.values_list("name", flat=True)) == ["sales"]
    assert [message.to for message in mailoutbox] == [["new.person@example.com"]]


def test_the_people_page_refuses_a_group_the_manager_is_not_in(site, mailoutbox):
    from django.contrib.auth import get_user_model

    response = new_client("lena").post(
        "/people/", {"invite-email": "x@example.com", "invite-groups": ["finance"]}
    )
    assert response.status_code == 400
    refusal = "You can only add users to groups you belong to; not: finance."
    assert response.context["form"].errors["groups"] == [refusal]
    assert refusal in response.content.decode()
    taken = new_client("lena").post(
        "/people/", {"invite-email": "BOB@example.com", "invite-groups": ["sales"]}
    )
    assert taken.status_code == 400
    assert taken.context["form"].errors["__all__"][0].endswith("already has an account.")
    assert not get_user_model().objects.filter(email="x@example.com").exists()
    assert mailoutbox == []


def test_only_user_managers_invite_from_the_people_page(site, mailoutbox):
    from django.contrib.auth import get_user_model

    body = {"invite-email": "z@example.com", "invite-groups": ["finance"]}
    assert new_client("bob").post("/people/", body).status_code == 403
    assert new_client().post("/people/", body).status_code == 302  # the login page
    assert not get_user_model().objects.filter(email="z@example.com").exists()
    assert mailoutbox == []
