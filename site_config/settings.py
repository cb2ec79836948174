"""Django settings: the only module that reads the environment.

Everything configurable comes from environment variables, read with django-environ; in a
checkout they may also sit in a `.env` file (`make run` writes one with a generated
`SECRET_KEY` and `DEBUG=1`). Variables of the real environment win over the file, and
production never needs it. The defaults give a working development site on SQLite.
Production needs at least `SECRET_KEY`, `DEBUG=0` and `ALLOWED_HOSTS` (docs/deploy.md).
"""

import os
import sys
from pathlib import Path

import dj_database_url
import environ
from django.core.exceptions import ImproperlyConfigured

from site_model.texts import LANGUAGES as SHIPPED_LANGUAGES

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# `ENV_FILE` names another file. The test suite reads none, so a developer's `.env` cannot
# change what the tests see.
ENV_FILE = Path(os.environ.get("ENV_FILE") or BASE_DIR / ".env")
if "pytest" not in sys.modules and ENV_FILE.is_file():
    environ.Env.read_env(ENV_FILE)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG and "pytest" not in sys.modules:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable, "
            "or run `make run` once to write a .env file for development."
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS, under Django's own names (contract §7). Behind a proxy that ends TLS, set
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https (docs/deploy.md).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)


def proxy_ssl_header(value: list[str]) -> tuple[str, str] | None:
    """`HTTP_X_FORWARDED_PROTO,https` -> Django's (header, value) pair; empty -> None."""
    if not value:
        return None
    if len(value) != 2 or not all(part.strip() for part in value):
        raise ImproperlyConfigured(
            f"SECURE_PROXY_SSL_HEADER must be HEADER,value "
            f"(e.g. HTTP_X_FORWARDED_PROTO,https), found {','.join(value)!r}"
        )
    return (value[0].strip(), value[1].strip())


SECURE_PROXY_SSL_HEADER = proxy_ssl_header(env.list("SECURE_PROXY_SSL_HEADER", default=[]))

# The folder holding the site: settings.yaml, pages/ and apps/.
SITE_DIR = Path(env.str("SITE_DIR", default="") or BASE_DIR).resolve()

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
    # SAML 2.0 single sign-on, turned on by settings.yaml `auth.saml` (accounts/saml.py).
    "allauth.socialaccount.providers.saml",
    "accounts",
    "records",
    "records.ownership",  # row-level security: owner table and shares (issue 6)
    # Background jobs (imports) on Django's task framework, backported: `django_tasks_db`'s
    # table is the queue without Redis (TASKS below).
    "django_tasks",
    "django_tasks_db",
    "blocks",
    # No models: `web` for its management command (seed_demo), `api` for the docs page's
    # template and script.
    "web",
    "api",
    # Swagger UI's files, served by /api/docs/ from the pinned package (never a CDN).
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    # GET /health/ answers before anything else can fail it (site_config/health.py).
    "site_config.health.HealthCheckMiddleware",
    "web.middleware.OneSitePerRequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (the admin's CSS) served by the application itself after collectstatic.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # On PostgreSQL: every statement of the request tells the database its visitor (§12);
    # after WhiteNoise, so that a static file touches no database.
    "web.middleware.RowSecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, reading the session's user with their groups in one query (issue 21).
    "accounts.middleware.AuthenticationMiddleware",
    # The visitor's language: cookie, saved choice, Accept-Language, the site's default (§13).
    "site_config.languages.SiteLocaleMiddleware",
    # A sign-in's mark in a cookie that ends with the browser (accounts/stepup.py, contract §11).
    "accounts.stepup.BrowserMarkMiddleware",
    # settings.yaml `auth.certificates`: a client certificate verified by a trusted TLS proxy.
    "accounts.certificates.CertificateMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "web.middleware.SiteGroupsMiddleware",
    # context.app.log() of code run before a redirect, kept for the page after it.
    "blocks.console.ConsoleLogMiddleware",
]

