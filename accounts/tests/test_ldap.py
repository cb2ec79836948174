"""Sign-in against a real OpenLDAP server (scripts/slapd.sh, started by `make test`).

The directory is seeded once per run: people alice, bob, dora (disabled), carol, and groups
sales (alice), admins (bob), staff (alice, bob, dora). Every test speaks StartTLS with the
CA made by the script.
"""

import base64
import os

import ldap
import ldap.modlist
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts import otp
from accounts.models import DirectoryAccount, SecurityEvent
from tests.helpers import add_totp, login

URL = os.environ.get("LDAP_TEST_URL", "")
SUFFIX = os.environ.get("LDAP_TEST_SUFFIX", "dc=example,dc=com")
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not URL, reason="no LDAP server: run under scripts/slapd.sh (make test does)"
    ),
]

PASSWORDS = {
    "alice": "alice-directory-pw",
    "bob": "bob-directory-pw",
    "dora": "dora-directory-pw",
    "carol": "carol-directory-pw",
}
TOO_MANY_LOGINS = "Too many failed login attempts. Wait a few minutes and try again."


def root_connection():
    conn = ldap.initialize(URL)
    conn.set_option(ldap.OPT_X_TLS_CACERTFILE, os.environ["LDAP_TEST_CA_FILE"])
    conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
    conn.start_tls_s()
    conn.simple_bind_s(os.environ["LDAP_TEST_ROOT_DN"], os.environ["LDAP_TEST_ROOT_PASSWORD"])
    return conn


def person(uid, given, sn, **extra):
    attrs = {
        "objectClass": [b"inetOrgPerson"],
        "uid": [uid.encode()],
        "cn": [f"{given} {sn}".encode()],
        "givenName": [given.encode()],
        "sn": [sn.encode()],
        "mail": [f"{uid}@example.com".encode()],
        "userPassword": [PASSWORDS[uid].encode()],
    }
    attrs.update({key: [value.encode()] for key, value in extra.items()})
    return f"uid={uid},{PEOPLE}", attrs


def group(cn, *members):
    return f"cn={cn},{GROUPS}", {
        "objectClass": [b"groupOfNames"],
        "cn": [cn.encode()],
        "member": [f"uid={uid},{PEOPLE}".encode() for uid in members],
    }


@pytest.fixture(scope="session")
def directory():
    """The seeded directory; a root connection to change it (tests put back what they change)."""
    conn = root_connection()
    entries = [
        (PEOPLE, {"objectClass": [b"organizationalUnit"], "ou": [b"people"]}),
        (GROUPS, {"objectClass": [b"organizationalUnit"], "ou": [b"groups"]}),
        person("alice", "Alice", "Liddell"),
        person("bob", "Bob", "Builder"),
        person("dora", "Dora", "Disabled", employeeType="disabled"),
        person("carol", "Carol", "Clash"),
        # groupOfNames needs a member: "nobody" keeps sales valid when alice leaves it.
        group("sales", "alice", "nobody"),
        group("admins", "bob"),
        group("staff", "alice", "bob", "dora"),
    ]
    for dn, attrs in entries:
        try:
            conn.add_s(dn, ldap.modlist.addModlist(attrs))
        except ldap.ALREADY_EXISTS:
            pass
    yield conn
    conn.unbind_s()


