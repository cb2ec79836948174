"""An e-mail address is a principal only when it is the user's for sure.

It counts when allauth has it as a verified address of the user, or when allauth has no row
for it at all (set by an administrator, the ORM or createsuperuser). An address typed at
sign-up counts once it is verified.
"""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from accounts.identity import who_for

from .test_flows import signup

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


def test_someone_elses_unverified_address_is_no_principal(boss_site, user_factory, client_for):
    user = user_factory("mallory", email="newbie@example.com")
    EmailAddress.objects.create(user=user, email="newbie@example.com", verified=False)
    assert client_for(user).get("/boss/").status_code == 403
    assert who_for(user).email == ""


def test_an_address_set_by_the_orm_or_an_administrator_counts(boss_site, user_factory, client_for):
    user = user_factory("newbie", email="NewBie@example.com")  # no EmailAddress row
    assert client_for(user).get("/boss/").status_code == 200


def test_a_verified_address_counts(boss_site, user_factory, client_for):
    user = user_factory("nina", email="newbie@example.com")
    EmailAddress.objects.create(user=user, email="newbie@example.com", verified=True, primary=True)
    assert client_for(user).get("/boss/").status_code == 200


def test_another_users_verified_row_does_not_lend_the_address(boss_site, user_factory, client_for):
    owner = user_factory("owner", email="newbie@example.com")
    EmailAddress.objects.create(user=owner, email="newbie@example.com", verified=True)
    other = user_factory("other", email="newbie@example.com")
    assert client_for(other).get("/boss/").status_code == 403
    assert client_for(owner).get("/boss/").status_code == 200


def test_who_for_reads_the_address_in_one_query(user_factory, django_assert_num_queries):
    user = user_factory("quinn")
    with django_assert_num_queries(2):  # the groups, the address
        who = who_for(user)
    assert who.email == "quinn@example.com"
    with django_assert_num_queries(0):
        assert who_for(user) is who
