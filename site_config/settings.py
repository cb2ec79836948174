"""Django settings: the only module that reads the environment.

Everything configurable comes from environment variables; the defaults give a working
development site on SQLite (`make run`). Production needs at least `SECRET_KEY`,
`DEBUG=0` and `ALLOWED_HOSTS`.
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and "pytest" not in sys.modules:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable, "
            "or DEBUG=1 for a development server."
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The folder holding the site: settings.yaml, pages/ and apps/.
SITE_DIR = Path(os.environ.get("SITE_DIR") or BASE_DIR).resolve()

INSTALLED_APPS = [
    # The admin at /admin/, behind a verified second factor (accounts.adminsite).
    "accounts.apps.SiteAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "guardian",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.facebook",
    "allauth.socialaccount.providers.microsoft",
    "accounts",
    "records",
    "records.ownership",  # row-level security: owner table and shares (issue 6)
    "blocks",
]

MIDDLEWARE = [
    "blocks.pages.middleware.OneSitePerRequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "blocks.pages.middleware.SiteGroupsMiddleware",
]

ROOT_URLCONF = "site_config.urls"
WSGI_APPLICATION = "site_config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "blocks.pages.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }

# Addresses or networks of the reverse proxies in front of the site (comma-separated): only a
# request from one of them may name the client in X-Forwarded-For (accounts/network.py).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# django-allauth: login by user name or e-mail; the site's settings.yaml decides sign-up
# and verification through accounts.adapter.
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_SESSION_REMEMBER = None  # the login form's "remember" checkbox decides
ACCOUNT_LOGOUT_ON_GET = False
# Failed password checks, of the login form and HTTP Basic alike (accounts/passwords.py): 5 per
# account in 5 minutes, 10 per client address a minute; counted in the cache (Redis between
# processes). allauth's other limits keep their defaults.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
SOCIALACCOUNT_ADAPTER = "accounts.adapter.SocialAccountAdapter"
# A social login whose provider vouches for the e-mail signs in the user who has it.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
# Wrong second-factor codes are limited by accounts.otp (per user and per address, with a
# message saying how long to wait) instead of django-otp's per-device back-off.
OTP_TOTP_THROTTLE_FACTOR = 0


def otp_issuer(device) -> str:
    """The issuer an authenticator app shows: the site's title (settings.yaml), read when a
    QR code is made. Settings cannot import the site model at load time, hence the import here."""
    from blocks.site.loader import current_site

    return current_site().settings.title


OTP_TOTP_ISSUER = otp_issuer
OTP_STATIC_THROTTLE_FACTOR = 0
SOCIALACCOUNT_PROVIDERS = {
    "google": {
        "APP": {
            "client_id": os.environ.get("GOOGLE_CLIENT_ID", ""),
            "secret": os.environ.get("GOOGLE_CLIENT_SECRET", ""),
        },
        "SCOPE": ["profile", "email"],
    },
    "facebook": {
        "APP": {
            "client_id": os.environ.get("FACEBOOK_CLIENT_ID", ""),
            "secret": os.environ.get("FACEBOOK_CLIENT_SECRET", ""),
        },
    },
    "microsoft": {
        "APP": {
            "client_id": os.environ.get("MICROSOFT_CLIENT_ID", ""),
            "secret": os.environ.get("MICROSOFT_CLIENT_SECRET", ""),
        },
        "TENANT": os.environ.get("MICROSOFT_TENANT", "common"),
    },
}

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)


def email_from_url(url: str) -> dict:
    """EMAIL_URL -> Django's EMAIL_* settings.

    smtp://user:pass@host:25, submission://user:pass@host (port 587, STARTTLS),
    smtp+tls://... (STARTTLS), smtps://... (SSL, port 465), console:// (print mail).
    """
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme not in {"smtp", "smtp+tls", "submission", "smtps", "smtp+ssl"}:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme '{parts.scheme}' is not supported; "
            "use smtp, smtp+tls, submission, smtps or console"
        )
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    use_ssl = scheme in {"smtps", "smtp+ssl"} or query.get("ssl") in {"1", "true", "yes"}
    use_tls = scheme in {"smtp+tls", "submission"} or query.get("tls") in {"1", "true", "yes"}
    default_port = 465 if use_ssl else 587 if scheme == "submission" else 25
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or default_port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls and not use_ssl,
        "EMAIL_USE_SSL": use_ssl,
    }


if os.environ.get("EMAIL_URL"):
    globals().update(email_from_url(os.environ["EMAIL_URL"]))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")

SESSION_ENGINE = "django.contrib.sessions.backends.db"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "blocks": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
        "records": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
        "accounts": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    },
}
