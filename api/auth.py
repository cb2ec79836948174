"""Who is calling the API: the session cookie, HTTP Basic, or a personal Bearer token.

`authenticate(request)` sets `request.user` and `request.api_auth` ("session", "basic",
"bearer", or None for an anonymous caller) or raises `Unauthorized`. A request that sends
`Authorization` is judged by that header alone; it never falls back to the session.
`check_csrf(request)` refuses a cookie-authenticated write without a valid CSRF token; a write
carrying no session (anonymous, Basic, Bearer) needs none.
"""

from __future__ import annotations

import base64
import binascii

from django.middleware.csrf import CsrfViewMiddleware

from accounts import audit, otp, passwords, tokens

from .errors import Forbidden, TooManyRequests, Unauthorized

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# One answer for a wrong name or password and for a user who has or must have a second factor,
# whatever their password: the answer never confirms a password (contract section 7).
BASIC_REFUSED = (
    "invalid user name or password; a user with a second factor must use an API token (Bearer)"
)


def authenticate(request) -> None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        user = getattr(request, "user", None)
        request.api_auth = "session" if user is not None and user.is_authenticated else None
        return
    scheme, _, credentials = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "basic":
        request.user = basic_user(request, credentials.strip())
        request.api_auth = "basic"
    elif scheme == "bearer":
        request.user = bearer_user(request, credentials.strip())
        request.api_auth = "bearer"
    else:
        raise Unauthorized(f"unsupported authorization scheme '{scheme}'; use Basic or Bearer")


def basic_user(request, credentials: str):
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise Unauthorized(
            "malformed Basic credentials: expected base64(username:password)"
        ) from None
    username, colon, password = decoded.partition(":")
    if not colon or not username:
        raise Unauthorized("malformed Basic credentials: expected base64(username:password)")
    if any(ord(character) < 32 or ord(character) == 127 for character in username):
        # No user name holds one, and PostgreSQL cannot compare text holding a NUL.
        raise Unauthorized("malformed Basic credentials: the user name holds a control character")
    try:
        return passwords.check_basic(request, username, password)
    except passwords.TooManyFailures as refused:
        raise TooManyRequests(
            "too many failed password checks for this account or address; "
            f"try again in {refused.retry_after} seconds",
            retry_after=refused.retry_after,
        ) from None
    except passwords.PasswordRefused:
        raise Unauthorized(BASIC_REFUSED) from None


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
        raise Unauthorized("invalid or revoked API token")
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
        raise Unauthorized(
            "API token refused: this user must set up a second factor first (/accounts/2fa/)"
        )
    return user


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def check_csrf(request) -> None:
    """Django's own CSRF check, accepting the token in `X-CSRF-Token` or `X-CSRFToken`."""
    if request.method in SAFE_METHODS or request.api_auth != "session":
        return
    alias = request.META.get("HTTP_X_CSRF_TOKEN")
    if alias and not request.META.get("HTTP_X_CSRFTOKEN"):
        request.META["HTTP_X_CSRFTOKEN"] = alias
    reason = _CsrfCheck(lambda r: None).process_view(request, None, (), {})
    if reason is not None:
        raise Forbidden(f"CSRF check failed: {reason.rstrip('.')}; send the X-CSRF-Token header")
