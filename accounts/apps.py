"""App configs: `accounts` itself, and the admin whose default site asks for a second factor.

`ready()` only wires up (system checks, a signal); nothing here touches the database.
"""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "accounts"
    default = True
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.core import checks

        from . import checks as account_checks
        from . import otp

        checks.register(account_checks.provider_keys)
        checks.register(account_checks.saml_config)
        checks.register(account_checks.wiring)
        # Each login forgets how the one before it was made (accounts.otp's trust rule).
        user_logged_in.connect(otp.forget_login_method, dispatch_uid="accounts.forget_login_method")


class SiteAdminConfig(admin_apps.AdminConfig):
    """`django.contrib.admin` with `accounts.adminsite.SiteAdminSite` as `admin.site`."""

    default = False
    default_site = "accounts.adminsite.SiteAdminSite"