ROOT_URLCONF = "site_config.urls"
WSGI_APPLICATION = "site_config.wsgi.application"

# The site's own templates (SITE_DIR/templates/) come first: a site may replace base.html and
# the account pages (site_model/assets.py). In development every request reads the files, so
# an edit shows on the next one; in production they are compiled once (Django's cached loader).
TEMPLATE_LOADERS = [
    "site_model.assets.SiteTemplateLoader",
    "django.template.loaders.filesystem.Loader",
    "django.template.loaders.app_directories.Loader",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "loaders": TEMPLATE_LOADERS
            if DEBUG
            else [("django.template.loaders.cached.Loader", TEMPLATE_LOADERS)],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context_processors.site",
            ],
        },
    },
]

# The JSON API on Django REST framework (api/framework.py): JSON only, whatever the
# client's Accept or Content-Type; the header schemes before the session; one permission class
# asking the access gate; one exception handler writing `{"error": ...}` and the audit trail.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.auth.HeaderAuthentication",
        "api.auth.CookieAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.framework.GatePermission"],
    "DEFAULT_PARSER_CLASSES": ["api.framework.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["api.framework.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.framework.JSONOnly",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "URL_FORMAT_OVERRIDE": None,
}

_database_url = env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        _database_url,
        # Kept on PostgreSQL: a new connection pays 10-15 ms for the row-level security
        # policies' first use (docs/deploy.md), which a request per connection would pay.
        conn_max_age=env.int(
            "CONN_MAX_AGE", default=60 if _database_url.startswith("postgres") else 0
        ),
        # A kept connection that the server dropped (a restart) is replaced before it is used.
        conn_health_checks=env.bool("CONN_HEALTH_CHECKS", default=True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite as a real embedded database (contract §7, "Size and load"): in WAL mode readers
    # never wait for the writer; each transaction takes the write lock as it begins
    # (IMMEDIATE), so concurrent writers queue for up to SQLITE_TIMEOUT seconds instead of
    # failing with "database is locked" when a read turns into a write; whatever still fails
    # answers 503 with Retry-After (site_config/errors.py, api/views.py).
    # Django's backend, and SQLite's `PRAGMA optimize` before a connection closes (issue 21).
    DATABASES["default"]["ENGINE"] = "site_config.sqlite"
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_TIMEOUT", default=20),
        **DATABASES["default"].get("OPTIONS", {}),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, telling every transaction who is asking (row-level security, §12).
    DATABASES["default"]["ENGINE"] = "site_config.postgresql"
    # `migrate` and `reporting_role` as the role owning the tables, when the site runs as
    # another (docs/deploy.md "Row-level security"); without it the one role does both.
    if env.str("DATABASE_OWNER_URL", default=""):
        DATABASES["owner"] = dj_database_url.parse(env.str("DATABASE_OWNER_URL"))
        DATABASES["owner"]["ENGINE"] = "site_config.postgresql"
        DATABASES["owner"]["TEST"] = {"MIRROR": "default"}
        if sys.argv[1:2] == ["migrate"]:  # `manage.py migrate`: the owner makes the tables
            DATABASES["default"] = DATABASES["owner"]
# Off: PostgreSQL's policies see every caller as trusted (the Python gate alone decides, as on
# SQLite). `check --deploy` warns about it (records.W001).
DATABASE_ROW_SECURITY = env.bool("DATABASE_ROW_SECURITY", default=True)
# On PostgreSQL the reads every request makes (the session's or token's user with their
# identity, one record) are prepared statements, planned once per kept connection (accounts/rows.py,
# issue 21). Turn off behind a pooler that cannot keep them (PgBouncer before 1.21, or without
# `max_prepared_statements`, in transaction mode).
PREPARED_READS = env.bool("PREPARED_READS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache holds the password and second-factor limits (contract §7), so in production every
# process must share it: Redis when REDIS_URL is set, else a table of the database (created by
# `migrate`, accounts migration 0005) that every worker of the machine reads. Development keeps
# Django's per-process memory cache (one runserver process), and so does the test suite: most
# tests touch no database, and each starts with a cleared cache (conftest.py).
REDIS_URL = env.str("REDIS_URL", default="")
SHARED_CACHE_TABLE = "site_cache"
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
elif not DEBUG and "pytest" not in sys.modules:
    CACHES = {
        "default": {
            "BACKEND": "site_config.cache.SharedDatabaseCache",
            "LOCATION": SHARED_CACHE_TABLE,
            # Django culls a third of the entries past MAX_ENTRIES (300 by default): whoever
            # filled the cache with failures against many accounts would wipe other counts.
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        }
    }

# Background jobs (records/tasks.py: imports) on django-tasks, the backport of Django 6's
# `django.tasks`. With Redis (REDIS_URL) the queue is RQ on it, and `manage.py jobs_worker`
# runs RQ's worker; without, the queue is a table of the database (one machine, SQLite too),
# worked by the same command. The test suite runs each job as it is enqueued (tests/deploy
# runs real workers as their own processes).
if "pytest" in sys.modules:
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
elif REDIS_URL:
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Imports (contract §9): the largest file, the most rows, the largest row (a 10 MB row or two
# million rows are refused with a message, not read into memory first).
IMPORT_MAX_BYTES = int(env.float("IMPORT_MAX_MB", default=100) * 2**20)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=1_000_000)
IMPORT_MAX_ROW_BYTES = int(env.float("IMPORT_MAX_ROW_KB", default=1024) * 2**10)

# Addresses or networks of the reverse proxies in front of the site (comma-separated): only a
# request from one of them may name the client in X-Forwarded-For (accounts/network.py).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# The audit trail (accounts/audit.py): at most this many rows a minute of one kind of refusal
# from one source (a user, else a client address), the rest counted in the cache and written
# as one row; 0 writes every event. `manage.py prune_security_events` keeps this many days.
SECURITY_EVENTS_PER_MINUTE = env.int("SECURITY_EVENTS_PER_MINUTE", default=30)
SECURITY_EVENTS_KEEP_DAYS = env.int("SECURITY_EVENTS_KEEP_DAYS", default=90)
# Record history (contract §9): versions and deleted records older than this are pruned by
# `manage.py prune_history`.
HISTORY_KEEP_DAYS = env.int("HISTORY_KEEP_DAYS", default=365)

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    # settings.yaml `auth.ldap` (accounts/ldap.py); answers None while that is not set.
    "accounts.ldap.SiteLDAPBackend",
    # A client certificate verified by the TLS proxy (accounts/certificates.py).
    "accounts.certificates.CertificateBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# LDAP / Active Directory (docs/accounts.md): the account that searches the directory (empty:
# an anonymous search), the CA that signed the directory's TLS certificate (StartTLS, ldaps://;
# empty: the system's), and how long the directory may take to answer, in seconds.
LDAP_BIND_DN = env.str("LDAP_BIND_DN", default="")
LDAP_BIND_PASSWORD = env.str("LDAP_BIND_PASSWORD", default="")
LDAP_CA_FILE = env.str("LDAP_CA_FILE", default="")
LDAP_TIMEOUT = env.int("LDAP_TIMEOUT", default=10)
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
ACCOUNT_FORMS = {"signup": "accounts.forms.SiteSignupForm"}
ACCOUNT_SESSION_REMEMBER = None  # the login form's "remember" checkbox decides
ACCOUNT_LOGOUT_ON_GET = False
# Failed password checks, of the login form and HTTP Basic alike (accounts/passwords.py): 5 per
# account in 5 minutes, 10 per client address a minute; counted in the cache (shared between
# processes: see CACHES). allauth's other limits keep their defaults.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
SOCIALACCOUNT_ADAPTER = "accounts.adapter.SocialAccountAdapter"
# A social login whose provider vouches for the e-mail signs in the user who has it, where
# settings.yaml trusts that provider for the address's domain and never into a superuser or a
# user with a second factor (accounts.adapter.SocialAccountAdapter.authenticate_by_email).
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
# Wrong second-factor codes are limited by accounts.otp (per user and per address, with a
# message saying how long to wait) instead of django-otp's per-device back-off.
OTP_TOTP_THROTTLE_FACTOR = 0


def otp_issuer(device) -> str:
    """The issuer an authenticator app shows: the site's title (settings.yaml), read when a
    QR code is made. Settings cannot import the site model at load time, hence the import here."""
    from site_model.loader import current_site

    return current_site().settings.title


OTP_TOTP_ISSUER = otp_issuer
OTP_STATIC_THROTTLE_FACTOR = 0
SOCIALACCOUNT_PROVIDERS = {
    "google": {
        "APP": {
            "client_id": env.str("GOOGLE_CLIENT_ID", default=""),
            "secret": env.str("GOOGLE_CLIENT_SECRET", default=""),
        },
        "SCOPE": ["profile", "email"],
    },
    "facebook": {
        "APP": {
            "client_id": env.str("FACEBOOK_CLIENT_ID", default=""),
            "secret": env.str("FACEBOOK_CLIENT_SECRET", default=""),
        },
    },
    "microsoft": {
        "APP": {
            "client_id": env.str("MICROSOFT_CLIENT_ID", default=""),
            "secret": env.str("MICROSOFT_CLIENT_SECRET", default=""),
        },
        "TENANT": env.str("MICROSOFT_TENANT", default="common"),
    },
}


def pem_from_env(name: str) -> str:
    """A PEM key or certificate: the variable NAME itself, or the file named by NAME_FILE."""
    value = env.str(name, default="", multiline=True)
    path = env.str(f"{name}_FILE", default="")
    if value and path:
        raise ImproperlyConfigured(f"set {name} or {name}_FILE, not both")
    if path:
        try:
            return Path(path).read_text(encoding="ascii").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}: {exc}") from exc
    return value.strip()


# SAML (settings.yaml `auth.saml`, docs/accounts.md): the service provider's own key and
# certificate, optional. With both, requests to the IdP are signed and the SP metadata carries
# the certificate (for the IdP to check them, or to encrypt assertions to the site).
SAML_SP_PRIVATE_KEY = pem_from_env("SAML_SP_PRIVATE_KEY")
SAML_SP_X509CERT = pem_from_env("SAML_SP_X509CERT")
# Seconds the IdP's `metadata_url` may take to answer; past it, SAML sign-in answers 503.
SAML_METADATA_TIMEOUT = env.float("SAML_METADATA_TIMEOUT", default=5)

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
# Seconds an SMTP exchange may take: a mail server that does not answer fails the sending
# (logged, the visitor asked to try again: accounts/mail.py) instead of holding the worker.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# EMAIL_URL's schemes as docs/accounts.md gives them -> django-environ's scheme and the port
# to use when the URL names none.
EMAIL_URL_SCHEMES = {
    "smtp": ("smtp", 25),
    "submission": ("smtp+tls", 587),  # STARTTLS
    "smtp+tls": ("smtp+tls", 587),
    "smtps": ("smtp+ssl", 465),  # SSL from the first byte
    "smtp+ssl": ("smtp+ssl", 465),
    "console": ("consolemail", None),
}


def email_from_url(url: str) -> dict:
    """EMAIL_URL -> Django's EMAIL_* settings, parsed by django-environ.

    smtp://user:pass@host:25, submission://user:pass@host (port 587, STARTTLS),
    smtp+tls://... (STARTTLS), smtps://... (SSL, port 465), console:// (print mail).
    """
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in EMAIL_URL_SCHEMES:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme '{scheme}' is not supported; use {', '.join(EMAIL_URL_SCHEMES)}"
        )
    environ_scheme, default_port = EMAIL_URL_SCHEMES[scheme.lower()]
    parsed = environ.Env.email_url_config(f"{environ_scheme}://{rest}")
    if environ_scheme == "consolemail":
        return {"EMAIL_BACKEND": parsed["EMAIL_BACKEND"]}
    return {
        "EMAIL_BACKEND": parsed["EMAIL_BACKEND"],
        "EMAIL_HOST": parsed["EMAIL_HOST"] or "localhost",
        "EMAIL_PORT": parsed["EMAIL_PORT"] or default_port,
        "EMAIL_HOST_USER": parsed["EMAIL_HOST_USER"] or "",
        "EMAIL_HOST_PASSWORD": parsed["EMAIL_HOST_PASSWORD"] or "",
        "EMAIL_USE_TLS": parsed.get("EMAIL_USE_TLS", False),
        "EMAIL_USE_SSL": parsed.get("EMAIL_USE_SSL", False),
    }