def ldap_yaml(**extra_lines) -> str:
    lines = [
        "title: T",
        "groups: [admins]",
        "auth:",
        "  ldap:",
        f"    server: {URL}",
        "    start_tls: true",
        "    user_search:",
        f"      base: {PEOPLE}",
        '      filter: "(&(|(uid=%(user)s)(mail=%(user)s))(!(employeeType=disabled)))"',
        "    username_attribute: uid",
        "    attributes: {first_name: givenName, last_name: sn, email: mail}",
        "    group_search:",
        f"      base: {GROUPS}",
        '      filter: "(objectClass=groupOfNames)"',
        "      type: group_of_names",
        "    groups:",
        f"      cn=sales,{GROUPS}: [PurchaseDepartment]",
        f"      cn=admins,{GROUPS}: admins",
    ]
    for key, value in extra_lines.items():
        lines.append(f"    {key}: {value}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def ldap_site(site_dir, settings, directory):
    settings.LDAP_BIND_DN = os.environ["LDAP_TEST_ROOT_DN"]
    settings.LDAP_BIND_PASSWORD = os.environ["LDAP_TEST_ROOT_PASSWORD"]
    settings.LDAP_CA_FILE = os.environ["LDAP_TEST_CA_FILE"]
    site_dir.write("settings.yaml", ldap_yaml())
    site_dir.write("apps/notes/settings.yaml", "acl:\n  rights:\n    reader: [authenticated]\n")
    site_dir.write("apps/notes/blocks/note.yaml", "elements:\n  text: TEXT\n")
    return site_dir


def basic(username, password):
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def signed_in(client) -> str:
    return get_user_model().objects.get(pk=client.session["_auth_user_id"]).username


def groups_of(username):
    user = get_user_model().objects.get(username=username)
    return sorted(user.groups.values_list("name", flat=True))


def test_login_form_signs_in_a_directory_user_with_their_groups(ldap_site):
    client = Client()
    response = login(client, "alice", PASSWORDS["alice"])
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in(client) == "alice"
    user = get_user_model().objects.get(username="alice")
    assert (user.first_name, user.last_name, user.email) == (
        "Alice",
        "Liddell",
        "alice@example.com",
    )
    assert not user.has_usable_password()
    assert DirectoryAccount.objects.get(user=user).dn == f"uid=alice,{PEOPLE}"
    assert groups_of("alice") == ["PurchaseDepartment"]
    assert client.session[otp.LOGIN_METHOD_SESSION_KEY] == "ldap"


def test_an_address_typed_at_login_finds_the_directory_user_by_mail(ldap_site):
    # As AD's userPrincipalName: the user name comes from username_attribute.
    client = Client()
    assert login(client, "bob@example.com", PASSWORDS["bob"])["Location"] == "/"
    assert signed_in(client) == "bob"
    assert groups_of("bob") == ["admins"]


def test_http_basic_signs_in_a_directory_user(ldap_site):
    client = Client()
    assert client.get("/api/v1/notes/records", **basic("bob", PASSWORDS["bob"])).status_code == 200
    response = client.get("/api/v1/notes/records", **basic("bob", "wrong"))
    assert response.status_code == 401


def test_wrong_passwords_count_against_the_one_limit_form_and_basic(ldap_site):
    client = Client()
    for _ in range(3):
        assert login(client, "alice", "wrong-password").status_code == 200
    for _ in range(2):
        assert client.get("/api/v1/notes/records", **basic("alice", "wrong")).status_code == 401
    # Five failures: the right password waits, in the form and over Basic.
    response = login(client, "alice", PASSWORDS["alice"])
    assert response.status_code == 200
    assert TOO_MANY_LOGINS in response.content.decode()
    assert "_auth_user_id" not in client.session
    response = client.get("/api/v1/notes/records", **basic("alice", PASSWORDS["alice"]))
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    kinds = list(SecurityEvent.objects.filter(username="alice").values_list("kind", flat=True))
    assert sorted(kinds) == sorted(
        ["login_failed"] * 3 + ["basic_failed"] * 2 + ["login_refused", "basic_refused"]
    )


def test_a_disabled_directory_user_is_refused_with_the_right_password(ldap_site):
    client = Client()
    assert login(client, "dora", PASSWORDS["dora"]).status_code == 200
    assert "_auth_user_id" not in client.session
    response = client.get("/api/v1/notes/records", **basic("dora", PASSWORDS["dora"]))
    assert response.status_code == 401
    assert not get_user_model().objects.filter(username="dora").exists()
    assert SecurityEvent.objects.filter(kind="login_failed", username="dora").count() == 1


def test_deny_group_refuses_its_members(ldap_site):
    ldap_site.write("settings.yaml", ldap_yaml(deny_group=f'"cn=admins,{GROUPS}"'))
    assert login(Client(), "bob", PASSWORDS["bob"]).status_code == 200
    assert login(Client(), "alice", PASSWORDS["alice"]).status_code == 302


def test_group_mapping_follows_the_directory_on_each_login(ldap_site, directory):
    client = Client()
    login(client, "alice", PASSWORDS["alice"])
    user = get_user_model().objects.get(username="alice")
    user.groups.create(name="local-only")  # a group the mapping does not name stays
    assert groups_of("alice") == ["PurchaseDepartment", "local-only"]
    sales = f"cn=sales,{GROUPS}"
    admins = f"cn=admins,{GROUPS}"
    alice = f"uid=alice,{PEOPLE}".encode()
    directory.modify_s(sales, [(ldap.MOD_DELETE, "member", [alice])])
    directory.modify_s(admins, [(ldap.MOD_ADD, "member", [alice])])
    try:
        login(Client(), "alice", PASSWORDS["alice"])
        assert groups_of("alice") == ["admins", "local-only"]
    finally:
        directory.modify_s(sales, [(ldap.MOD_ADD, "member", [alice])])
        directory.modify_s(admins, [(ldap.MOD_DELETE, "member", [alice])])


def test_a_local_account_is_never_taken_over_by_a_directory_user_of_its_name(
    ldap_site, user_factory
):
    user_factory("carol", password="local-carol-pw")
    client = Client()
    assert login(client, "carol", PASSWORDS["carol"]).status_code == 200
    assert "_auth_user_id" not in client.session
    assert not DirectoryAccount.objects.exists()
    assert SecurityEvent.objects.filter(kind="name_refused", username="carol").exists()
    # The local password still works.
    assert login(client, "carol", "local-carol-pw")["Location"] == "/"


def test_a_directory_name_the_site_uses_is_not_taken(ldap_site):
    # "admins" is a group of settings.yaml: no new account may take the name.
    ldap_site.write(
        "settings.yaml", ldap_yaml().replace("groups: [admins]", "groups: [admins, carol]")
    )
    assert login(Client(), "carol", PASSWORDS["carol"]).status_code == 200
    assert not get_user_model().objects.filter(username="carol").exists()


def test_without_auth_ldap_the_directory_is_not_asked(ldap_site):
    ldap_site.write("settings.yaml", "title: T\n")
    assert login(Client(), "alice", PASSWORDS["alice"]).status_code == 200
    assert not get_user_model().objects.filter(username="alice").exists()


@pytest.mark.parametrize(("trusted", "lands_on"), [("[]", "/accounts/2fa/"), ("[ldap]", None)])
def test_second_factor_after_ldap_unless_trusted(ldap_site, trusted, lands_on):
    text = ldap_yaml().replace(
        "auth:\n", f"auth:\n  otp:\n    required_for: [alice]\n    trusted_methods: {trusted}\n"
    )
    ldap_site.write("settings.yaml", text)
    client = Client()
    assert login(client, "alice", PASSWORDS["alice"]).status_code == 302
    response = client.get("/accounts/email/")
    if lands_on:
        assert response.status_code == 302 and response["Location"].startswith(lands_on)
    else:
        assert response.status_code == 200


def test_a_directory_that_does_not_answer_is_a_failed_login(ldap_site, settings):
    ldap_site.write("settings.yaml", ldap_yaml().replace(URL, "ldap://127.0.0.1:9"))
    assert login(Client(), "alice", PASSWORDS["alice"]).status_code == 200
    assert SecurityEvent.objects.filter(kind="login_failed", username="alice").count() == 1


def test_a_directory_user_made_inactive_here_is_signed_out_and_refused(ldap_site):
    client = Client()
    login(client, "alice", PASSWORDS["alice"])
    get_user_model().objects.filter(username="alice").update(is_active=False)
    assert client.get("/accounts/email/").status_code == 302  # the session ended
    response = Client().get("/api/v1/notes/records", **basic("alice", PASSWORDS["alice"]))
    assert response.status_code == 401


@pytest.mark.parametrize(("trusted", "location"), [("[]", "/accounts/2fa/login/"), ("[ldap]", "/")])
def test_a_directory_user_with_a_device_enters_a_code_unless_ldap_is_trusted(
    ldap_site, trusted, location
):
    login(Client(), "alice", PASSWORDS["alice"])  # the first login makes the account
    add_totp(get_user_model().objects.get(username="alice"))
    ldap_site.write(
        "settings.yaml",
        ldap_yaml().replace("auth:\n", f"auth:\n  otp:\n    trusted_methods: {trusted}\n"),
    )
    client = Client()
    response = login(client, "alice", PASSWORDS["alice"])
    assert response["Location"] == location
    assert ("_auth_user_id" in client.session) is (location == "/")
