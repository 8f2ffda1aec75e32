"""
Settings for the CRM site, read from the environment.

One module serves development, tests and production; the README lists every
variable. Each setting is declared once; the environment is read through
environs, which names the variable when its value does not parse.
"""

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from environs import Env
from marshmallow.validate import Length

env = Env()

BASE_DIR = Path(__file__).resolve().parent.parent
# Where the site keeps its local state: the SQLite database, the development
# secret key, collected static files. Ignored by git.
VAR_DIR = env.path("DJANGO_VAR_DIR", BASE_DIR / "var")

DEBUG = env.bool("DJANGO_DEBUG", False)
# The toolbar is a development aid: on only with debug, and switched off for
# the test suite through DJANGO_DEBUG_TOOLBAR=0 (see pyproject.toml).
DEBUG_TOOLBAR = DEBUG and env.bool("DJANGO_DEBUG_TOOLBAR", True)


def _secret_key():
    key = env.str("DJANGO_SECRET_KEY", "").strip()
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off. Generate one "
            "with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    # Development: make a key once and keep it beside the database, so that
    # sessions survive restarts and no key is ever committed.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off, "
        "e.g. DJANGO_ALLOWED_HOSTS=crm.example.org"
    )
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
INTERNAL_IPS = ["127.0.0.1", "::1"]  # who sees the debug toolbar

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "csp",
    # The API's documentation page, Swagger UI, served from our own static files.
    "ninja",
    "crm",
    "messaging",
    "remotelog",
    "locking",
    *(["debug_toolbar"] if DEBUG_TOOLBAR else []),
    "axes",
]

