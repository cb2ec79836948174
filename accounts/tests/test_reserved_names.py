"""A user name may not be a principal of another kind: a group, `authenticated` or `*`.

`site_model.acl.names()` matches a principal against the user name and the groups alike, so a
user called `admins` would hold the rights of the group `admins`. The refusal says only that
the name is taken (contract §7 "Names"); test_names.py has the other names the site uses.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from tests.helpers import signup

from .social import profile, sign_in_with

pytestmark = pytest.mark.django_db


TAKEN = "This name is taken. Choose another one."


@pytest.fixture
def open_site(site_dir):
    site_dir.write(
        "settings.yaml",
        """
        title: Test site
        auth:
          signup: true
          email_verification: none
        groups: [admins, finance]
        """,
    )
    Group.objects.get_or_create(name="staffers")  # a group of the database alone
    return site_dir


@pytest.mark.parametrize(
    "username", ["admins", "Admins", "finance", "staffers", "authenticated", "AUTHENTICATED"]
)
def test_signup_refuses_a_group_or_reserved_principal_as_user_name(open_site, username):
    response = signup(Client(), username=username, email=f"{username.lower()}@example.com")
    assert response.status_code == 200
    assert response.context["form"].errors["username"] == [TAKEN]
    assert not get_user_model().objects.filter(username__iexact=username).exists()


def test_signup_refuses_star(open_site):
    response = signup(Client(), username="*", email="star@example.com")
    assert response.status_code == 200
    assert response.context["form"].errors["username"]  # `*` is no valid user name either
    assert not get_user_model().objects.filter(username="*").exists()


def test_signup_takes_an_ordinary_name(open_site):
    response = signup(Client(), username="admin-ann", email="ann@example.com")
    assert response.status_code == 302
    assert get_user_model().objects.filter(username="admin-ann").exists()


@pytest.mark.usefixtures("provider_keys")
def test_social_signup_never_generates_a_group_name(open_site, monkeypatch):
    open_site.write(
        "settings.yaml",
        """
        title: Test site
        auth:
          signup: true
          email_verification: none
          providers: [google]
        groups: [admins]
        """,
    )
    client = Client()
    callback, _ = sign_in_with(
        client, "google", monkeypatch, profile("google", "g-adm", "admins@example.com")
    )
    assert callback.status_code == 302, callback.content[:800]
    user = get_user_model().objects.get(email="admins@example.com")
    assert user.username.casefold() != "admins"


def test_invite_never_makes_a_user_named_like_a_group(open_site, user_factory, api_client):
    open_site.write(
        "settings.yaml",
        """
        title: Test site
        auth:
          user_managers: [leads]
        groups: [leads, admins]
        """,
    )
    manager = user_factory("lena", groups=["leads"])
    response = api_client(manager).post(
        "/accounts/invite/", {"email": "Admins@example.com", "groups": ["leads"]}
    )
    assert response.status_code == 302
    invited = get_user_model().objects.get(email="admins@example.com")
    assert invited.username == "admins2"
    assert list(invited.groups.values_list("name", flat=True)) == ["leads"]
