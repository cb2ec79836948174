"""The audit trail: security events, written by the code that decides them, read in the admin."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class Session(AbstractBaseSession):
    """Django's database session, with the signed-in user's id copied out of its data as it is
    saved (accounts/sessions.py), so that a request reads the session and its user in one
    query (issue 21). The data stays the truth: a row whose copy disagrees with it is read
    the way Django reads it."""

    user_id = models.BigIntegerField(null=True, blank=True)

    class Meta(AbstractBaseSession.Meta):
        db_table = "accounts_session"

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore


class SecurityEvent(models.Model):
    class Kind(models.TextChoices):
        LOGIN_FAILED = "login_failed", "failed login"
        LOGIN_REFUSED = "login_refused", "login refused (too many failures)"
        SECOND_FACTOR_FAILED = "2fa_failed", "second-factor code refused"
        STEP_UP = "step_up", "second factor given again (step-up)"
        BASIC_FAILED = "basic_failed", "HTTP Basic failed"
        BASIC_REFUSED = "basic_refused", "HTTP Basic refused (too many failures)"
        TOKEN_REFUSED = "token_refused", "API token refused"
        ACCESS_REFUSED = "access_refused", "record access refused"
        TOKEN_CREATED = "token_created", "API token created"
        TOKEN_REVOKED = "token_revoked", "API token revoked"
        SHARE_GRANTED = "share_granted", "share granted"
        SHARE_REVOKED = "share_revoked", "share revoked"
        NAME_REFUSED = "name_refused", "taken name refused"
        LINK_REFUSED = "link_refused", "sign-in by e-mail into an existing account refused"
        PREVIEW = "preview", "page previewed as another user"
        PREVIEW_REFUSED = "preview_refused", "preview refused"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    # Who acted or was tried: the user when known, and the name as given (kept if the user goes).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True, db_index=True)
    address = models.CharField(max_length=64, blank=True, db_index=True)
    target = models.CharField(max_length=300, blank=True, help_text="what was asked for")
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    detail = models.TextField(blank=True)
    # Non-zero on the one row that stands for a flood (accounts/audit.py).
    suppressed = models.PositiveIntegerField(
        default=0, help_text="events like this one that were not written: over the cap"
    )

    class Meta:
        ordering = ("-at", "-id")
        indexes = [models.Index(fields=("kind", "-at"))]

    def __str__(self) -> str:
        who = self.username or "anonymous"
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()}: {who} from {self.address}"


class ApiToken(models.Model):
    """A personal API token. Only the SHA-256 of the token is stored: the token is shown once.

    Tokens are random and long, so a fast hash is enough; the password hasher would cost
    about 0.2 s per request (STYLE.md section 4).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True, default="")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        max_length=16, editable=False, help_text="The token's first characters."
    )
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "API token"
        db_table = "records_apitoken"  # made by records before tokens moved here

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or 'unnamed'}) of {self.user}"


class DirectoryAccount(models.Model):
    """A user made by (or linked to) the LDAP directory (accounts/ldap.py).

    A directory login signs in as the local user of the same name only when this link says the
    directory made that user: a local account (signed up with a password, or made by an
    administrator) is never taken over by a directory entry that happens to share its name.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="directory_account",
    )
    dn = models.CharField("distinguished name", max_length=1000)
    last_login = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.dn


class Profile(models.Model):
    """A user's values of the profile fields `settings.yaml` declares (`users.fields`), as JSON:
    field name -> value, each checked by its element's rules (accounts/profiles.py). Read with
    the user in the identity query (accounts/identity.py), never on its own per request."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="site_profile",
    )
    data = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"profile of {self.user}"


class UserLanguage(models.Model):
    """The language a signed-in user chose with the switcher (contract §13), offered again on
    their next sign-in in any browser (accounts/languages.py)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="language_choice",
    )
    language = models.CharField(max_length=16)

    def __str__(self) -> str:
        return self.language
