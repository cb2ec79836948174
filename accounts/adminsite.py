"""The admin site at /admin/: staff with a verified second factor only (django-otp's OTPAdminSite).

Instead of the admin's own login form (which would skip allauth's rate limits), visitors
are sent through the site's login, and signed-in staff without a verified device to the
second-factor pages.
"""

from urllib.parse import urlencode

from django.http import HttpResponseRedirect
from django.urls import reverse
from django_otp.admin import OTPAdminSite

from . import otp


class SiteAdminSite(OTPAdminSite):
    def __init__(self, name: str = "admin"):
        super().__init__(name)

    def login(self, request, extra_context=None):
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        query = urlencode({"next": next_url})
        if not request.user.is_authenticated:
            return HttpResponseRedirect(f"{reverse('account_login')}?{query}")
        if not request.user.is_verified():
            target = "accounts_2fa_verify" if otp.has_device(request.user) else "accounts_2fa"
            return HttpResponseRedirect(f"{reverse(target)}?{query}")
        # Signed in and verified, but not staff: the admin's own page says so.
        return super().login(request, extra_context)
