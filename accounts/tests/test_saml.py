"""SAML single sign-on against a real IdP (pysaml2, signing with xmlsec1): SP -> IdP -> ACS."""

import copy
import re
import socket
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from accounts.models import SecurityEvent
from tests.helpers import PASSWORD, add_totp, code_for

from .saml_idp import IdentityProvider

pytestmark = pytest.mark.django_db

SP_METADATA = "/accounts/saml/sso/metadata/"
SP_LOGIN = "/accounts/saml/sso/login/"
ACS = "/accounts/saml/sso/acs/"
# python3-saml takes only host names with a dot (`testserver` is refused as an ACS URL).
HOST = "site.example.com"
SITE = f"http://{HOST}"
SP_ENTITY_ID = SITE + SP_METADATA

UID = "urn:oid:0.9.2342.19200300.100.1.1"
MAIL = "urn:oid:0.9.2342.19200300.100.1.3"

SETTINGS = """
title: Test site
groups: [admins]
auth:
  saml:
    name: Company SSO
    idp:
      metadata_file: saml/idp.xml
    attributes:
      username: urn:oid:0.9.2342.19200300.100.1.1
      email: urn:oid:0.9.2342.19200300.100.1.3
      email_verified: emailVerified
      groups: memberOf
    groups:
      "CN=Sales,OU=Groups,DC=example,DC=com": sales
      "CN=Admins,OU=Groups,DC=example,DC=com": admins
    link_domains: [{link}]
  {otp}
"""


def alice(groups=("CN=Sales,OU=Groups,DC=example,DC=com",), name="alice"):
    return {
        "uid": [name],
        "mail": [f"{name}@example.com"],
        "emailVerified": ["true"],
        "memberOf": list(groups),
    }


@pytest.fixture
def client(settings):
    """The visitor's browser, on a site with a real host name."""
    settings.ALLOWED_HOSTS = [HOST]
    return Client(HTTP_HOST=HOST)


@pytest.fixture
def idp(tmp_path):
    folder = tmp_path / "idp"
    folder.mkdir()
    return IdentityProvider(folder)


@pytest.fixture
def saml_site(site_dir, idp, client):
    """A site whose settings.yaml turns SAML on with the test IdP's metadata; the IdP trusts
    the SP metadata that the site serves."""

    def write(otp="", link="example.com"):
        site_dir.write("saml/idp.xml", idp.metadata())
        site_dir.write("settings.yaml", SETTINGS.format(otp=otp, link=link))

    write()
    site_dir.write("pages/index.yaml", "title: Home\nblocks: []\n")
    metadata = client.get(SP_METADATA)
    assert metadata.status_code == 200, metadata.content
    idp.trust_sp(metadata.content.decode())
    site_dir.configure = write
    return site_dir


def start_login(client) -> str:
    """The site's redirect to the IdP (HTTP-Redirect binding, AuthnRequest in the query)."""
    response = client.post(SP_LOGIN, {"next": "/after/"})
    assert response.status_code == 302, response.content
    assert response["Location"].startswith("https://idp.test/sso/redirect?SAMLRequest="), response[
        "Location"
    ]
    return response["Location"]


def post_to_acs(client, answer):
    """The browser's auto-submitted form to the ACS, then allauth's finishing redirect."""
    assert answer.acs_url == SITE + ACS
    response = client.post(ACS, answer.form())
    assert response.status_code == 302
    return client.get(response["Location"])


def test_sp_metadata_names_the_acs_and_wants_signed_assertions(saml_site, client):
    body = client.get(SP_METADATA).content.decode()
    assert f'entityID="{SP_ENTITY_ID}"' in body
    assert f'Location="{SITE}{ACS}"' in body
    assert 'WantAssertionsSigned="true"' in body


def test_login_signs_in_with_mapped_groups(saml_site, idp, client):
    answer = idp.answer(start_login(client), uid="alice-uid", attributes=alice())
    response = post_to_acs(client, answer)
    assert response.status_code == 302
    assert response["Location"] == "/after/"
    user = get_user_model().objects.get(username="alice")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert set(user.groups.values_list("name", flat=True)) == {"sales"}
    assert SocialAccount.objects.get(user=user).provider == "saml"


