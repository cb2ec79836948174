"""The second factor before anything else.

After django-otp's OTPMiddleware has set `user.is_verified()`:
- a signed-in user with a confirmed device whose session has not passed it (signed in
  elsewhere before the device was set up) enters a code first;
- a principal of `auth.otp.required_for` without a device sets one up first.
Until then HTML requests go to the second-factor pages, and the JSON API treats the session
as anonymous. A session that signed in by a method `auth.otp.trusted_methods` lists (LDAP, a
client certificate, SAML: `accounts_login_method` in the session) passes as it is. Logout and static files stay reachable; of the second-factor pages, a session
whose user has a device reaches only the code pages (verify, login step): the device page,
new backup codes and removal need a verified session, or backup codes made there would pass
the very check they belong to.
"""

from __future__ import annotations

from functools import cache
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.core.signals import setting_changed
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.functional import LazyObject, SimpleLazyObject, empty

from site_model.loader import current_site

from . import otp
from .identity import active_user_with_identity, identity_for
from .ldap import SiteLDAPBackend
from .sessions import SessionStore


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, with the session's user read in the session's own query, with their groups,
    e-mail rows and device (`session_user`): one query where Django's sessions, its middleware
    and `identity_for` take three (issue 21)."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _cached_session_user(request))


def _cached_session_user(request):
    if not hasattr(request, "_cached_user"):
        request._cached_user = session_user(request)
    return request._cached_user


@cache
def _reads_active_user_by_pk(backend_path: str) -> bool:
    """Is the backend's `get_user` "the active user with this primary key", as ModelBackend's
    (allauth's and the certificate backend inherit it) and SiteLDAPBackend's are?"""
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return False
    backend = type(auth.load_backend(backend_path))
    if backend.get_user is SiteLDAPBackend.get_user:
        return True
    return (
        backend.get_user is ModelBackend.get_user
        and getattr(backend, "user_can_authenticate", None) is ModelBackend.user_can_authenticate
    )


def _forget_backends(**kwargs) -> None:
    _reads_active_user_by_pk.cache_clear()


setting_changed.connect(_forget_backends)


def session_user(request):
    """`django.contrib.auth.get_user(request)` of Django 5.2, when the session's backend reads
    users as ModelBackend does: the user read with the session's row (accounts.sessions) if the
    row's copy of the user's id is the data's, else by `active_user_with_identity`; any other
    backend goes through Django's own function. As Django's: an inactive or deleted user is
    anonymous, and a session whose auth hash is not the user's (the password changed since)
    is flushed, one signed with a fallback secret given the current hash."""
    session = request.session
    try:
        user_id = auth._get_user_session_key(request)
        backend_path = session[auth.BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    if not _reads_active_user_by_pk(backend_path):
        return auth.get_user(request)
    user = SessionStore.NOT_READ
    if isinstance(session, SessionStore):
        user = session.user_with_row(user_id)
    if user is SessionStore.NOT_READ:
        user = active_user_with_identity(user_id)
    elif not user.is_active:
        user = None
    if user is None:
        return AnonymousUser()
    session_hash = session.get(auth.HASH_SESSION_KEY)
    current = user.get_session_auth_hash()
    if session_hash and constant_time_compare(session_hash, current):
        return user
    if session_hash and any(
        constant_time_compare(session_hash, fallback)
        for fallback in user.get_session_auth_fallback_hash()
    ):
        session.cycle_key()
        session[auth.HASH_SESSION_KEY] = current
        return user
    session.flush()
    return AnonymousUser()


def _anonymous() -> AnonymousUser:
    user = AnonymousUser()
    user.otp_device = None
    user.is_verified = lambda: False
    return user


def resolved(user):
    """The user behind the lazy objects of the middleware above (Django's, then django-otp's,
    each wrapping the last), read now. Every later `request.user.<name>` of the request then
    reads the user itself, where through two proxies each read cost two failed lookups and
    two calls (about 150 reads a record request; issue 21)."""
    while isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    return user


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user = resolved(request.user)
        if (
            user.is_authenticated
            and not user.is_verified()
            and not otp.login_method_trusted(otp.login_method_of(request))
        ):
            target = self.pending(user)
            if target is not None:
                if request.path.startswith("/api/"):
                    request.user = _anonymous()
                elif not self.exempt(request.path, target):
                    return self.redirect(request, target)
        return self.get_response(request)

    @staticmethod
    def pending(user) -> str | None:
        """The URL name of what the user must do first, or None."""
        # Asked on every request of an unverified session, on purpose: a device confirmed in
        # another browser must stop this session on its next request, and a per-session cache
        # of "no device" could not be invalidated from there. It costs no query of its own:
        # the device is read with the user's groups and e-mail (identity_for), which the
        # request needs anyway.
        if identity_for(user).has_device:
            return "accounts_2fa_verify"
        if otp.must_have_device(user, current_site().settings.otp_required_for):
            return "accounts_2fa"
        return None

    @staticmethod
    def exempt(path: str, target: str) -> bool:
        """May a session that must go to `target` first reach `path`?"""
        static = (
            settings.STATIC_URL
            if settings.STATIC_URL.startswith("/")
            else "/" + settings.STATIC_URL
        )
        if path.startswith(static) or path == reverse("account_logout"):
            return True
        if target == "accounts_2fa_verify":
            return path in (reverse("accounts_2fa_verify"), reverse("accounts_2fa_login"))
        # No device yet: the set-up pages (the views refuse what needs a device).
        return path.startswith(reverse("accounts_2fa"))

    @staticmethod
    def redirect(request, target: str) -> HttpResponseRedirect:
        url = reverse(target)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(url)
