"""How recently the visitor signed in, and gave a second factor (contract §11).

Fresh sign-in. "Remember me" keeps the session cookie past the browser's end; a sign-in
(the login form, a social or SAML sign-in, a certificate, allauth's reauthentication) also
puts a random mark in the session and the same mark in a cookie that has no expiry
(`BROWSER_COOKIE`): the browser drops it when it ends, as it drops any session cookie. A
session whose cookie lacks the mark was restored in a later browser session: it is not fresh.
A Basic caller gives the password with the request (fresh); a Bearer token is remembered.

Step-up. Each code accepted (at sign-in, on the verify, set-up and step-up pages) stamps the
session with its time; a session signed in by a way `auth.otp.trusted_methods` lists counts its
sign-in as a code given then, as the sign-in itself does.

`need(request, fresh_login=..., within=...)` says what the visitor must do first; the surfaces
turn it into a redirect (web) or an answer (api). It reads only the session and the identity
the request has already read: no query.
"""

from __future__ import annotations

import enum
import secrets
import time
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from . import audit, otp
from .identity import identity_for

BROWSER_COOKIE = "signin_browser"
BROWSER_SESSION_KEY = "accounts_signin_browser"
SIGNED_IN_AT_SESSION_KEY = "accounts_signed_in_at"
SECOND_FACTOR_AT_SESSION_KEY = "accounts_second_factor_at"
# Set on the request by api.auth for an Authorization header: "basic" or "bearer".
CREDENTIAL_ATTRIBUTE = "api_credential"


class Need(enum.Enum):
    NONE = "none"
    LOGIN = "login"  # anonymous: sign in
    SIGN_IN_AGAIN = "sign in again"  # remembered from an earlier browser session
    CODE = "code"  # a second factor within the window
    SET_UP = "set up"  # no device to give a code with
    REFUSED = "refused"  # a Basic or Bearer caller cannot step up

    def __bool__(self) -> bool:
        return self is not Need.NONE


def _now() -> float:
    return time.time()


# --- what happened: written by the sign-in and the code pages -------------------------------


def signed_in(request) -> None:
    """A sign-in in this browser: mark the session, and (on the way out) the browser."""
    mark = secrets.token_urlsafe(18)
    request.session[BROWSER_SESSION_KEY] = mark
    request.session[SIGNED_IN_AT_SESSION_KEY] = _now()
    request.signin_browser_mark = mark


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    """`user_logged_in` receiver: every way in goes through Django's `login()`; one that
    passed a code (the login step sets `user.otp_device`, as django-otp reads it) stamps it."""
    if request is None or not hasattr(request, "session"):
        return
    signed_in(request)
    if getattr(user, "otp_device", None) is not None:
        second_factor_given(request)


def second_factor_given(request) -> None:
    request.session[SECOND_FACTOR_AT_SESSION_KEY] = _now()


def set_browser_cookie(request, response) -> None:
    """The mark of a sign-in made by this request, as a cookie that ends with the browser."""
    mark = getattr(request, "signin_browser_mark", None)
    if mark is None or not hasattr(request, "session"):
        return
    if request.session.get(BROWSER_SESSION_KEY) != mark:
        return  # signed out again within the request
    response.set_cookie(
        BROWSER_COOKIE,
        mark,
        max_age=None,
        path=settings.SESSION_COOKIE_PATH,
        domain=settings.SESSION_COOKIE_DOMAIN,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite=settings.SESSION_COOKIE_SAMESITE,
    )


class BrowserMarkMiddleware:
    """Sets `BROWSER_COOKIE` on the answer to a request that signed someone in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        set_browser_cookie(request, response)
        return response


# --- what the visitor has: asked by web, api and blocks -------------------------------------


def credential(request) -> str:
    """ "basic" or "bearer" for an API call with an Authorization header, else "session"."""
    return getattr(request, CREDENTIAL_ATTRIBUTE, "") or "session"


def is_fresh(request) -> bool:
    """Did the visitor sign in during this browser session (not restored by "remember me")?"""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    way = credential(request)
    if way != "session":
        return way == "basic"
    mark = request.session.get(BROWSER_SESSION_KEY)
    if not mark:
        return False
    given = getattr(request, "signin_browser_mark", None) or request.COOKIES.get(BROWSER_COOKIE, "")
    return constant_time_compare(mark, given)


def second_factor_age(request) -> float | None:
    """Seconds since this session last gave a second factor (or signed in by a trusted way);
    None when it never did."""
    session = request.session
    times = [session.get(SECOND_FACTOR_AT_SESSION_KEY)]
    if otp.login_method_trusted(otp.login_method_of(request)):
        times.append(session.get(SIGNED_IN_AT_SESSION_KEY))
    given = [t for t in times if isinstance(t, int | float)]
    return _now() - max(given) if given else None


def need(request, *, fresh_login: bool = False, within: int | None = None) -> Need:
    """What the visitor must do before a page, block or action with these keys: nothing, sign
    in, sign in again, give a code (within `within` minutes), set a device up, or nothing they
    can (Basic, Bearer)."""
    if not fresh_login and within is None:
        return Need.NONE
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return Need.LOGIN
    if fresh_login and not is_fresh(request):
        return Need.REFUSED if credential(request) != "session" else Need.SIGN_IN_AGAIN
    if within is None:
        return Need.NONE
    if credential(request) != "session":
        return Need.REFUSED
    age = second_factor_age(request)
    if age is not None and age <= within * 60:
        return Need.NONE
    return Need.CODE if identity_for(user).has_device else Need.SET_UP


def need_for(request, *specs, action=None) -> Need:
    """`need` of pages and blocks (their `fresh_login`, `second_factor`) and an ACTION element's
    `second_factor`: every one's keys at once, the shortest window."""
    fresh = any(spec.fresh_login for spec in specs)
    windows = [spec.second_factor for spec in specs if spec.second_factor is not None]
    if action is not None and action.second_factor is not None:
        windows.append(action.second_factor)
    return need(request, fresh_login=fresh, within=min(windows) if windows else None)


def url_for(needed: Need, next_url: str) -> str:
    """Where a visitor goes to do what `needed` says, then back to `next_url`."""
    name = {
        Need.LOGIN: settings.LOGIN_URL,
        Need.SIGN_IN_AGAIN: "account_reauthenticate",
        Need.CODE: "accounts_2fa_step_up",
        Need.SET_UP: "accounts_2fa",
    }[needed]
    path = name if name.startswith("/") else reverse(name)
    return f"{path}?{urlencode({'next': next_url})}"


# --- the step-up page's service --------------------------------------------------------------


def step_up(user, code: str, *, request) -> None:
    """Check a code for a step-up (under the second-factor limit of accounts.otp); a right one
    stamps the session. Success and failure both go to the audit trail. Raises CodeRefused."""
    otp.verify_code(user, code, request=request, step="step-up")
    second_factor_given(request)
    audit.record(audit.Kind.STEP_UP, request=request, user=user, detail="second factor given")