def login_through_idp(client, idp, uid="alice-uid", **answer):
    attributes = answer.pop("attributes", None) or alice()
    return post_to_acs(
        client, idp.answer(start_login(client), uid=uid, attributes=attributes, **answer)
    )


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else None


def test_groups_follow_the_assertion_on_each_login(saml_site, idp, client, user_factory):
    login_through_idp(client, idp)
    user = get_user_model().objects.get(username="alice")
    # A group the map never gives stays; mapped ones follow the IdP.
    user.groups.add(Group.objects.create(name="local-team"))
    client.post("/accounts/logout/")
    admins = alice(groups=["cn=admins,ou=groups,dc=example,dc=com", "CN=Unmapped"])
    login_through_idp(client, idp, attributes=admins)
    assert signed_in_user(client) == user
    assert set(user.groups.values_list("name", flat=True)) == {"admins", "local-team"}
    assert not Group.objects.filter(name="CN=Unmapped").exists()


def test_mapped_groups_reach_view_permission(saml_site, idp, client):
    saml_site.write(
        "pages/sales.yaml", "path: /sales/\ntitle: Sales\nview_permission: [sales]\nblocks: []\n"
    )
    login_through_idp(
        client, idp, attributes=alice(groups=["CN=Admins,OU=Groups,DC=example,DC=com"])
    )
    assert client.get("/sales/").status_code == 403
    client.post("/accounts/logout/")
    login_through_idp(client, idp)
    assert client.get("/sales/").status_code == 200


def test_a_taken_name_is_not_given_to_a_saml_user(saml_site, idp, client, user_factory):
    user_factory("alice")
    login_through_idp(
        client, idp, uid="other-alice", attributes=alice() | {"mail": ["al@corp.example.com"]}
    )
    user = signed_in_user(client)
    assert user is not None and user.username.casefold() != "alice"
    assert SecurityEvent.objects.filter(kind="name_refused", username="alice").exists()


def test_a_verified_address_signs_in_the_user_who_has_it(saml_site, idp, client, user_factory):
    from allauth.account.models import EmailAddress

    carol = user_factory("carol", email="carol@example.com")
    EmailAddress.objects.create(user=carol, email="carol@example.com", verified=True, primary=True)
    login_through_idp(
        client, idp, uid="carol-uid", attributes=alice(name="carol") | {"uid": ["cq"]}
    )
    assert signed_in_user(client) == carol
    assert SocialAccount.objects.get(uid="carol-uid").user == carol


def carol_with_verified_address(user_factory, **kwargs):
    from allauth.account.models import EmailAddress

    carol = user_factory("carol", email="carol@example.com", **kwargs)
    EmailAddress.objects.create(user=carol, email="carol@example.com", verified=True, primary=True)
    return carol


def link_refused(response, client, carol, reason):
    """The page saying what to do; nobody signed in, nothing connected; the audit trail."""
    assert response.status_code == 403
    page = response.content.decode()
    assert "Sign in with your user name and password, then connect Company SSO" in page
    assert 'href="/accounts/3rdparty/"' in page
    assert signed_in_user(client) is None
    assert not SocialAccount.objects.filter(user=carol).exists()
    assert list(SecurityEvent.objects.values_list("kind", "user", "target", "detail")) == [
        ("link_refused", carol.pk, "saml", f"saml sign-in as carol@example.com: {reason}")
    ]


@pytest.mark.parametrize("link", ["", "corp.example.com", "mail.example.com"])
def test_an_address_outside_link_domains_signs_in_nobody(
    saml_site, idp, client, user_factory, link
):
    saml_site.configure(link=link)
    carol = carol_with_verified_address(user_factory)
    response = login_through_idp(
        client, idp, uid="carol-uid", attributes=alice(name="carol") | {"uid": ["cq"]}
    )
    link_refused(response, client, carol, "'saml' is not trusted for example.com (link_domains)")


def test_the_idp_never_signs_into_a_superuser(saml_site, idp, client, user_factory):
    carol = carol_with_verified_address(user_factory, superuser=True)
    response = login_through_idp(
        client, idp, uid="carol-uid", attributes=alice(name="carol") | {"uid": ["cq"]}
    )
    link_refused(response, client, carol, "the account is a superuser")


