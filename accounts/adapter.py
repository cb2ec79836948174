"""allauth adapters: the site's policy for accounts, read from settings.yaml on each request.

- sign-up is open when `auth.signup` is true (social sign-up too);
- a user name may not be a principal of another kind: a group (of the database or of
  settings.yaml `groups`), `authenticated` or `*` (`clean_username`; allauth calls it for the
  sign-up forms and for the user names it generates at social sign-up, invites.py calls it too);
- e-mail verification follows `auth.email_verification` (the login stage below sets it on
  every login, sign-up and social login, so allauth's own setting does not matter);
- a social provider shows on the login page when `auth.providers` lists it and its keys are
  set in the environment;
- a user with a second factor enters a code before the login counts (`SecondFactorStage`).
"""

from __future__ import annotations

import logging

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.stages import EmailVerificationStage, LoginStage
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse

from blocks.loader import current_site

from . import otp
from .mail import MailNotSent

logger = logging.getLogger("accounts")

EMAIL_VERIFICATION_STAGE = "allauth.account.stages.EmailVerificationStage"

# Principals of records.acl that are not user names: a user by one of these names would be named
# by every ACL that lists them.
RESERVED_PRINCIPALS = ("authenticated", "*")


def site_settings():
    return current_site().settings


def is_reserved_username(username: str) -> bool:
    """Is `username` (in any case) `authenticated`, `*`, or the name of a group?

    Groups are those of the database and those settings.yaml `groups` lists (which may not
    exist in the database yet).
    """
    folded = username.casefold()
    names = (*RESERVED_PRINCIPALS, *site_settings().groups)
    if any(folded == name.casefold() for name in names):
        return True
    return Group.objects.filter(name__iexact=username).exists()


def provider_has_keys(app) -> bool:
    """A SocialApp is usable only with both its client id and its secret."""
    return bool(app.client_id) and bool(app.secret)


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": "Too many failed login attempts. Wait a few minutes and try again.",
        "username_reserved": "This user name is reserved: it names a group or everyone. Choose another one.",
    }

    def clean_username(self, username: str, shallow: bool = False) -> str:
        # Also when `shallow`: allauth checks the user names it generates that way.
        username = super().clean_username(username, shallow=shallow)
        if is_reserved_username(username):
            raise self.validation_error("username_reserved")
        return username

    def is_open_for_signup(self, request) -> bool:
        return site_settings().signup

    def get_login_stages(self) -> list[str]:
        stages = [
            "accounts.adapter.SiteEmailVerificationStage"
            if path == EMAIL_VERIFICATION_STAGE
            else path
            for path in super().get_login_stages()
        ]
        return [*stages, "accounts.adapter.SecondFactorStage"]

    def pre_authenticate(self, request, **credentials) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            logger.warning(
                "login refused for %r from %s: too many failed attempts",
                credentials.get("email") or credentials.get("username") or "",
                client_address(request),
            )
            raise

    def authentication_failed(self, request, **credentials) -> None:
        logger.info(
            "failed login for %r from %s",
            credentials.get("email") or credentials.get("username") or "",
            client_address(request),
        )

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's sending, with a failure logged and raised as `MailNotSent` (accounts/mail.py)."""
        try:
            super().send_mail(template_prefix, email, context)
        except OSError as exc:  # smtplib.SMTPException, refused or timed-out connections
            logger.error("could not send %s to %s", template_prefix, email, exc_info=True)
            raise MailNotSent(f"could not send {template_prefix} to {email}") from exc


class ProviderNotEnabled(Http404, SocialApp.DoesNotExist):
    """A provider that settings.yaml does not list, or that has no keys: its routes answer 404."""


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request, provider, client_id=None):
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise ProviderNotEnabled(
                f"sign-in with '{provider}' is not enabled on this site"
            ) from None

    def list_apps(self, request, provider=None, client_id=None):
        listed = set(site_settings().providers)
        return [
            app
            for app in super().list_apps(request, provider=provider, client_id=client_id)
            if app.provider in listed and provider_has_keys(app)
        ]


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


class SiteEmailVerificationStage(EmailVerificationStage):
    """allauth's e-mail verification step, with the mode of `auth.email_verification`."""

    def handle(self):
        self.login.email_verification = account_settings.EmailVerificationMethod(
            site_settings().email_verification
        )
        return super().handle()


class SecondFactorStage(LoginStage):
    """After the password (or the provider), a user with a confirmed device enters a code.

    Until the code is accepted the visitor stays anonymous: allauth logs the user in only
    once every stage is handled. `accounts.views.login_code` completes this stage.
    """

    key = "accounts_second_factor"
    urlname = "accounts_2fa_login"

    def handle(self):
        user = self.login.user
        if user is None or not otp.has_device(user):
            return None, True
        self.state["required"] = True
        return HttpResponseRedirect(reverse(self.urlname)), True
