"""A real SAML 2.0 identity provider for the tests: pysaml2's IdP, signing with Debian's xmlsec1.

It runs in-process: the test client follows the site's redirect to the IdP's sign-on URL, the
IdP reads that AuthnRequest and answers with a signed Response, which the test posts to the
site's ACS as a browser's auto-submitted form would. The IdP's key and certificate are made
afresh for each test session (cryptography), nothing is fetched.

`xmlsec1()` finds the command, or installs Debian's package through the project's own
scripts/saml.sh, or fails the test saying what is missing.
"""

from __future__ import annotations

import base64
import datetime
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

REPO = Path(__file__).resolve().parents[2]
IDP_ENTITY_ID = "https://idp.test/metadata"
IDP_SSO_URL = "https://idp.test/sso/redirect"


def xmlsec1() -> str:
    """The path of Debian's xmlsec1, installed by scripts/saml.sh when missing."""
    found = shutil.which("xmlsec1")
    if found:
        return found
    script = REPO / "scripts" / "saml.sh"
    result = subprocess.run([str(script)], capture_output=True, text=True, check=False)  # noqa: S603
    found = shutil.which("xmlsec1")
    if not found:
        pytest.fail(
            "the SAML tests need Debian's xmlsec1 and scripts/saml.sh could not install it "
            f"(exit {result.returncode}): {result.stderr.strip() or result.stdout.strip()}",
            pytrace=False,
        )
    return found


def make_key_and_cert(folder: Path, name: str) -> tuple[Path, Path]:
    """A new RSA key and a self-signed certificate for it, as PEM files in `folder`."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / f"{name}.key", folder / f"{name}.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


@dataclass
class Answer:
    """What the IdP sends back through the browser: a form to post to the SP's ACS."""

    acs_url: str
    saml_response: str  # the Response XML, before base64
    relay_state: str

    def form(self) -> dict:
        return {
            "SAMLResponse": base64.b64encode(self.saml_response.encode()).decode(),
            "RelayState": self.relay_state,
        }


class IdentityProvider:
    """pysaml2's `Server` with its own key, certificate and metadata.

    `metadata()` is the IdP's metadata XML (for the site folder); `trust_sp(xml)` loads a
    service provider's metadata; `answer(redirect_url, ...)` answers an AuthnRequest sent by
    the HTTP-Redirect binding.
    """

    def __init__(self, folder: Path, *, lifetime_minutes: int = 15):
        self.folder = folder
        self.key_file, self.cert_file = make_key_and_cert(folder, "idp")
        self.xmlsec = xmlsec1()
        self.sp_metadata: list[str] = []
        self.lifetime_minutes = lifetime_minutes

    @property
    def certificate(self) -> str:
        return self.cert_file.read_text()

    def config(self, lifetime_minutes: int | None = None) -> IdPConfig:
        minutes = self.lifetime_minutes if lifetime_minutes is None else lifetime_minutes
        conf = {
            "entityid": IDP_ENTITY_ID,
            "service": {
                "idp": {
                    "name": "Test IdP",
                    "endpoints": {
                        "single_sign_on_service": [
                            (IDP_SSO_URL, BINDING_HTTP_REDIRECT),
                            ("https://idp.test/sso/post", BINDING_HTTP_POST),
                        ]
                    },
                    "policy": {"default": {"lifetime": {"minutes": minutes}}},
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "want_authn_requests_signed": False,
                }
            },
            "key_file": str(self.key_file),
            "cert_file": str(self.cert_file),
            "xmlsec_binary": self.xmlsec,
            "metadata": {"inline": list(self.sp_metadata)},
        }
        config = IdPConfig()
        config.load(conf)
        return config

    def metadata(self) -> str:
        return create_metadata_string(None, config=self.config(), valid=24).decode()

    def trust_sp(self, xml: str) -> None:
        self.sp_metadata.append(xml)

    def server(self, lifetime_minutes: int | None = None) -> Server:
        return Server(config=self.config(lifetime_minutes))

    def answer(
        self,
        redirect_url: str | None,
        *,
        uid: str,
        attributes: dict[str, list[str]],
        sign_assertion: bool = True,
        sign_response: bool = True,
        audience: str | None = None,
        acs_url: str | None = None,
        lifetime_minutes: int | None = None,
        sign_alg: str = SIG_RSA_SHA256,
        digest_alg: str = DIGEST_SHA256,
    ) -> Answer:
        """A Response to the AuthnRequest in `redirect_url`, or an unsolicited one (IdP-initiated)
        when it is None (then `acs_url` and `audience` name the SP)."""
        server = self.server(lifetime_minutes)
        in_response_to, relay_state = None, ""
        if redirect_url is not None:
            query = parse_qs(urlsplit(redirect_url).query)
            request = server.parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
            message = request.message
            in_response_to = message.id
            acs_url = acs_url or message.assertion_consumer_service_url
            audience = audience or message.issuer.text
            relay_state = query.get("RelayState", [""])[0]
        response = server.create_authn_response(
            identity=attributes,
            in_response_to=in_response_to,
            destination=acs_url,
            sp_entity_id=audience,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=uid),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
            sign_assertion=sign_assertion,
            sign_response=sign_response,
            sign_alg=sign_alg,
            digest_alg=digest_alg,
        )
        return Answer(acs_url=acs_url, saml_response=str(response), relay_state=relay_state)
