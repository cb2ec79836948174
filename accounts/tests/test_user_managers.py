"""User managers invite users into their own groups; nobody raises their own groups."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client

from tests.helpers import NEW_PASSWORD, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def managed_site(site_dir):
    site_dir.write(
        "settings.yaml",
        """
        title: Test site
        auth:
          user_managers: [leads]
        groups: [leads, sales, finance]
        """,
    )
    Group.objects.get_or_create(name="finance")
    return site_dir


def test_manager_invites_a_user_into_their_own_groups(managed_site, user_factory, api_client):
    manager = user_factory("lena", groups=["leads", "sales"])
    client = api_client(manager)
    page = client.get("/accounts/invite/")
    assert page.status_code == 200
    assert [value for value, _ in page.context["form"].fields["groups"].choices] == [
        "leads",
        "sales",
    ]
    response = client.post(
        "/accounts/invite/", {"email": "New.Person@example.com", "groups": ["sales"]}, follow=True
    )
    assert "Invitation sent to New.Person@example.com." in response.content.decode()
    invited = get_user_model().objects.get(email="new.person@example.com")
    assert list(invited.groups.values_list("name", flat=True)) == ["sales"]
    assert not invited.has_usable_password()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.person@example.com"]
    # The invited user sets a password through the link, then signs in.
    link = re.search(
        r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[0].body
    ).group(1)
    newcomer = Client()
    form_page = newcomer.get(link, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    assert (
        newcomer.post(action, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code
        == 302
    )
    assert login(Client(), "new.person@example.com", NEW_PASSWORD)["Location"] == "/"


def test_manager_cannot_hand_out_a_group_they_are_not_in(managed_site, user_factory, api_client):
    manager = user_factory("lena", groups=["leads", "sales"])
    response = api_client(manager).post(
        "/accounts/invite/", {"email": "x@example.com", "groups": ["finance"]}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["groups"] == [
        "You can only add users to groups you belong to; not: finance."
    ]
    assert not get_user_model().objects.filter(email="x@example.com").exists()
    assert mail.outbox == []


def test_the_service_refuses_foreign_groups_too(managed_site, user_factory, rf):
    from accounts import invites
    from accounts.identity import who_for

    manager = user_factory("lena", groups=["leads"])
    with pytest.raises(invites.InviteRefused) as refused:
        invites.invite_user(
            manager=who_for(manager),
            user_managers=("leads",),
            email="y@example.com",
            groups=["leads", "finance", "admins"],
            request=rf.get("/"),
        )
    assert (
        str(refused.value)
        == "You can only add users to groups you belong to; not: admins, finance."
    )


def test_invite_cannot_touch_an_existing_account(managed_site, user_factory, api_client):
    manager = user_factory("lena", groups=["leads", "sales"])
    other = user_factory("olaf", email="olaf@example.com")
    client = api_client(manager)
    for email in ("olaf@example.com", "LENA@example.com"):
        response = client.post("/accounts/invite/", {"email": email, "groups": ["sales"]})
        assert response.context["form"].errors["__all__"] == [
            f"{email.lower()} already has an account."
        ]
    assert not other.groups.exists()
    assert sorted(manager.groups.values_list("name", flat=True)) == ["leads", "sales"]


def test_non_managers_cannot_invite(managed_site, user_factory, api_client):
    client = api_client(user_factory("sam", groups=["sales"]))
    assert client.get("/accounts/invite/").status_code == 403
    assert (
        client.post(
            "/accounts/invite/", {"email": "z@example.com", "groups": ["sales"]}
        ).status_code
        == 403
    )
    assert not get_user_model().objects.filter(email="z@example.com").exists()
    assert Client().get("/accounts/invite/").status_code == 302  # anonymous: the login page


def test_invite_link_in_the_nav_only_for_managers(managed_site, user_factory, api_client):
    assert (
        "Invite users"
        in api_client(user_factory("lena", groups=["leads"]))
        .get("/accounts/email/")
        .content.decode()
    )
    assert (
        "Invite users"
        not in api_client(user_factory("sam", groups=["sales"]))
        .get("/accounts/email/")
        .content.decode()
    )


def test_nobody_raises_their_own_groups_through_the_account_pages(
    managed_site, user_factory, api_client
):
    user = user_factory("sam", groups=["sales"])
    client = api_client(user)
    for path in ("/accounts/email/", "/accounts/tokens/", "/accounts/2fa/", "/accounts/invite/"):
        client.post(path, {"groups": ["leads", "finance"], "is_staff": "on"})
    user.refresh_from_db()
    assert list(user.groups.values_list("name", flat=True)) == ["sales"]
    assert not user.is_staff
