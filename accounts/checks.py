"""System checks of accounts: social providers without keys, sign-in methods without their
environment and SAML files (site), and our Django wiring.

Provider warnings are Warnings (a site whose provider has no keys is still served, without
that provider); wiring mistakes are Errors with the line to fix.
"""

from __future__ import annotations

import yaml
from django.conf import settings
from django.core import checks

from site_model.loader import current_site, site_dir
from site_model.spec import Problem

from . import saml

SETTINGS_FILE = "settings.yaml"

PROVIDER_WITHOUT_KEYS = "accounts.W001"
LDAP_WITHOUT_BIND_DN = "accounts.W002"
CERTIFICATES_WITHOUT_PROXIES = "accounts.W003"
SAML_FILE = "accounts.W004"
SAML_ENVIRONMENT = "accounts.W005"
SIGN_UP_REVEALS_ADDRESSES = "accounts.W006"
HINTS = {
    PROVIDER_WITHOUT_KEYS: "Set the provider's client id and secret in the environment (.env).",
    LDAP_WITHOUT_BIND_DN: "Set LDAP_BIND_DN and LDAP_BIND_PASSWORD in the environment (.env).",
    CERTIFICATES_WITHOUT_PROXIES: "List the proxy that checks certificates in TRUSTED_PROXIES.",
    SAML_FILE: "Fix the file that auth.saml names (docs/accounts.md, SAML).",
    SAML_ENVIRONMENT: "Set the SAML_SP_* variables of docs/accounts.md in the environment (.env).",
    SIGN_UP_REVEALS_ADDRESSES: "Set auth.email_verification: mandatory (or auth.signup: false).",
}


def missing_provider_keys() -> list[Problem]:
    """A problem for each provider that settings.yaml lists but the environment has no keys for.

    settings.yaml:4: provider 'google' has no keys: set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET; it is left off the login page
    """
    found = []
    configured = getattr(settings, "SOCIALACCOUNT_PROVIDERS", {})
    for name in current_site().settings.providers:
        app = configured.get(name, {}).get("APP", {})
        missing = [
            f"{name.upper()}_{suffix}"
            for key, suffix in (("client_id", "CLIENT_ID"), ("secret", "CLIENT_SECRET"))
            if not app.get(key)
        ]
        if missing:
            found.append(
                Problem(
                    SETTINGS_FILE,
                    _providers_line(),
                    f"provider '{name}' has no keys: set {' and '.join(missing)}; "
                    "it is left off the login page",
                    PROVIDER_WITHOUT_KEYS,
                )
            )
    return found


def saml_problems() -> tuple[list[Problem], list[Problem]]:
    """(problems of the site folder, warnings about the environment) for `auth.saml`.

    settings.yaml:12: auth.saml.idp.metadata_file: cannot read idp.xml: No such file or directory
    """
    config = current_site().settings.saml
    return (
        [
            Problem(SETTINGS_FILE, line, text, SAML_FILE)
            for line, text in saml.file_problems(config)
        ],
        [
            Problem(SETTINGS_FILE, line, text, SAML_ENVIRONMENT)
            for line, text in saml.environment_problems(config)
        ],
    )


def saml_config(app_configs=None, **kwargs):
    files, environment = saml_problems()
    return [_warning(problem, "auth.saml") for problem in files + environment]


def _warning(problem: Problem, obj: str) -> checks.Warning:
    return checks.Warning(str(problem), hint=HINTS[problem.check], id=problem.check, obj=obj)


def missing_sign_in_environment() -> list[Problem]:
    """Sign-in methods of settings.yaml that the environment leaves half set up.

    settings.yaml:9: auth.certificates: TRUSTED_PROXIES is empty, so no proxy's certificate headers are believed and nobody signs in by certificate
    """
    site_settings = current_site().settings
    found = []
    if site_settings.ldap is not None and not settings.LDAP_BIND_DN:
        found.append(
            Problem(
                SETTINGS_FILE,
                _auth_line("ldap"),
                "auth.ldap: LDAP_BIND_DN is not set, so the directory is searched anonymously "
                "(Active Directory refuses that): set LDAP_BIND_DN and LDAP_BIND_PASSWORD",
                LDAP_WITHOUT_BIND_DN,
            )
        )
    if site_settings.certificates is not None and not settings.TRUSTED_PROXIES:
        found.append(
            Problem(
                SETTINGS_FILE,
                _auth_line("certificates"),
                "auth.certificates: TRUSTED_PROXIES is empty, so no proxy's certificate headers "
                "are believed and nobody signs in by certificate",
                CERTIFICATES_WITHOUT_PROXIES,
            )
        )
    return found