def test_the_idp_never_signs_into_an_account_with_a_second_factor(
    saml_site, idp, client, user_factory
):
    carol = carol_with_verified_address(user_factory, with_totp=True)
    response = login_through_idp(
        client, idp, uid="carol-uid", attributes=alice(name="carol") | {"uid": ["cq"]}
    )
    link_refused(response, client, carol, "the account has a second factor")


def test_a_connected_superuser_signs_in_with_the_idp(saml_site, idp, client, user_factory):
    # Connected from the account page by the superuser themselves: the SAML account, not the
    # address, names them.
    carol = carol_with_verified_address(user_factory, superuser=True)
    SocialAccount.objects.create(user=carol, provider="saml", uid="carol-uid")
    login_through_idp(client, idp, uid="carol-uid", attributes=alice(name="carol"))
    assert signed_in_user(client) == carol


def test_an_unverified_address_signs_in_nobody_else(saml_site, idp, client, user_factory):
    from allauth.account.models import EmailAddress

    carol = user_factory("carol", email="carol@example.com")
    EmailAddress.objects.create(user=carol, email="carol@example.com", verified=True, primary=True)
    unverified = alice(name="carol") | {"uid": ["cq"], "emailVerified": ["false"]}
    response = login_through_idp(client, idp, uid="carol-uid", attributes=unverified)
    assert signed_in_user(client) != carol
    assert not SocialAccount.objects.filter(user=carol).exists()
    assert response.status_code in (200, 302)


def test_a_group_name_is_not_given_to_a_saml_user(saml_site, idp, client):
    login_through_idp(client, idp, uid="x", attributes=alice(name="Admins"))
    user = signed_in_user(client)
    assert user is not None and user.username.casefold() != "admins"


def refused(response, client, reason):
    """allauth's authentication error page; nobody signed in; the reason in the audit trail."""
    assert response.status_code == 401, response.status_code
    assert signed_in_user(client) is None
    assert list(SecurityEvent.objects.values_list("kind", "detail")) == [
        ("login_failed", f"saml: {reason}")
    ]


def test_an_unsigned_response_is_refused(saml_site, idp, client):
    response = login_through_idp(client, idp, sign_assertion=False, sign_response=False)
    refused(response, client, "The Assertion of the Response is not signed and the SP require it")


def test_a_signed_response_with_an_unsigned_assertion_is_refused(saml_site, idp, client):
    refused(
        login_through_idp(client, idp, sign_assertion=False, sign_response=True),
        client,
        "The Assertion of the Response is not signed and the SP require it",
    )


def test_a_tampered_response_is_refused(saml_site, idp, client):
    answer = idp.answer(start_login(client), uid="alice-uid", attributes=alice())
    assert "CN=Sales,OU=Groups" in answer.saml_response
    answer.saml_response = answer.saml_response.replace("CN=Sales,OU=Groups", "CN=Admins,OU=Groups")
    refused(
        post_to_acs(client, answer), client, "Signature validation failed. SAML Response rejected"
    )
    assert not get_user_model().objects.filter(username="alice").exists()


