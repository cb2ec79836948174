"""The admin site at /admin/: staff with a verified second factor only (django-otp's OTPAdminSite).

The admin's own login form is never shown, so nothing authenticates there and only allauth's
rate-limited login does:
- a visitor goes to the site's login, with `next`;
- a signed-in session that has not passed a second factor goes to the second-factor page;
- verified staff go on to `next`; anyone else signed in and verified gets 403.
"""

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.admin import OTPAdminSite

from . import otp


class SiteAdminSite(OTPAdminSite):
    def __init__(self, name: str = "admin"):
        super().__init__(name)

    def login(self, request, extra_context=None):
        index = reverse("admin:index", current_app=self.name)
        next_url = request.GET.get("next") or index
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = index
        query = urlencode({"next": next_url})
        if not request.user.is_authenticated:
            return HttpResponseRedirect(f"{reverse('account_login')}?{query}")
        if not request.user.is_verified():
            target = "accounts_2fa_verify" if otp.has_device(request.user) else "accounts_2fa"
            return HttpResponseRedirect(f"{reverse(target)}?{query}")
        if self.has_permission(request):
            return HttpResponseRedirect(next_url)
        raise PermissionDenied("The admin site is for staff only.")
