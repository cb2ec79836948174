"""App configs: `accounts` itself, and the admin whose default site asks for a second factor.

`ready()` only wires up (system checks, signal receivers); nothing here touches the database.
"""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "accounts"
    default = True
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from allauth.account.signals import password_reset
        from django.contrib.auth.signals import user_logged_in
        from django.core import checks

        from . import checks as account_checks
        from . import (
            languages,
            ldap,  # noqa: F401  its signal receivers: errors logged, the login method
            passwords,
            stepup,
        )

        checks.register(account_checks.provider_keys)
        checks.register(account_checks.saml_config)
        checks.register(account_checks.wiring)
        password_reset.connect(passwords.clear_after_reset, dispatch_uid="accounts.passwords")
        user_logged_in.connect(stepup.on_user_logged_in, dispatch_uid="accounts.stepup")
        user_logged_in.connect(languages.on_user_logged_in, dispatch_uid="accounts.languages")


class SiteAdminConfig(admin_apps.AdminConfig):
    """`django.contrib.admin` with `accounts.adminsite.SiteAdminSite` as `admin.site`."""

    default = False
    default_site = "accounts.adminsite.SiteAdminSite"
