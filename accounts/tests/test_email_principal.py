"""An e-mail address is a principal only when it is the user's for sure.

It counts when allauth has it as a verified address of the user, or when the user has no row
for it and nobody has it verified (set by an administrator, the ORM or createsuperuser). An
address typed at sign-up counts once it is verified; somebody else's unverified copy takes
nothing from the user it belongs to (issue 10, finding 6).
"""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from accounts.identity import email_counts, users_named_by_email, who_for
from tests.helpers import signup

pytestmark = pytest.mark.django_db

BOSS_PAGE = "title: Boss\nview_permission: [newbie@example.com]\n"


@pytest.fixture
def boss_site(site_dir):
    site_dir.write(
        "settings.yaml",
        "title: Test site\nauth:\n  signup: true\n  email_verification: optional\n",
    )
    site_dir.write("pages/index.yaml", "title: Home\n")
    site_dir.write("pages/boss.yaml", BOSS_PAGE)
    return site_dir


def test_an_address_typed_at_signup_counts_only_once_verified(boss_site):
    client = Client()
    assert signup(client)["Location"] == "/"  # signed in at once, the address unverified
    assert client.get("/boss/").status_code == 403
    link = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[0].body)
    client.post(link.group(1))
    assert EmailAddress.objects.get(email="newbie@example.com").verified
    assert client.get("/boss/").status_code == 200


def test_someone_elses_unverified_address_is_no_principal(boss_site, user_factory, api_client):
    user = user_factory("mallory", email="newbie@example.com")
    EmailAddress.objects.create(user=user, email="newbie@example.com", verified=False)
    assert api_client(user).get("/boss/").status_code == 403
    assert who_for(user).email == ""


def test_an_address_set_by_the_orm_or_an_administrator_counts(boss_site, user_factory, api_client):
    user = user_factory("newbie", email="NewBie@example.com")  # no EmailAddress row
    assert api_client(user).get("/boss/").status_code == 200


def test_a_verified_address_counts(boss_site, user_factory, api_client):
    user = user_factory("nina", email="newbie@example.com")
    EmailAddress.objects.create(user=user, email="newbie@example.com", verified=True, primary=True)
    assert api_client(user).get("/boss/").status_code == 200


def test_another_users_verified_row_does_not_lend_the_address(boss_site, user_factory, api_client):
    owner = user_factory("owner", email="newbie@example.com")
    EmailAddress.objects.create(user=owner, email="newbie@example.com", verified=True)
    other = user_factory("other", email="newbie@example.com")
    assert api_client(other).get("/boss/").status_code == 403
    assert api_client(owner).get("/boss/").status_code == 200


def test_someone_elses_unverified_copy_takes_nothing_from_the_holder(
    boss_site, user_factory, api_client
):
    holder = user_factory("newbie", email="newbie@example.com")  # set by an administrator
    mallory = user_factory("mallory", email="mallory@example.com")
    EmailAddress.objects.create(user=mallory, email="NEWBIE@example.com", verified=False)
    assert api_client(holder).get("/boss/").status_code == 200
    assert api_client(mallory).get("/boss/").status_code == 403


@pytest.mark.parametrize(
    ("rows", "counts"),
    [
        ([], True),  # set by an administrator
        ([(1, True)], True),
        ([(1, False)], False),  # typed, not verified
        ([(1, False), (2, False)], False),
        ([(2, False)], True),  # somebody else typed it
        ([(2, True)], False),  # somebody else proved it is theirs
        ([(1, True), (2, True)], True),
    ],
)
def test_the_rule_of_an_address(rows, counts):
    assert email_counts(1, rows) is counts


def test_users_named_by_email_follow_the_same_rule(boss_site, user_factory):
    typed = user_factory("typed", email="x@example.com")
    EmailAddress.objects.create(user=typed, email="x@example.com", verified=False)
    assert users_named_by_email("X@example.com") == []
    admin_set = user_factory("set", email="X@Example.com")
    assert users_named_by_email("x@example.com") == [admin_set]
    assert who_for(admin_set).email == admin_set.email != ""
    assert who_for(typed).email == ""


def test_who_for_reads_the_address_in_one_query(user_factory, django_assert_num_queries):
    user = user_factory("quinn")
    with django_assert_num_queries(1):  # the groups, the address and the device, together
        who = who_for(user)
    assert who.email == "quinn@example.com"
    with django_assert_num_queries(0):
        assert who_for(user) is who
