"""Names that cannot be claimed (contract §7 "Names"), at every path that makes or renames one.

A name the site already uses (a user's in any case or width, a group's, a role's of any app,
`*`, `authenticated`, an e-mail address) is refused at sign-up, social sign-up, invitation and
in the admin; the refusal says the name is taken, and is in the audit trail. Names that
records carry (owner values, `_author`) are tested in records/tests/test_taken_names.py.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from accounts import names
from accounts.models import SecurityEvent
from tests.helpers import signup

from .social import profile, sign_in_with

pytestmark = pytest.mark.django_db


TAKEN = "This name is taken. Choose another one."
ADMIN_TAKEN = f'<ul class="errorlist" id="id_{{field}}_error"><li>{TAKEN}</li></ul>'

SETTINGS = """
title: Test site
auth:
  signup: true
  email_verification: none
  user_managers: [leads]
groups: [admins, leads]
"""


@pytest.fixture
def named_site(site_dir, user_factory):
    site_dir.write("settings.yaml", SETTINGS)
    # Roles of an app with row_owners and of one without: both are taken.
    site_dir.write(
        "apps/sales/settings.yaml",
        "acl:\n  rights:\n    reader: [authenticated]\n  roles:\n    PurchaseManager: [eric]\n"
        "  row_owners: [salesman]\n",
    )
    site_dir.write("apps/wiki/settings.yaml", "acl:\n  roles:\n    Gardener: [ann]\n")
    user_factory("bob")
    Group.objects.get_or_create(name="staffers")
    return site_dir


def usernames() -> list[str]:
    return sorted(get_user_model().objects.values_list("username", flat=True))


# --- sign-up ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "bob",
        "BOB",
        "ｂｏｂ",  # full-width: NFKC makes it `bob`
        "Ｂｏｂ",
        "admins",  # a group of settings.yaml
        "Leads",
        "staffers",  # a group of the database
        "PurchaseManager",  # a role of an app with row_owners
        "purchasemanager",
        "ＰｕｒｃｈａｓｅＭａｎａｇｅｒ",
        "gardener",  # a role of an app without row_owners
        "authenticated",
        "ann@example.com",  # an e-mail address names whoever holds it
        "bob@",
    ],
)
def test_signup_refuses_a_name_the_site_uses(named_site, name):
    before = usernames()
    response = signup(Client(), username=name, email="new@example.com")
    assert response.status_code == 200
    assert response.context["form"].errors["username"] == [TAKEN]
    assert usernames() == before
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.NAME_REFUSED)
    assert (event.username, event.address) == (names.normalize(name), "127.0.0.1")
    assert event.detail.startswith("user name refused: ")


def test_signup_stores_the_name_nfkc_normalised(named_site):
    client = Client()
    assert signup(client, username="ｃａｒｏｌ", email="carol@example.com").status_code == 302
    assert "carol" in usernames() and "ｃａｒｏｌ" not in usernames()
    # ... so the full-width twin of a new name is taken at once
    response = signup(Client(), username="CAROL", email="carol2@example.com")
    assert response.context["form"].errors["username"] == [TAKEN]


def test_signup_takes_a_name_nobody_uses(named_site):
    assert signup(Client(), username="bobby", email="bobby@example.com").status_code == 302
    assert "bobby" in usernames()
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.NAME_REFUSED).exists()


def test_a_role_is_taken_as_soon_as_settings_yaml_names_it(named_site):
    named_site.write("apps/wiki/settings.yaml", "acl:\n  roles:\n    Editors2: [ann]\n")
    response = signup(Client(), username="editors2", email="e2@example.com")
    assert response.context["form"].errors["username"] == [TAKEN]
    assert signup(Client(), username="gardener", email="g@example.com").status_code == 302


# --- social sign-up --------------------------------------------------------------------------


@pytest.mark.usefixtures("provider_keys")
@pytest.mark.parametrize("local", ["purchasemanager", "bob", "staffers"])
def test_social_signup_never_generates_a_taken_name(named_site, monkeypatch, local):
    named_site.write(
        "settings.yaml",
        SETTINGS.replace("  signup: true\n", "  signup: true\n  providers: [google]\n"),
    )
    callback, _ = sign_in_with(
        Client(), "google", monkeypatch, profile("google", f"g-{local}", f"{local}@example.org")
    )
    assert callback.status_code == 302, callback.content[:800]
    user = get_user_model().objects.get(email=f"{local}@example.org")
    assert names.fold(user.username) not in (local, "purchasemanager", "bob", "staffers")


def test_a_provider_user_name_is_stored_normalised(named_site, rf):
    from allauth.account.adapter import get_adapter

    user = get_user_model()(username="ｄａｎ", email="dan@example.com")
    get_adapter().populate_username(rf.get("/"), user)
    assert user.username == "dan"


# --- invitations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "made"),
    [
        ("PurchaseManager@example.com", "purchasemanager2"),
        ("bob@example.org", "bob2"),
        ("Gardener@example.com", "gardener2"),
    ],
)
def test_invite_never_makes_a_taken_name(named_site, user_factory, api_client, email, made):
    manager = user_factory("lena", groups=["leads"])
    response = api_client(manager).post("/accounts/invite/", {"email": email, "groups": ["leads"]})
    assert response.status_code == 302
    invited = get_user_model().objects.get(email=names.normalize(email).lower())
    assert invited.username == made
    # the names tried are not refusals of anybody's choice
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.NAME_REFUSED).exists()


# --- the admin -------------------------------------------------------------------------------


@pytest.fixture
def admin_client(named_site, user_factory, api_client):
    return api_client(user_factory("root", superuser=True), verified=True)


def add_user(client, username):
    return client.post(
        "/admin/auth/user/add/",
        {
            "username": username,
            "usable_password": "true",
            "password1": "a-new-Passw0rd-42",
            "password2": "a-new-Passw0rd-42",
        },
    )


def change_user(client, user, username):
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


def errors_of(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize(
    "name", ["BOB", "ｂｏｂ", "admins", "staffers", "PurchaseManager", "gardener", "authenticated"]
)
def test_admin_refuses_a_new_user_with_a_taken_name(admin_client, name):
    before = usernames()
    response = add_user(admin_client, name)
    assert response.status_code == 200
    assert ADMIN_TAKEN.format(field="username") in errors_of(response)
    assert usernames() == before
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.NAME_REFUSED)
    assert (event.username, event.user.username) == (names.normalize(name), "root")


def test_admin_adds_a_user_with_a_free_name_normalised(admin_client):
    response = add_user(admin_client, "ｅｖｅ")
    assert response.status_code == 302, errors_of(response)[:2000]
    assert "eve" in usernames()


@pytest.mark.parametrize("name", ["Admins", "staffers", "purchasemanager", "root", "ｒｏｏｔ"])
def test_admin_refuses_renaming_a_user_into_a_taken_name(admin_client, name):
    bob = get_user_model().objects.get(username="bob")
    response = change_user(admin_client, bob, name)
    assert response.status_code == 200
    assert ADMIN_TAKEN.format(field="username") in errors_of(response)
    bob.refresh_from_db()
    assert bob.username == "bob"


def test_admin_may_keep_a_users_name_or_rename_it_to_a_free_one(admin_client):
    bob = get_user_model().objects.get(username="bob")
    assert change_user(admin_client, bob, "bob").status_code == 302
    assert change_user(admin_client, bob, "Bob").status_code == 302  # its own, in other case
    assert change_user(admin_client, bob, "robert").status_code == 302
    bob.refresh_from_db()
    assert bob.username == "robert"
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.NAME_REFUSED).exists()


@pytest.mark.parametrize(
    "name", ["bob", "ＢＯＢ", "staffers", "PurchaseManager", "authenticated", "a@b"]
)
def test_admin_refuses_a_group_with_a_taken_name(admin_client, name):
    response = admin_client.post("/admin/auth/group/add/", {"name": name})
    assert response.status_code == 200
    assert ADMIN_TAKEN.format(field="name") in errors_of(response)
    assert not Group.objects.exclude(name="staffers").exists()


@pytest.mark.parametrize("name", ["Bob", "Staffers", "gardener", "*"])
def test_admin_refuses_renaming_a_group_into_a_taken_name(admin_client, name):
    group = Group.objects.create(name="east")
    response = admin_client.post(f"/admin/auth/group/{group.pk}/change/", {"name": name})
    assert response.status_code == 200
    assert ADMIN_TAKEN.format(field="name") in errors_of(response)
    group.refresh_from_db()
    assert group.name == "east"


def test_admin_creates_the_groups_settings_yaml_names_and_free_ones(admin_client):
    for name in ("admins", "leads", "west"):
        response = admin_client.post("/admin/auth/group/add/", {"name": name})
        assert response.status_code == 302, errors_of(response)[:2000]
    group = Group.objects.get(name="west")
    response = admin_client.post(f"/admin/auth/group/{group.pk}/change/", {"name": "WEST"})
    assert response.status_code == 302
    assert sorted(Group.objects.values_list("name", flat=True)) == [
        "WEST",
        "admins",
        "leads",
        "staffers",
    ]


# --- the service -----------------------------------------------------------------------------


def test_fold_compares_after_nfkc_and_case_folding():
    assert names.fold("ｂｏｂ") == names.fold("BOB") == "bob"
    assert names.fold("Straße") == names.fold("STRASSE")
    assert names.fold("ﬁona") == "fiona"  # a ligature


def test_taken_by_says_what_uses_a_name(named_site):
    assert names.taken_by("ＢＯＢ") == "a user"
    assert names.taken_by("Staffers") == "a group"
    assert names.taken_by("ADMINS") == "a group of settings.yaml"
    assert names.taken_by("admins", kind=names.GROUP) is None  # the group settings.yaml means
    assert names.taken_by("purchasemanager") == "a role of app 'sales'"
    assert names.taken_by("*") == "the principal '*'"
    assert names.taken_by("x@y") == "an e-mail address"
    assert names.taken_by("  ") == "an empty name"
    assert names.taken_by("carol") is None


def test_a_unicode_name_is_compared_folded_on_every_database(named_site, user_factory):
    user_factory("Émile")
    assert names.taken_by("émile") == "a user"
    assert names.taken_by("ÉMILE") == "a user"
    user_factory("Straße")
    assert names.taken_by("strasse") == "a user"


def test_a_registered_source_is_asked_for_the_kinds_it_names(named_site):
    asked = []

    def source(folded):
        asked.append(folded)
        return "a test source" if folded == "zed" else None

    names.register("test", source, kinds=(names.USER,))
    try:
        assert names.taken_by("ZED") == "a test source"
        assert names.taken_by("zed", kind=names.GROUP) is None
        assert asked == ["zed"]
    finally:
        names.unregister("test")
    with pytest.raises(ValueError, match="unknown kind 'role' of name; kinds: user, group"):
        names.register("test", source, kinds=("role",))
