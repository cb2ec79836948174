"""allauth adapters: the site's policy for accounts, read from settings.yaml on each request.

- sign-up is open when `auth.signup` is true (social sign-up too);
- a user name may not be one the site already uses (accounts.names: users, groups, roles,
  `*`, `authenticated`, e-mails, owner values and `_author` of records), compared after NFKC
  and case folding, and is stored NFKC-normalised (`clean_username`; allauth calls it for the
  sign-up forms and for the user names it generates at social sign-up, invites.py calls it
  too; `populate_username` normalises a name a provider gave);
- e-mail verification follows `auth.email_verification` (the login stage below sets it on
  every login, sign-up and social login, so allauth's own setting does not matter);
- a social provider shows on the login page when `auth.providers` lists it and its keys are
  set in the environment;
- SAML single sign-on appears when `auth.saml` is set (accounts/saml.py builds its app);
  its logins refresh the user's mapped groups, and refused responses are audited;
- a social or SAML sign-in whose verified e-mail address belongs to an existing account signs
  into it only where settings.yaml trusts that provider for the address's domain
  (`auth.link_domains`, `auth.saml.link_domains`), and never into a superuser or an account
  with a second factor (`link_refusal`): an identity provider cannot take over local accounts.
  Otherwise the visitor is told to sign in with their password and connect the provider from
  their account page, and the refusal goes to the audit trail;
- a user with a second factor enters a code before the login counts (`SecondFactorStage`),
  unless the login was made by a method `auth.otp.trusted_methods` names (accounts/otp.py);
- failed passwords count against the limit HTTP Basic shares (accounts/passwords.py), keyed
  by every account the login names whatever the Host header, and by the client address
  through trusted proxies; a right password is refused while its own account is locked.
"""

from __future__ import annotations

import logging

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.auth_backends import AuthenticationBackend
from allauth.account.stages import EmailVerificationStage, LoginStage
from allauth.account.utils import user_username
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base.constants import AuthError
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy

from site_model.loader import current_site

from . import audit, names, network, otp, passwords, saml
from .mail import MailNotSent

logger = logging.getLogger("accounts")

EMAIL_VERIFICATION_STAGE = "allauth.account.stages.EmailVerificationStage"


def site_settings():
    return current_site().settings


def provider_has_keys(app) -> bool:
    """A SocialApp is usable only with both its client id and its secret."""
    return bool(app.client_id) and bool(app.secret)


def login_method_of(signal_kwargs: dict | None, user) -> str:
    """How an allauth login is made, for `auth.otp.trusted_methods`: the provider of a social
    login ("saml", "google", ...), else the method of the backend that accepted the password
    ("ldap": accounts.otp.BACKEND_METHODS), else ""."""
    sociallogin = (signal_kwargs or {}).get("sociallogin")
    if sociallogin is not None:
        return sociallogin.account.provider
    return otp.login_method_of_user(user)


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": gettext_lazy(
            "Too many failed login attempts. Wait a few minutes and try again."
        ),
        "username_taken": names.TAKEN,
    }

    def clean_username(self, username: str, shallow: bool = False) -> str:
        """`username` NFKC-normalised, or ValidationError when the site already uses it.

        Also when `shallow`: allauth checks the user names it generates that way (those
        refusals are not audited: a program tries one name after another). allauth's own
        lookup of users is left out: accounts.names looks them up, folded.
        """
        username = super().clean_username(names.normalize(username), shallow=True)
        try:
            return names.name_check(username, request=self.request, record_refusal=not shallow)
        except ValidationError:
            raise self.validation_error("username_taken") from None

    def populate_username(self, request, user) -> None:
        # A provider's user name is kept as given (after clean_username accepted it): store it
        # normalised like every other.
        given = user_username(user)
        if given:
            user_username(user, names.normalize(given))
        super().populate_username(request, user)

    def is_open_for_signup(self, request) -> bool:
        return site_settings().signup

    def post_login(self, request, user, **kwargs):
        # After django.contrib.auth.login: a social login (SAML) records its method in the
        # session; a password login keeps the method its backend recorded (LDAP) or none, so a
        # session never inherits an earlier login's method (accounts.otp).
        sociallogin = (kwargs.get("signal_kwargs") or {}).get("sociallogin")
        if sociallogin is not None:
            otp.record_login_method(request, sociallogin.account.provider)
        elif otp.login_method_of(request) not in otp.BACKEND_METHODS.values():
            otp.forget_login_method(request)
        logger.info(
            "user %s signed in (%s)",
            user.get_username(),
            otp.login_method_of(request) or "password",
        )
        return super().post_login(request, user, **kwargs)

    def get_login_stages(self) -> list[str]:
        stages = [
            "accounts.adapter.SiteEmailVerificationStage"
            if path == EMAIL_VERIFICATION_STAGE
            else path
            for path in super().get_login_stages()
        ]
        return [*stages, "accounts.adapter.SecondFactorStage"]

    # The password limit (accounts/passwords.py), shared with HTTP Basic.

    def pre_authenticate(self, request, **credentials) -> None:
        login = passwords.login_of(credentials)
        # allauth's own would skip the limit for a GET, and key it by the Host header and the
        # login as typed; ours counts against every account the login names, as Basic does.
        self._login_failed_rl_usage = passwords.reserve(request, passwords.account_keys(login))
        if not self._login_failed_rl_usage:
            passwords.record_refusal(request, login, kind=audit.Kind.LOGIN_REFUSED)
            raise self.validation_error("too_many_login_attempts")

    def authenticate(self, request, **credentials):
        """allauth's (65.21: `pre_authenticate`, the backends, the stash of an inactive user),
        with one more step: a right password is refused while the account it authenticated
        has no attempt left, whatever name reached it."""
        self.pre_authenticate(request, **credentials)
        AuthenticationBackend.unstash_authenticated_user()
        user = authenticate(request, **credentials)
        user = user or AuthenticationBackend.unstash_authenticated_user()
        attempt = self._login_failed_rl_usage
        if user is None:
            self.authentication_failed(request, **credentials)
            return None
        if not passwords.own_count_left(attempt, user):
            login = passwords.login_of(credentials)
            passwords.record_refusal(request, login, kind=audit.Kind.LOGIN_REFUSED)
            raise self.validation_error("too_many_login_attempts")
        attempt.give_back()
        return user

    def authentication_failed(self, request, **credentials) -> None:
        passwords.record_failure(
            request, passwords.login_of(credentials), kind=audit.Kind.LOGIN_FAILED
        )

    def _delete_login_attempts_cached_email(self, request, **credentials) -> None:
        # allauth calls this after a password reset for each address of the user, to forget
        # their failures; an address may log in other users too (one added it unverified),
        # whose counts must stay. `passwords.clear_after_reset` clears the user's own.
        pass

    def get_client_ip(self, request) -> str:
        # Every limit of allauth keyed by address: through the proxies the site trusts.
        return network.client_address(request)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's sending, with a failure logged and raised as `MailNotSent` (accounts/mail.py)."""
        try:
            super().send_mail(template_prefix, email, context)
        except OSError as exc:  # smtplib.SMTPException, refused or timed-out connections
            logger.error("could not send %s to %s", template_prefix, email, exc_info=True)
            raise MailNotSent(f"could not send {template_prefix} to {email}") from exc


