"""HTTP Basic and the second factor: one rule, `accounts.otp.needs_second_factor`.

A user "has a second factor" when the login asks them for a code: a confirmed TOTP device.
Backup codes alone (left after the device was removed by an administrator, say) are not one.
"""

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import otp
from tests.helpers import basic, login

pytestmark = pytest.mark.django_db

# The same answer as for a wrong password: it never confirms a right one (contract section 7).
REFUSED = {
    "error": "invalid user name or password; a user with a second factor must use an API token (Bearer)"
}


@pytest.fixture
def api_site(site_dir):
    site_dir.write("settings.yaml", "title: T\nauth:\n  otp:\n    required_for: [finance]\n")
    site_dir.write("apps/notes/settings.yaml", "acl:\n  rights:\n    reader: [authenticated]\n")
    site_dir.write("apps/notes/blocks/note.yaml", "elements:\n  text: TEXT\n")
    return site_dir


def backup_codes_only(user):
    static = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
    StaticToken.objects.create(device=static, token="backup0001")


def test_backup_codes_alone_are_not_a_second_factor(api_site, user_factory):
    user = user_factory("bea")
    backup_codes_only(user)
    assert not otp.needs_second_factor(user)
    # The login asks for no code, and Basic agrees.
    assert login(Client(), "bea")["Location"] == "/"
    assert Client().get("/api/v1/notes/records", **basic("bea")).status_code == 200


@pytest.mark.parametrize(
    ("name", "setup", "needs"),
    [
        ("plain", None, False),
        ("pending", "unconfirmed", False),
        ("totp", "confirmed", True),
        ("fin", "finance", True),
    ],
)
def test_basic_follows_needs_second_factor(api_site, user_factory, name, setup, needs):
    user = user_factory(name, groups=["finance"] if setup == "finance" else ())
    if setup in ("confirmed", "unconfirmed"):
        TOTPDevice.objects.create(user=user, name="app", confirmed=setup == "confirmed")
    assert otp.needs_second_factor(user) is needs
    response = Client().get("/api/v1/notes/records", **basic(name))
    if needs:
        assert response.status_code == 401
        assert response.json() == REFUSED
    else:
        assert response.status_code == 200
