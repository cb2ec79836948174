"""Sign-in by client certificate: the TLS proxy verifies it, the site maps its subject to a user.

The application never sees the TLS handshake: nginx (`ssl_verify_client`, docs/deploy.md)
checks the certificate against the site's CA and passes the result in two headers, which it
sets on every request, overwriting whatever the client sent:

    X-SSL-Client-Verify: SUCCESS          ($ssl_client_verify: SUCCESS, NONE or FAILED:reason)
    X-SSL-Client-S-DN: emailAddress=ann@example.com,CN=Ann,O=Example   ($ssl_client_s_dn)

Those headers are believed only on a request that comes from a proxy named in
`TRUSTED_PROXIES` (accounts.network.is_trusted_proxy), so the same headers sent straight to the
application server are ignored. With settings.yaml `auth.certificates`, `CertificateMiddleware`
signs the request's session in as the user the subject names (`CertificateBackend`):
- `subject_pattern`: a regex the whole subject DN matches; its group `username` is a user name;
- `email: true`: the subject's emailAddress is the address of exactly one user, and a
  principal of theirs (verified, or set by an administrator: accounts.identity).
Only existing, active users are named: a certificate never makes an account. A session that
signed in by certificate is signed out when a request comes without it (as Django's
RemoteUserMiddleware does), and a certificate naming somebody else switches the session.
"""

from __future__ import annotations

import logging
import re

from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from site_model.loader import current_site

from . import audit, names, otp
from .identity import users_named_by_email
from .network import is_trusted_proxy

logger = logging.getLogger("accounts")

BACKEND = "accounts.certificates.CertificateBackend"
METHOD = "certificate"
VERIFY_HEADER = "HTTP_X_SSL_CLIENT_VERIFY"
SUBJECT_HEADER = "HTTP_X_SSL_CLIENT_S_DN"
SUBJECT_SESSION_KEY = "accounts_certificate_subject"
REFUSED_SESSION_KEY = "accounts_certificate_refused"
EMAIL_ATTRIBUTES = ("emailaddress", "e", "1.2.840.113549.1.9.1")


def parse_dn(text: str) -> list[tuple[str, str]]:
    """An RFC 2253 DN, as nginx gives it, -> [(attribute, value)] in order; `\\,` escapes kept out.

    >>> parse_dn("emailAddress=ann@example.com,CN=Ann\\\\, Jr.,O=Example")
    [('emailAddress', 'ann@example.com'), ('CN', 'Ann, Jr.'), ('O', 'Example')]
    """
    pairs: list[tuple[str, str]] = []
    attribute, value, in_value = "", "", False
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            pair = text[index + 1 : index + 3]
            if re.fullmatch(r"[0-9A-Fa-f]{2}", pair):
                # \XX: one byte of UTF-8; gathered with the bytes after it.
                raw = bytearray()
                while re.fullmatch(r"\\[0-9A-Fa-f]{2}", text[index : index + 3]):
                    raw.append(int(text[index + 1 : index + 3], 16))
                    index += 3
                value += raw.decode("utf-8", "replace")
                continue
            value += text[index + 1]
            index += 2
            continue
        if not in_value and char == "=":
            in_value = True
        elif in_value and char in ",+":
            pairs.append((attribute.strip(), value.strip()))
            attribute, value, in_value = "", "", False
        elif in_value:
            value += char
        else:
            attribute += char
        index += 1
    if attribute.strip():
        pairs.append((attribute.strip(), value.strip()))
    return pairs


def subject_email(subject: str) -> str:
    for attribute, value in parse_dn(subject):
        if attribute.lower() in EMAIL_ATTRIBUTES:
            return value
    return ""


def user_for_subject(subject: str):
    """The active user a verified certificate's subject names under `auth.certificates`, or None."""
    conf = current_site().settings.certificates
    if conf is None:
        return None
    User = get_user_model()
    candidates = []
    if conf.subject_pattern:
        match = re.fullmatch(conf.subject_pattern, subject)
        if match and match.group("username"):
            wanted = names.fold(match.group("username"))
            field = User.USERNAME_FIELD
            found = User._default_manager.filter(
                **{f"{field}__iexact": names.normalize(match.group("username"))}
            )
            candidates = [user for user in found if names.fold(user.get_username()) == wanted]
    if not candidates and conf.email:
        email = subject_email(subject)
        if email:
            candidates = users_named_by_email(email)
    active = [user for user in candidates if user.is_active]
    return active[0] if len(active) == 1 else None


class CertificateBackend(ModelBackend):
    """`authenticate(request, client_certificate_subject=...)`: the user the subject names.

    Only CertificateMiddleware passes that keyword, and only for a certificate that a trusted
    proxy verified; no other credentials reach this backend (Django matches the signature).
    """

    def authenticate(self, request, client_certificate_subject=None):
        if not client_certificate_subject:
            return None
        return user_for_subject(client_certificate_subject)


class CertificateMiddleware:
    """Signs the session in by the verified client certificate a trusted proxy reports.

    Sits after AuthenticationMiddleware and before django-otp's OTPMiddleware, so that the
    second factor still applies to the user it signs in (unless `auth.otp.trusted_methods`
    lists `certificate`).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if current_site().settings.certificates is not None:
            self.process(request)
        return self.get_response(request)

    @staticmethod
    def verified_subject(request) -> str:
        """The subject of the certificate a trusted proxy verified, or "" (no header believed)."""
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR", "")):
            return ""
        if request.META.get(VERIFY_HEADER, "") != "SUCCESS":
            return ""
        return request.META.get(SUBJECT_HEADER, "").strip()

    def process(self, request) -> None:
        subject = self.verified_subject(request)
        session = request.session
        signed_in_by_certificate = (
            request.user.is_authenticated and otp.login_method_of(request) == METHOD
        )
        if not subject:
            if signed_in_by_certificate:
                auth.logout(request)
            return
        if signed_in_by_certificate and session.get(SUBJECT_SESSION_KEY) == subject:
            return
        if not request.user.is_authenticated and session.get(REFUSED_SESSION_KEY) == subject:
            return  # said once for this session already
        if request.user.is_authenticated and not signed_in_by_certificate:
            return  # signed in otherwise (a password): the certificate changes nothing
        user = auth.authenticate(request, client_certificate_subject=subject)
        if user is None:
            if signed_in_by_certificate:
                auth.logout(request)
            audit.record(
                audit.Kind.LOGIN_FAILED,
                request=request,
                username=subject[:150],
                detail=f"client certificate '{subject}' names no user",
            )
            request.session[REFUSED_SESSION_KEY] = subject
            return
        if request.user.is_authenticated and request.user.pk != user.pk:
            auth.logout(request)
        if not request.user.is_authenticated:
            auth.login(request, user)
            logger.info("signed in by client certificate: %s as %s", subject, user)
        otp.record_login_method(request, METHOD)
        request.session[SUBJECT_SESSION_KEY] = subject