# allauth refuses two SAML answers without a reason: a response to no request of ours
# (IdP-initiated, refused unless `auth.saml.idp_initiated`) and a lost ACS session.
_UNEXPLAINED = {
    AuthError.UNKNOWN: "response refused: unsolicited (IdP-initiated), or its ACS session was lost"
}


def link_domains(provider: str) -> tuple[str, ...]:
    """The e-mail domains settings.yaml trusts `provider` for, to sign into existing accounts."""
    site = site_settings()
    if provider == saml.PROVIDER:
        return site.saml.link_domains if site.saml is not None else ()
    return site.link_domains.get(provider, ())


def link_refusal(provider: str, user, email: str) -> str:
    """Why a sign-in with `provider`, whose verified address is `email`, may not sign into
    `user`, the existing account holding that address; "" when it may."""
    domain = email.rpartition("@")[2].lower()
    if domain not in link_domains(provider):
        return f"'{provider}' is not trusted for {domain} (link_domains)"
    if user.is_superuser:
        return "the account is a superuser"
    if otp.has_device(user):
        return "the account has a second factor"
    return ""


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
        apps = [
            app
            for app in super().list_apps(request, provider=provider, client_id=client_id)
            if app.provider in listed and provider_has_keys(app)
        ]
        # SAML: the one app of settings.yaml `auth.saml` (stored SocialApps are ignored).
        if provider in (None, saml.PROVIDER):
            app = saml.app_for(site_settings().saml)
            if app is not None and client_id in (None, app.client_id):
                apps.append(app)
        return apps

    def is_open_for_signup(self, request, sociallogin) -> bool:
        if sociallogin.account.provider == saml.PROVIDER:
            return site_settings().saml is not None and site_settings().saml.signup
        return super().is_open_for_signup(request, sociallogin)

    def pre_social_login(self, request, sociallogin) -> None:
        # A known SAML user: the groups of this assertion, before the login stages ask
        # `auth.otp.required_for` about them. A new one gets them in save_user.
        if sociallogin.account.provider == saml.PROVIDER and sociallogin.is_existing:
            self._sync_saml_groups(request, sociallogin)
        super().pre_social_login(request, sociallogin)

    def authenticate_by_email(self, sociallogin):
        """allauth's sign-in into the existing account of a verified address, where allowed."""
        found = super().authenticate_by_email(sociallogin)
        if found is None:
            return None
        user, email = found
        provider = sociallogin.account.provider
        reason = link_refusal(provider, user, email)
        if reason:
            request = allauth_context.request
            audit.record(
                audit.Kind.LINK_REFUSED,
                request=request,
                user=user,
                target=provider,
                status=403,
                detail=f"{provider} sign-in as {email}: {reason}",
            )
            raise ImmediateHttpResponse(
                render(
                    request,
                    "socialaccount/link_refused.html",
                    {"provider_name": sociallogin.provider.name},
                    status=403,
                )
            )
        return found

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form=form)
        if sociallogin.account.provider == saml.PROVIDER:
            self._sync_saml_groups(request, sociallogin)
        return user

    def _sync_saml_groups(self, request, sociallogin) -> None:
        config = site_settings().saml
        if config is not None:
            saml.sync_groups(
                sociallogin.user, sociallogin.account.extra_data, config, request=request
            )

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ):
        if getattr(provider, "id", None) == saml.PROVIDER:
            context = extra_context or {}
            reason = context.get("saml_last_error_reason") or ", ".join(
                context.get("saml_errors") or ()
            )
            saml.record_refusal(
                request, reason or _UNEXPLAINED.get(error, f"response refused ({error})")
            )
        return super().on_authentication_error(
            request, provider, error=error, exception=exception, extra_context=extra_context
        )


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
        if otp.login_method_trusted(login_method_of(self.login.signal_kwargs, user)):
            return None, True  # settings.yaml auth.otp.trusted_methods
        self.state["required"] = True
        return HttpResponseRedirect(reverse(self.urlname)), True
