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

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponseRedirect
from django.urls import reverse

from site_model.loader import current_site

from . import otp
from .identity import identity_for


def _anonymous() -> AnonymousUser:
    user = AnonymousUser()
    user.otp_device = None
    user.is_verified = lambda: False
    return user


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
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
