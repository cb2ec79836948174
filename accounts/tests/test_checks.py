"""System checks of the Django wiring that accounts needs."""

import pytest
from django.test import override_settings

from accounts.checks import wiring

OTP = "django_otp.middleware.OTPMiddleware"
OURS = "accounts.middleware.SecondFactorMiddleware"


def test_the_project_wiring_passes():
    assert wiring() == []


def test_missing_middleware_is_an_error(settings):
    with override_settings(MIDDLEWARE=[m for m in settings.MIDDLEWARE if m != OURS]):
        assert [(e.id, e.msg, e.hint) for e in wiring()] == [
            (
                "accounts.E001",
                f"'{OURS}' is not in MIDDLEWARE: auth.otp.required_for is not enforced.",
                f"Add '{OURS}' to MIDDLEWARE after '{OTP}'.",
            )
        ]


def test_middleware_before_otp_is_an_error(settings):
    order = [m for m in settings.MIDDLEWARE if m != OURS]
    order.insert(order.index(OTP), OURS)
    with override_settings(MIDDLEWARE=order):
        assert [e.id for e in wiring()] == ["accounts.E002"]


def test_other_adapters_are_errors():
    with override_settings(ACCOUNT_ADAPTER="x.Adapter", SOCIALACCOUNT_ADAPTER="y.Adapter"):
        assert [e.id for e in wiring()] == ["accounts.E003", "accounts.E004"]


def test_certificate_middleware_after_otp_is_an_error(settings):
    certificates = "accounts.certificates.CertificateMiddleware"
    order = [m for m in settings.MIDDLEWARE if m != certificates]
    order.insert(order.index(OTP) + 1, certificates)
    with override_settings(MIDDLEWARE=order):
        assert [e.id for e in wiring()] == ["accounts.E005"]


def test_sign_in_methods_without_their_environment_are_warnings(site_dir, settings, capsys):
    from django.core.management import call_command

    from accounts.checks import provider_keys

    settings.LDAP_BIND_DN = ""
    settings.TRUSTED_PROXIES = []
    site_dir.write(
        "settings.yaml",
        """
        auth:
          ldap:
            server: ldap://dc1
            user_search: {base: "OU=Staff", filter: "(uid=%(user)s)"}
          certificates: {email: true}
        """,
    )
    ldap_line = (
        "settings.yaml:2: auth.ldap: LDAP_BIND_DN is not set, so the directory is searched "
        "anonymously (Active Directory refuses that): set LDAP_BIND_DN and LDAP_BIND_PASSWORD"
    )
    certificates_line = (
        "settings.yaml:5: auth.certificates: TRUSTED_PROXIES is empty, so no proxy's "
        "certificate headers are believed and nobody signs in by certificate"
    )
    assert [(w.id, w.msg) for w in provider_keys()] == [
        ("accounts.W002", ldap_line),
        ("accounts.W003", certificates_line),
    ]
    call_command("check_site")
    assert capsys.readouterr().err.splitlines()[:2] == [
        f"warning: {ldap_line}",
        f"warning: {certificates_line}",
    ]
    settings.LDAP_BIND_DN = "CN=reader,DC=corp"
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert provider_keys() == []


NONE_WARNING = (
    "settings.yaml:4: auth.email_verification: none: sign-up tells whoever types an address "
    "whether an account has it (a new account is signed in at once, a taken address is "
    "refused); mandatory hides it"
)


@pytest.mark.parametrize(
    ("signup", "mode", "warned"),
    [("true", "none", True), ("false", "none", False), ("true", "mandatory", False)],
)
def test_check_site_warns_that_sign_up_without_verification_reveals_addresses(
    site_dir, capsys, signup, mode, warned
):
    from django.core.management import call_command

    from accounts.checks import provider_keys

    site_dir.write(
        "settings.yaml", f"title: T\nauth:\n  signup: {signup}\n  email_verification: {mode}\n"
    )
    call_command("check_site")
    lines = capsys.readouterr().err.splitlines()
    assert (f"warning: {NONE_WARNING}" in lines) is warned
    assert (("accounts.W006", NONE_WARNING) in [(w.id, w.msg) for w in provider_keys()]) is warned