def test_a_response_signed_by_another_key_is_refused(saml_site, idp, client, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    impostor = IdentityProvider(other)
    impostor.sp_metadata = idp.sp_metadata
    refused(
        post_to_acs(client, impostor.answer(start_login(client), uid="a", attributes=alice())),
        client,
        "Signature validation failed. SAML Response rejected",
    )


def test_an_expired_response_is_refused(saml_site, idp, client):
    # Its validity ended 30 minutes ago (python3-saml allows 5 minutes of clock drift).
    refused(
        login_through_idp(client, idp, lifetime_minutes=-30),
        client,
        "Could not validate timestamp: expired. Check system clock.",
    )


def test_a_response_for_another_audience_is_refused(saml_site, idp, client):
    other = idp.sp_metadata[0].replace(SP_ENTITY_ID, "https://other.example.com/sp")
    idp.trust_sp(other)
    refused(
        login_through_idp(client, idp, audience="https://other.example.com/sp"),
        client,
        f"{SP_ENTITY_ID} is not a valid audience for this Response",
    )


def test_a_deprecated_signature_algorithm_is_refused(saml_site, idp, client):
    from saml2.xmldsig import DIGEST_SHA1, SIG_RSA_SHA1

    refused(
        login_through_idp(client, idp, sign_alg=SIG_RSA_SHA1, digest_alg=DIGEST_SHA1),
        client,
        "Deprecated signature algorithm found: http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    )


def idp_initiated(client, idp):
    answer = idp.answer(
        None, uid="alice-uid", attributes=alice(), audience=SP_ENTITY_ID, acs_url=SITE + ACS
    )
    return post_to_acs(client, answer)


def test_idp_initiated_login_is_refused_by_default(saml_site, idp, client):
    refused(
        idp_initiated(client, idp),
        client,
        "response refused: unsolicited (IdP-initiated), or its ACS session was lost",
    )


def test_idp_initiated_login_when_settings_yaml_allows_it(saml_site, idp, client):
    saml_site.write(
        "settings.yaml",
        SETTINGS.format(otp="", link="example.com").replace(
            "    name: Company SSO", "    name: Company SSO\n    idp_initiated: true"
        ),
    )
    response = idp_initiated(client, idp)
    assert response.status_code == 302
    assert signed_in_user(client).username == "alice"


def test_new_saml_users_can_be_refused(saml_site, idp, client):
    saml_site.write(
        "settings.yaml",
        SETTINGS.format(otp="", link="example.com").replace(
            "    name: Company SSO", "    name: Company SSO\n    signup: false"
        ),
    )
    login_through_idp(client, idp)
    assert signed_in_user(client) is None
    assert not get_user_model().objects.filter(username="alice").exists()


def test_saml_button_on_the_login_page(saml_site, client):
    body = client.get("/accounts/login/").content.decode()
    assert "Company SSO" in body
    assert SP_LOGIN in body


def test_no_saml_without_auth_saml(site_dir, client):
    assert client.get(SP_METADATA).status_code == 404
    assert client.post(SP_LOGIN).status_code == 404


# --- the second factor after SAML -------------------------------------------------------------

REQUIRED = "otp: {required_for: [sales]}"
TRUSTED = "otp: {required_for: [sales], trusted_methods: [saml]}"


@pytest.fixture
def saml_user_with_device(saml_site, idp, client):
    """alice, made by a first SAML login, with a confirmed TOTP device; signed out."""
    login_through_idp(client, idp)
    user = get_user_model().objects.get(username="alice")
    client.post("/accounts/logout/")
    device, _ = add_totp(user)
    return user, device


def test_a_required_user_enters_a_code_after_saml(saml_site, idp, client, saml_user_with_device):
    user, device = saml_user_with_device
    saml_site.configure(otp=REQUIRED)
    response = login_through_idp(client, idp)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/login/"
    assert signed_in_user(client) is None
    response = client.post("/accounts/2fa/login/", {"code": code_for(device)})
    assert response.status_code == 302
    assert signed_in_user(client) == user
    assert client.get("/").status_code == 200


def test_a_trusted_saml_login_needs_no_code(saml_site, idp, client, saml_user_with_device):
    user, _ = saml_user_with_device
    saml_site.configure(otp=TRUSTED)
    response = login_through_idp(client, idp)
    assert response["Location"] == "/after/"
    assert signed_in_user(client) == user
    assert client.get("/").status_code == 200
    assert client.session["accounts_login_method"] == "saml"


def test_the_admin_still_wants_a_verified_second_factor(
    saml_site, idp, client, saml_user_with_device
):
    user, _ = saml_user_with_device
    user.is_staff = True
    user.save()
    saml_site.configure(otp=TRUSTED)
    login_through_idp(client, idp)
    assert client.get("/").status_code == 200
    assert client.get("/admin/").status_code == 302


def test_untrusting_saml_asks_open_sessions_for_a_code(
    saml_site, idp, client, saml_user_with_device
):
    saml_site.configure(otp=TRUSTED)
    login_through_idp(client, idp)
    assert client.get("/").status_code == 200
    saml_site.configure(otp=REQUIRED)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/verify/")


def test_a_required_user_without_a_device_sets_one_up_after_saml(saml_site, idp, client):
    saml_site.configure(otp=REQUIRED)
    login_through_idp(client, idp)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/")


def test_a_trusted_saml_login_needs_no_device(saml_site, idp, client):
    saml_site.configure(otp=TRUSTED)
    login_through_idp(client, idp)
    assert client.get("/").status_code == 200


def test_a_password_login_is_never_trusted_as_saml(site_dir, client, user_factory):
    user = user_factory("bob", groups=["sales"])
    add_totp(user)
    site_dir.write("settings.yaml", "auth:\n  " + TRUSTED + "\n")
    response = client.post("/accounts/login/", {"login": "bob", "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/login/"
    assert signed_in_user(client) is None


def test_a_later_password_login_forgets_the_saml_method(rf, user_factory):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    from accounts import otp
    from accounts.adapter import AccountAdapter

    request = rf.get("/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.user = user = user_factory("bob")
    otp.record_login_method(request, "saml")
    AccountAdapter(request).post_login(
        request,
        user,
        email_verification="none",
        signal_kwargs=None,
        email=None,
        signup=False,
        redirect_url=None,
    )
    assert otp.login_method_of(request) == ""


# --- other ways to name the IdP, the SP's own key, check_site ---------------------------------

BY_HAND = """
auth:
  saml:
    idp:
      entity_id: https://idp.test/metadata
      sso_url: https://idp.test/sso/redirect
      x509cert_file: saml/idp.crt
    attributes:
      username: urn:oid:0.9.2342.19200300.100.1.1
      email: urn:oid:0.9.2342.19200300.100.1.3
      groups: memberOf
    groups: {"CN=Sales,OU=Groups,DC=example,DC=com": sales}
"""


def test_idp_given_by_entity_id_sso_url_and_certificate(saml_site, idp, client):
    saml_site.write("saml/idp.crt", idp.certificate)
    saml_site.write("settings.yaml", BY_HAND)
    login_through_idp(client, idp)
    user = signed_in_user(client)
    assert user.username == "alice"
    assert list(user.groups.values_list("name", flat=True)) == ["sales"]


def test_with_the_sp_key_requests_are_signed(saml_site, idp, client, settings, tmp_path):
    from .saml_idp import make_key_and_cert

    key, cert = make_key_and_cert(tmp_path, "sp")
    settings.SAML_SP_PRIVATE_KEY = key.read_text()
    settings.SAML_SP_X509CERT = cert.read_text()
    body = client.get(SP_METADATA).content.decode()
    assert 'AuthnRequestsSigned="true"' in body
    assert "".join(cert.read_text().splitlines()[1:-1]) in body
    redirect = start_login(client)
    assert "&Signature=" in redirect
    post_to_acs(client, idp.answer(redirect, uid="alice-uid", attributes=alice()))
    assert signed_in_user(client).username == "alice"


def test_check_site_names_a_missing_metadata_file(site_dir, capsys):
    site_dir.write("settings.yaml", "auth:\n  saml:\n    idp:\n      metadata_file: saml/idp.xml\n")
    with pytest.raises(SystemExit):
        call_command("check_site")
    assert capsys.readouterr().out.splitlines() == [
        "settings.yaml:4: (accounts.W004) auth.saml.idp.metadata_file: cannot read idp.xml: No such file or directory"
    ]


def test_check_site_names_a_file_that_is_not_metadata(site_dir, capsys):
    site_dir.write("settings.yaml", "auth:\n  saml:\n    idp:\n      metadata_file: idp.xml\n")
    site_dir.write("idp.xml", "<html>not metadata</html>")
    with pytest.raises(SystemExit):
        call_command("check_site")
    assert capsys.readouterr().out.splitlines() == [
        "settings.yaml:4: (accounts.W004) auth.saml.idp.metadata_file: idp.xml has no IdP with an HTTP-Redirect "
        "sign-on URL and a signing certificate"
    ]


def test_check_site_warns_of_an_sp_key_without_its_certificate(saml_site, settings, capsys):
    settings.SAML_SP_PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----..."
    call_command("check_site")
    assert capsys.readouterr().err.splitlines() == [
        "warning: settings.yaml:4: auth.saml: set both SAML_SP_PRIVATE_KEY and SAML_SP_X509CERT, "
        "or neither; requests to the IdP are not signed",
        "The site folder has no problems.",
    ]


@contextmanager
def http_server(answer):
    """A real HTTP server on 127.0.0.1 (a port of its own) whose GET handler calls
    `answer(handler)`; yields the URL of its /metadata."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            answer(self)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/metadata"
    finally:
        server.shutdown()
        server.server_close()


def send(handler, status: int, body: bytes, content_type="application/samlmetadata+xml"):
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@pytest.fixture
def metadata_server(idp):
    """The IdP's metadata over HTTP, as an IdP publishes it."""
    body = idp.metadata().encode()

    def answer(handler):
        if handler.path == "/metadata":
            send(handler, 200, body)
        else:
            send(handler, 404, b"")

    with http_server(answer) as url:
        yield url


def with_metadata_url(url: str, entity_id: str = "") -> str:
    """SETTINGS with the IdP's metadata at `url` instead of in a file."""
    idp = f"      metadata_url: {url}" + (f"\n      entity_id: {entity_id}" if entity_id else "")
    return SETTINGS.format(otp="", link="example.com").replace(
        "      metadata_file: saml/idp.xml", idp
    )


def test_idp_metadata_fetched_from_its_url(saml_site, idp, client, metadata_server):
    saml_site.write("settings.yaml", with_metadata_url(metadata_server))
    from site_model.loader import current_site

    assert current_site().settings.saml.idp_metadata_url == metadata_server
    assert current_site().settings.saml.idp_metadata_file == ""
    login_through_idp(client, idp)
    user = signed_in_user(client)
    assert user.username == "alice"
    assert list(user.groups.values_list("name", flat=True)) == ["sales"]


# --- an IdP whose metadata URL cannot be used -------------------------------------------------

SLS = "/accounts/saml/sso/sls/"
UNAVAILABLE = "cannot be reached right now"


def closed_port_url() -> str:
    """A URL on a port of 127.0.0.1 that nothing listens on: the connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/metadata"


@contextmanager
def failing_metadata(kind: str, idp_metadata: str):
    """The URL of metadata that cannot be used, in the way `kind` names."""
    if kind == "refused":
        yield closed_port_url()
        return
    answered = threading.Event()  # set at the end: the hanging handler lets go
    answers = {
        "http_500": lambda h: send(h, 500, b"Internal Server Error", "text/plain"),
        "not_xml": lambda h: send(h, 200, b"\x00\xff{ not xml"),
        "html": lambda h: send(h, 200, b"<html><body>Down for maintenance</body></html>"),
        "timeout": lambda h: answered.wait(10),
        "another_idp": lambda h: send(h, 200, idp_metadata.encode()),
    }
    with http_server(answers[kind]) as url:
        try:
            yield url
        finally:
            answered.set()


FAILURES = ["refused", "http_500", "not_xml", "html", "timeout", "another_idp"]


@pytest.fixture
def unreachable_idp(request, site_dir, idp, settings):
    """A site whose IdP metadata URL fails (connection refused unless the test names a
    failure of FAILURES by `indirect` parametrization); yields the URL."""
    kind = getattr(request, "param", "refused")
    settings.SAML_METADATA_TIMEOUT = 0.5
    with failing_metadata(kind, idp.metadata()) as url:
        # "another_idp": metadata that names no IdP with the entity id settings.yaml asks for.
        entity_id = "https://other-idp.example.com/" if kind == "another_idp" else ""
        site_dir.write("settings.yaml", with_metadata_url(url, entity_id))
        yield url


def finish_acs(client):
    """The IdP's answer posted to the ACS, then allauth's finishing step that reads it."""
    posted = client.post(ACS, {"SAMLResponse": "PHNhbWxwOlJlc3BvbnNlLz4=", "RelayState": ""})
    assert posted.status_code == 302
    return client.get(posted["Location"])


SAML_ROUTES = {
    "login_page": lambda client: client.get(SP_LOGIN, {"process": "login"}),
    "login": lambda client: client.post(SP_LOGIN, {"next": "/after/"}),
    "acs": finish_acs,
    "single_logout": lambda client: client.get(SLS, {"SAMLRequest": "x"}),
    "sp_metadata": lambda client: client.get(SP_METADATA),
}


def assert_unavailable(response, url, *, html=True):
    """503 with Retry-After, saying the sign-in service cannot be reached; nothing of the URL
    or of the error."""
    assert response.status_code == 503, response.content[:500]
    assert int(response["Retry-After"]) > 0
    assert response["Content-Type"].startswith("text/html" if html else "text/plain")
    body = response.content.decode()
    assert UNAVAILABLE in body and "try again later" in body
    port = url.rsplit(":", 1)[1].split("/")[0]
    assert "127.0.0.1" not in body and f":{port}" not in body
    said = body[body.index("<main") : body.index("</main>")] if html else body
    for word in ("metadata", "Errno", "refused", "timed out", "HTTP", "IdP XML"):
        assert word not in said, word


@pytest.mark.parametrize("route", SAML_ROUTES)
def test_every_saml_route_answers_503_while_the_idp_is_unreachable(unreachable_idp, client, route):
    assert_unavailable(SAML_ROUTES[route](client), unreachable_idp, html=route != "sp_metadata")


@pytest.mark.parametrize("unreachable_idp", FAILURES, indirect=True)
def test_each_way_the_metadata_fails_answers_503(unreachable_idp, client):
    assert_unavailable(client.post(SP_LOGIN, {"next": "/after/"}), unreachable_idp)
    assert signed_in_user(client) is None


@pytest.mark.parametrize("unreachable_idp", ["timeout"], indirect=True)
def test_the_metadata_fetch_gives_up_after_saml_metadata_timeout(unreachable_idp, client):
    started = time.monotonic()
    assert_unavailable(client.post(SP_LOGIN), unreachable_idp)
    assert time.monotonic() - started < 3  # SAML_METADATA_TIMEOUT is 0.5 s here


def test_the_log_names_the_idp_the_url_and_the_error(unreachable_idp, client, caplog):
    client.post(SP_LOGIN)
    ours = [record for record in caplog.records if record.name == "accounts"]
    assert len(ours) == 1, [record.getMessage() for record in ours]
    message = ours[0].getMessage()
    assert ours[0].levelname == "ERROR" and ours[0].exc_info is None
    assert "\n" not in message
    assert "Company SSO" in message and unreachable_idp in message
    assert "Connection refused" in message


def test_password_login_and_other_providers_work_while_the_idp_is_unreachable(
    unreachable_idp, site_dir, client, settings, user_factory
):
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["google"]["APP"] = {"client_id": "g-id", "secret": "g-secret"}
    settings.SOCIALACCOUNT_PROVIDERS = providers
    site_dir.write(
        "settings.yaml",
        with_metadata_url(unreachable_idp).replace("auth:\n", "auth:\n  providers: [google]\n"),
    )
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="password"' in body
    assert 'href="/accounts/google/login/?process=login"' in body
    assert "Company SSO" in body
    user = user_factory("bob")
    response = client.post("/accounts/login/", {"login": "bob", "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_user(client) == user


def test_unusable_metadata_is_fetched_again_not_kept_for_hours(site_dir, idp, client, monkeypatch):
    monkeypatch.setattr("accounts.saml.UNREACHABLE_SECONDS", 0)  # no failure memory here
    good = idp.metadata()
    without_certificate = re.sub(
        r"<(\w+:)?KeyDescriptor\b.*?</(\w+:)?KeyDescriptor>",
        "",
        good,
        flags=re.S,
    )
    assert without_certificate != good
    served = [without_certificate.encode()]

    with http_server(lambda handler: send(handler, 200, served[0])) as url:
        site_dir.write("settings.yaml", with_metadata_url(url))
        assert_unavailable(client.post(SP_LOGIN), url)
        served[0] = good.encode()
        response = client.post(SP_LOGIN, {"next": "/after/"})
    assert response.status_code == 302
    assert response["Location"].startswith("https://idp.test/sso/redirect?SAMLRequest=")


def test_saml_works_again_once_the_metadata_can_be_fetched(site_dir, idp, client):
    metadata = idp.metadata().encode()
    up = threading.Event()
    asked = []

    def answer(handler):
        asked.append(handler.path)
        if up.is_set():
            send(handler, 200, metadata)
        else:
            send(handler, 503, b"", "text/plain")

    with http_server(answer) as url:
        site_dir.write("settings.yaml", with_metadata_url(url))
        assert_unavailable(client.post(SP_LOGIN), url)
        up.set()
        # Within UNREACHABLE_SECONDS of the failure the IdP is not asked again: no worker
        # waits on an IdP that hangs.
        assert_unavailable(client.post(SP_LOGIN), url)
        assert len(asked) == 1
        cache.clear()  # as when the window has passed
        response = client.post(SP_LOGIN, {"next": "/after/"})
    assert len(asked) == 2
    assert response.status_code == 302
    assert response["Location"].startswith("https://idp.test/sso/redirect?SAMLRequest=")
