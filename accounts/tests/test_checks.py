"""System checks of the Django wiring that accounts needs."""

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