def sign_up_reveals_addresses() -> list[Problem]:
    """Open sign-up with `email_verification: none`: a new account is signed in at once and a
    taken address refused, so sign-up answers whether an address is registered (with
    `mandatory` it does not: accounts.forms.SiteSignupForm). `optional` reveals it too, but is
    the default and the lesser evil (the address gets a link); only `none` is warned of.
    """
    site_settings = current_site().settings
    if not site_settings.signup or site_settings.email_verification != "none":
        return []
    return [
        Problem(
            SETTINGS_FILE,
            _auth_line("email_verification"),
            "auth.email_verification: none: sign-up tells whoever types an address whether an "
            "account has it (a new account is signed in at once, a taken address is refused); "
            "mandatory hides it",
            SIGN_UP_REVEALS_ADDRESSES,
        )
    ]


def _providers_line() -> int:
    """The line of `auth.providers` in settings.yaml (1 when it cannot be found)."""
    return _auth_line("providers")


def _auth_line(key: str) -> int:
    """The line of `auth.<key>` in settings.yaml (1 when it cannot be found)."""
    try:
        text = (site_dir() / SETTINGS_FILE).read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return 1
    auth = _entry(root, "auth")
    entry = _entry(auth[1], key) if auth else None
    return entry[0].start_mark.line + 1 if entry else 1


def _entry(node, name: str):
    """(key node, value node) of `name` in a YAML mapping node, or None."""
    if not isinstance(node, yaml.MappingNode):
        return None
    return next(
        ((key, value) for key, value in node.value if getattr(key, "value", None) == name), None
    )


def provider_keys(app_configs=None, **kwargs):
    return [
        *(_warning(problem, "SOCIALACCOUNT_PROVIDERS") for problem in missing_provider_keys()),
        *(_warning(problem, "settings.yaml auth") for problem in missing_sign_in_environment()),
        *(_warning(problem, "settings.yaml auth") for problem in sign_up_reveals_addresses()),
    ]


def wiring(app_configs=None, **kwargs):
    errors = []
    middleware = list(settings.MIDDLEWARE)
    ours = "accounts.middleware.SecondFactorMiddleware"
    otp_mw = "django_otp.middleware.OTPMiddleware"
    if ours not in middleware:
        errors.append(
            checks.Error(
                f"'{ours}' is not in MIDDLEWARE: auth.otp.required_for is not enforced.",
                hint=f"Add '{ours}' to MIDDLEWARE after '{otp_mw}'.",
                id="accounts.E001",
            )
        )
    elif otp_mw not in middleware or middleware.index(otp_mw) > middleware.index(ours):
        errors.append(
            checks.Error(
                f"'{otp_mw}' must come before '{ours}' in MIDDLEWARE.",
                hint=f"Put '{otp_mw}' right after AuthenticationMiddleware.",
                id="accounts.E002",
            )
        )
    certificates = "accounts.certificates.CertificateMiddleware"
    if certificates in middleware and otp_mw in middleware:
        if middleware.index(certificates) > middleware.index(otp_mw):
            errors.append(
                checks.Error(
                    f"'{certificates}' must come before '{otp_mw}' in MIDDLEWARE.",
                    hint=f"Put '{certificates}' right after AuthenticationMiddleware, so that the "
                    "second factor applies to the user a certificate signs in.",
                    id="accounts.E005",
                )
            )
    if getattr(settings, "ACCOUNT_ADAPTER", "") != "accounts.adapter.AccountAdapter":
        errors.append(
            checks.Error(
                "ACCOUNT_ADAPTER is not 'accounts.adapter.AccountAdapter': settings.yaml's "
                "auth section and the second-factor login step are not applied.",
                hint="Set ACCOUNT_ADAPTER = 'accounts.adapter.AccountAdapter'.",
                id="accounts.E003",
            )
        )
    if getattr(settings, "SOCIALACCOUNT_ADAPTER", "") != "accounts.adapter.SocialAccountAdapter":
        errors.append(
            checks.Error(
                "SOCIALACCOUNT_ADAPTER is not 'accounts.adapter.SocialAccountAdapter': "
                "auth.providers is not applied.",
                hint="Set SOCIALACCOUNT_ADAPTER = 'accounts.adapter.SocialAccountAdapter'.",
                id="accounts.E004",
            )
        )
    return errors
