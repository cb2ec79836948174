"""The login method a session records, and `auth.otp.trusted_methods` (accounts.otp)."""

from types import SimpleNamespace

from django.contrib.auth import BACKEND_SESSION_KEY

from accounts import otp


def test_a_recorded_method_counts_only_with_its_backend():
    session = {
        otp.LOGIN_METHOD_SESSION_KEY: "ldap",
        BACKEND_SESSION_KEY: "accounts.ldap.SiteLDAPBackend",
    }
    assert otp.login_method_of(SimpleNamespace(session=session)) == "ldap"
    # Signed in again by password, same user: the session's data stays, the method does not.
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    assert otp.login_method_of(SimpleNamespace(session=session)) == ""
    assert otp.login_method_of(SimpleNamespace(session={})) == ""


def test_only_listed_methods_are_trusted(site_dir):
    site_dir.write("settings.yaml", "auth:\n  otp:\n    trusted_methods: [certificate]\n")
    assert otp.login_method_trusted("certificate")
    assert not otp.login_method_trusted("ldap")
    assert not otp.login_method_trusted("")