if env.str("EMAIL_URL", default=""):
    globals().update(email_from_url(env.str("EMAIL_URL")))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="webmaster@localhost")

# Django's database sessions, read without the ORM (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"

LANGUAGE_CODE = "en"
# The languages the project ships its texts in; a site picks among them (settings.yaml
# `languages`, contract §13). Django's and allauth's own catalogues are used for them too.
LANGUAGES = list(SHIPPED_LANGUAGES.items())
LANGUAGE_COOKIE_NAME = "language"
# The site's own catalogues (SITE_DIR/locale/, for its layouts' {% translate %}) before ours.
LOCALE_PATHS = list(dict.fromkeys([SITE_DIR / "locale", BASE_DIR / "locale"]))
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The site's SITE_DIR/static/ before the apps' own static/ folders (blocks/static/blocks/ holds
# the default favicon): served by WhiteNoise from the source folders in development, from
# STATIC_ROOT after collectstatic.
STATICFILES_FINDERS = [
    "site_model.assets.SiteStaticFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default="") or BASE_DIR / "staticfiles")
# Uploads of FILE elements (Django's default storage). Never served as static files: only the
# record route files/<element>/ serves one, to those who may read its record.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default="") or BASE_DIR / "uploads")
# The largest file a FILE element takes (the proxy in front should allow at least this much).
MAX_UPLOAD_BYTES = int(env.float("MAX_UPLOAD_MB", default=10) * 2**20)
# What one user's uploads may hold in all (anonymous visitors share one such allowance).
MAX_UPLOADS_BYTES_PER_USER = int(env.float("MAX_UPLOADS_MB_PER_USER", default=200) * 2**20)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed (gzip, brotli when installed) and cache-busted names (base.a1b2c3.css), served
    # with a far-future expiry. With DEBUG=0 it needs `manage.py collectstatic` first.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Plain text lines on standard error, one record each (a traceback follows its line): every
# server error (django.request, with its traceback), the site's own loggers and warnings of
# Django. gunicorn and systemd/journald collect standard error as it is (docs/deploy.md).
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
DJANGO_LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [pid %(process)d] %(message)s"}
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "plain",
        }
    },
    "loggers": {
        "django": {"handlers": ["stderr"], "level": DJANGO_LOG_LEVEL},
        "site_config": {"handlers": ["stderr"], "level": LOG_LEVEL},
        # One logger per package of the layers (docs/architecture.md), named as the package.
        "web": {"handlers": ["stderr"], "level": LOG_LEVEL},
        "api": {"handlers": ["stderr"], "level": LOG_LEVEL},
        "blocks": {"handlers": ["stderr"], "level": LOG_LEVEL},
        "records": {"handlers": ["stderr"], "level": LOG_LEVEL},
        "accounts": {"handlers": ["stderr"], "level": LOG_LEVEL},
        "site_model": {"handlers": ["stderr"], "level": LOG_LEVEL},
    },
}