MIDDLEWARE = [
    *(["debug_toolbar.middleware.DebugToolbarMiddleware"] if DEBUG_TOOLBAR else []),
    "django.middleware.security.SecurityMiddleware",
    # Static files when gunicorn runs alone (Apache serves them itself;
    # development uses runserver's).
    *([] if DEBUG else ["whitenoise.middleware.WhiteNoiseMiddleware"]),
    # Content-Security-Policy on every answer (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who changed a contact, and through what: the form or the admin.
    "crm.middleware.HistoryMiddleware",
    # Every page needs a login unless its view is marked @login_not_required
    # (Django's, asking about the view before the user: crm/site/middleware.py).
    "crm.site.middleware.LoginRequiredMiddleware",
    # What the user's role allows on each page of the contact book (crm.permissions).
    "crm.middleware.PermissionMiddleware",
    # What those pages show is for one user: Cache-Control: private.
    "crm.site.middleware.PrivateCacheMiddleware",
    # django.contrib.messages' middleware, plus a lazy request.messages and
    # messages for background requests (messaging.E002/E003 check its place).
    "messaging.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A table lock not had in time becomes a "busy, try again" page (503).
    "locking.middleware.LockNotAvailableMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        # Django caches compiled templates whenever no loaders are given (also with
        # debug on, where it reloads changed files).
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database(url):
    """Return the default database: ``url`` (PostgreSQL in production), else SQLite in var/."""
    database = (
        dj_database_url.parse(
            url,
            conn_max_age=env.int("DJANGO_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
        if url
        else {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "db.sqlite3"}
    )
    if database["ENGINE"] != "django.db.backends.sqlite3":
        # Through pgbouncer in transaction mode (deploy/pgbouncer/), each
        # transaction may run on another server connection: a cursor kept
        # open between transactions (QuerySet.iterator() outside atomic())
        # would be lost. Such reads fetch their rows at once instead.
        database["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DJANGO_DB_TRANSACTION_POOLING", False)
        return database
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return {
        **database,
        "OPTIONS": {
            # WAL lets readers work while one writer writes; IMMEDIATE takes the
            # write lock at BEGIN, so concurrent writers queue (up to `timeout`
            # seconds) instead of failing with "database is locked" mid-transaction.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            **database.get("OPTIONS", {}),
        },
        # A file, not Django's in-memory default: the live server, browser tests
        # and threaded race tests need one database seen by every connection.
        "TEST": {"NAME": str(VAR_DIR / "test-db.sqlite3")},
    }


# An empty DATABASE_URL is the SQLite default too (`make test-sqlite` sets it so).
DATABASES = {"default": _database(env.str("DATABASE_URL", "").strip())}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "crm.site.throttling.LoginThrottleBackend",
    # Django's ModelBackend, loading a user's permissions in one query.
    "crm.site.backends.ModelPermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Flash messages: a signed cookie, the session for what does not fit; only
# the messages actually displayed are removed (messaging.E004).
MESSAGE_STORAGE = "messaging.storage.MessageStorage"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", VAR_DIR / "static")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["stderr"], "level": env.str("DJANGO_LOG_LEVEL", "INFO")},
    # django-axes announces itself at INFO in every process; lockouts are warnings.
    "loggers": {"axes": {"level": "WARNING"}},
}

# Production hardening: on unless DJANGO_DEBUG=1, so a production environment
# is safe without remembering each switch. Debug runs on plain HTTP locally.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
# Scripts never read the CSRF cookie: forms carry {% csrf_token %}.
CSRF_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", False)
# Preloading commits the whole registered domain to HTTPS in browsers; only its
# owner can decide that, so not preloading is a choice, not a warning.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts, styles, images and requests
# from the site itself only, so no inline script or style anywhere (the admin
# and django-debug-toolbar need none either); no plugins, no <base>, forms
# post only here, and no framing, as X-Frame-Options says to older browsers.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Behind a reverse proxy that terminates TLS, the header it sets to "https" on
# secure requests (deploy/apache/crm-proxy.conf: X-Forwarded-Proto). Only with
# a proxy that overwrites what clients send: the header is trusted, and so is
# the last X-Forwarded-For entry, the client address the proxy appended.
_proxy_ssl_header = env.str("DJANGO_SECURE_PROXY_SSL_HEADER", "").strip()
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)
_client_ip = "crm.site.throttling.client_ip_behind_proxy" if _proxy_ssl_header else None

# Outgoing e-mail (remotelog's alerts): Django's SMTP backend. The server and
# the sender must not be empty; user and password may be (no SMTP login).
EMAIL_HOST = env.str("DJANGO_EMAIL_HOST", "localhost", validate=Length(min=1))
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = env.str("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.str("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", False)
# A mail server that stops answering must not hold the alert worker for long.
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", "crm@localhost", validate=Length(min=1))
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Login throttling with django-axes, on the site login and the admin login:
# after DJANGO_LOGIN_FAILURE_LIMIT failures for one username from one address,
# that pair waits DJANGO_LOGIN_COOLOFF_MINUTES (each new try restarts the wait).
AXES_FAILURE_LIMIT = env.int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("DJANGO_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# A username longer than axes can store is cut, not a database error.
AXES_USERNAME_CALLABLE = "crm.site.throttling.login_username"
AXES_CLIENT_IP_CALLABLE = _client_ip

# The apps' own settings. Unset (None) means the app's default, kept in one
# place: crm/conf.py and remotelog/conf.py (their READMEs list them).
CRM_PHONE_REGION = env.str("CRM_PHONE_REGION", None)
CRM_IMPORT_MAX_BYTES = env.int("CRM_IMPORT_MAX_BYTES", None)
CRM_TRASH_DAYS = env.int("CRM_TRASH_DAYS", None)
CRM_DEFAULT_ROLE = env.str("CRM_DEFAULT_ROLE", None)
CRM_VISIBILITY = env.str("CRM_VISIBILITY", None)
CRM_API_RATE_LIMIT = env.str("CRM_API_RATE_LIMIT", None)

CRM_SITE_URL = env.str("CRM_SITE_URL", None)
CRM_WEBHOOK_PRIVATE_ADDRESSES = env.bool("CRM_WEBHOOK_PRIVATE_ADDRESSES", None)
REMOTELOG_MAX_BODY = env.int("REMOTELOG_MAX_BODY", None)
REMOTELOG_BATCH_MAX_RECORDS = env.int("REMOTELOG_BATCH_MAX_RECORDS", None)
REMOTELOG_BATCH_MAX_BODY = env.int("REMOTELOG_BATCH_MAX_BODY", None)
REMOTELOG_MAX_MESSAGE = env.int("REMOTELOG_MAX_MESSAGE", None)
REMOTELOG_PURGE_CHUNK_SIZE = env.int("REMOTELOG_PURGE_CHUNK_SIZE", None)
REMOTELOG_CLIENT_IP = _client_ip
# The alert worker delivers the contact book's webhook events too (crm.outbox).
REMOTELOG_OUTBOXES = ["crm.outbox.WebhookEvents"]
