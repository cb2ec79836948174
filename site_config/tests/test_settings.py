"""site_config/settings.py: helpers that read the environment, and the logging of every package."""

from pathlib import Path

from django.conf import settings

from site_config.settings import email_from_url

ROOT = Path(__file__).resolve().parents[2]


def test_email_url_parsing():
    assert email_from_url("submission://me%40x.org:s%3Acret@mail.x.org") == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.x.org",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "me@x.org",
        "EMAIL_HOST_PASSWORD": "s:cret",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
    }
    assert email_from_url("smtps://u:p@h")["EMAIL_PORT"] == 465
    assert email_from_url("smtps://u:p@h")["EMAIL_USE_SSL"] is True
    assert email_from_url("smtp://h:2525")["EMAIL_PORT"] == 2525
    assert email_from_url("console://") == {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"
    }


def test_every_package_logs_to_stderr():
    """A module's logger (`logging.getLogger(__name__)`) reaches the handler whatever package of
    the layers it lives in."""
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert packages <= set(settings.LOGGING["loggers"])
