"""The admin site at /admin/: staff with a verified second factor only (django-otp's OTPAdminSite).

It wears the site's title (settings.yaml `title`), and shows the models of accounts (Django's
users and groups, allauth's e-mail addresses, django-otp's devices, ours) as one "Accounts"
section under names a site builder reads.

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
from django.utils.translation import gettext as _
from django_otp.admin import OTPAdminSite

from site_model.loader import current_site

from . import otp

# The apps whose models the index shows together under "Accounts" (by name, as Django does).
ACCOUNT_APPS = ("auth", "account", "accounts", "otp_totp", "otp_static")
# Sections and models under the names a site builder knows them by.
SECTION_NAMES = {
    "otp_totp": "Authenticator apps (second factor)",
    "otp_static": "Backup codes (second factor)",
    "django_tasks_database": "Background tasks",
}
MODEL_NAMES = {
    "otp_totp.TOTPDevice": "Authenticator apps (second factor)",
    "otp_static.StaticDevice": "Backup codes (second factor)",
    "accounts.ApiToken": "API tokens",
    "django_tasks_database.DBTaskResult": "Queued and finished tasks (imports)",
}


class SiteAdminSite(OTPAdminSite):
    def __init__(self, name: str = "admin"):
        super().__init__(name)

    def each_context(self, request):
        context = super().each_context(request)
        title = current_site().settings.title
        context.update(site_header=f"{title} administration", site_title=f"{title} admin")
        return context

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        for app in apps:
            app["name"] = SECTION_NAMES.get(app["app_label"], app["name"])
            for model in app["models"]:
                key = f"{app['app_label']}.{model['object_name']}"
                model["name"] = MODEL_NAMES.get(key, model["name"])
        if app_label is not None:
            return apps
        return one_accounts_section(apps)

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
        raise PermissionDenied(_("The admin site is for staff only."))


def one_accounts_section(apps: list[dict]) -> list[dict]:
    """The admin index's sections, those of ACCOUNT_APPS merged into one "Accounts"."""
    by_label = {app["app_label"]: app for app in apps}
    merged = [by_label[label] for label in ACCOUNT_APPS if label in by_label]
    if not merged:
        return apps
    section = {
        **(by_label.get("accounts") or merged[0]),
        "name": "Accounts",
        "models": sorted(
            (model for app in merged for model in app["models"]), key=lambda m: m["name"].lower()
        ),
    }
    others = [app for app in apps if app["app_label"] not in ACCOUNT_APPS]
    return sorted([section, *others], key=lambda app: app["name"].lower())
