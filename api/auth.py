"""Who is calling the API (Django REST framework authentication classes): an `Authorization`
header (HTTP Basic or a personal Bearer token), else the session cookie, else anonymous.

A request that sends `Authorization` is judged by that header alone (`HeaderAuthentication`
comes first and answers or refuses); it never falls back to the session. A cookie-authenticated
write needs a valid CSRF token, checked by DRF's `SessionAuthentication` (DRF's `CSRFCheck`,
Django's own check), which also takes it in `X-CSRF-Token`; a write carrying no session
(anonymous, Basic, Bearer) needs none.
"""

from __future__ import annotations

import base64
import binascii

from rest_framework import authentication, exceptions

from accounts import audit, otp, passwords, stepup, tokens

from .errors import WWW_AUTHENTICATE, too_many

# One answer for a wrong name or password and for a user who has or must have a second factor,
# whatever their password: the answer never confirms a password (contract section 7).
BASIC_REFUSED = (
    "invalid user name or password; a user with a second factor must use an API token (Bearer)"
)
# The methods Django's CSRF check lets through without looking (CsrfViewMiddleware.process_view).
CSRF_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
MALFORMED_BASIC = "malformed Basic credentials: expected base64(username:password)"


class HeaderAuthentication(authentication.BaseAuthentication):
    """`Authorization: Basic ...` through the shared password limit (accounts.passwords), or
    `Authorization: Bearer <token>` (accounts.tokens); any other scheme is refused."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, credentials = header.partition(" ")
        scheme = scheme.lower()
        if scheme in ("basic", "bearer"):
            check = basic_user if scheme == "basic" else bearer_user
            user = check(request._request, credentials.strip())
            # How the caller signed in, for a fresh sign-in and a step-up (accounts.stepup).
            setattr(request._request, stepup.CREDENTIAL_ATTRIBUTE, scheme)
            return user, scheme
        raise exceptions.AuthenticationFailed(
            f"unsupported authorization scheme '{scheme}'; use Basic or Bearer"
        )

    def authenticate_header(self, request) -> str:
        return WWW_AUTHENTICATE


class CookieAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication; its CSRF check also takes the token in `X-CSRF-Token`."""

    def enforce_csrf(self, request):
        if request.method in CSRF_SAFE_METHODS:
            return  # Django's check accepts these untouched; skip building it per read
        meta = request._request.META
        alias = meta.get("HTTP_X_CSRF_TOKEN")
        if alias and not meta.get("HTTP_X_CSRFTOKEN"):
            meta["HTTP_X_CSRFTOKEN"] = alias
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as refused:
            reason = str(refused.detail).removeprefix("CSRF Failed: ").rstrip(".")
            raise exceptions.PermissionDenied(
                f"CSRF check failed: {reason}; send the X-CSRF-Token header"
            ) from None


def basic_user(request, credentials: str):
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise exceptions.AuthenticationFailed(MALFORMED_BASIC) from None
    username, colon, password = decoded.partition(":")
    if not colon or not username:
        raise exceptions.AuthenticationFailed(MALFORMED_BASIC)
    if any(ord(character) < 32 or ord(character) == 127 for character in username):
        # No user name holds one, and PostgreSQL cannot compare text holding a NUL.
        raise exceptions.AuthenticationFailed(
            "malformed Basic credentials: the user name holds a control character"
        )
    try:
        return passwords.check_basic(request, username, password)
    except passwords.TooManyFailures as refused:
        raise too_many(
            "too many failed password checks for this account or address; "
            f"try again in {refused.retry_after} seconds",
            refused.retry_after,
        ) from None
    except passwords.PasswordRefused:
        raise exceptions.AuthenticationFailed(BASIC_REFUSED) from None


def bearer_user(request, raw: str):
    """The user of a valid token, unless they must set up a second factor first."""
    user = tokens.user_for_token(raw)
    if user is None:
        audit.record(
            audit.Kind.TOKEN_REFUSED,
            request=request,
            target=tokens.public_prefix(raw),
            detail="invalid or revoked API token",
        )
        raise exceptions.AuthenticationFailed("invalid or revoked API token")
    if otp.must_set_up_device(user):
        # The site requires a second factor of this user, who has none: a token may not
        # reach what the session may not (accounts/middleware.py).
        audit.record(
            audit.Kind.TOKEN_REFUSED,
            request=request,
            user=user,
            target=tokens.public_prefix(raw),
            detail="the user must set up a second factor first",
        )
        raise exceptions.AuthenticationFailed(
            "API token refused: this user must set up a second factor first (/accounts/2fa/)"
        )
    return user
