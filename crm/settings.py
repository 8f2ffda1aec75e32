"""
Settings for the CRM site, read from the environment.

One module serves development, tests and production; the README lists every
variable. Nothing here branches on how the process was started.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    """Return the environment variable ``name`` read as a boolean."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    value = value.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use 1 or 0.")


def env_int(name, default):
    """Return the environment variable ``name`` read as an integer."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None


def env_list(name, default=()):
    """Return the comma-separated environment variable ``name`` as a list."""
    value = os.environ.get(name, "")
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or list(default)


# Where the site keeps its local state: the SQLite database, the development
# secret key, collected static files. Ignored by git.
VAR_DIR = Path(os.environ.get("DJANGO_VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DJANGO_DEBUG", False)


def _secret_key():
    key = os.environ.get("DJANGO_SECRET_KEY", "").strip()
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

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off, "
        "e.g. DJANGO_ALLOWED_HOSTS=crm.example.org"
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# The toolbar is a development aid: on only with debug, and switched off for
# the test suite through DJANGO_DEBUG_TOOLBAR=0 (see pyproject.toml).
DEBUG_TOOLBAR = DEBUG and env_bool("DJANGO_DEBUG_TOOLBAR", True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "csp",
    "crm",
    "messaging",
    "remotelog",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every answer (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login unless its view is marked @login_not_required
    # (Django's, which then never touches the session: crm/site/middleware.py).
    "crm.site.middleware.LoginRequiredMiddleware",
    # What those pages show is for one user: Cache-Control: private.
    "crm.site.middleware.PrivateCacheMiddleware",
    # django.contrib.messages' middleware, plus a lazy request.messages and
    # messages for background requests (messaging.E002/E003 check its place).
    "messaging.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# locking: require_lock() for read-then-write paths; a lock that cannot be had
# becomes a "busy, try again" page (503 with Retry-After), never a 500.
INSTALLED_APPS += ["locking"]
MIDDLEWARE += ["locking.middleware.LockNotAvailableMiddleware"]

if DEBUG_TOOLBAR:
    INSTALLED_APPS.append("debug_toolbar")
    MIDDLEWARE.insert(0, "debug_toolbar.middleware.DebugToolbarMiddleware")
    INTERNAL_IPS = ["127.0.0.1", "::1"]

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

# Database: PostgreSQL in production through DATABASE_URL; an SQLite file under
# var/ by default so that `make run` needs nothing installed.
if os.environ.get("DATABASE_URL", "").strip():
    _default_db = dj_database_url.parse(
        os.environ["DATABASE_URL"].strip(),
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
else:
    _default_db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "db.sqlite3",
    }
if _default_db["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _default_db["OPTIONS"] = {
        # WAL lets readers work while one writer writes; IMMEDIATE takes the
        # write lock at BEGIN, so concurrent writers queue (up to `timeout`
        # seconds) instead of failing with "database is locked" mid-transaction.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        **_default_db.get("OPTIONS", {}),
    }
    # A file, not Django's in-memory default: the live server, browser tests
    # and threaded race tests need one database seen by every connection.
    _default_db["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
DATABASES = {"default": _default_db}

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

# Flash messages: a signed cookie, the session for what does not fit; only
# the messages actually displayed are removed (messaging.E004).
MESSAGE_STORAGE = "messaging.storage.MessageStorage"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or VAR_DIR / "static")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["stderr"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}


# Production hardening: on unless DJANGO_DEBUG=1, so a production environment
# is safe without remembering each switch. Debug runs on plain HTTP locally.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
# Scripts never read the CSRF cookie: forms carry {% csrf_token %}.
CSRF_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # Preloading commits the whole registered domain to HTTPS in browsers; only
    # its owner can decide that, so not preloading is a choice, not a warning.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
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

# Behind a reverse proxy that terminates TLS, name the header it sets to
# "https" on secure requests (deploy/apache/crm-proxy.conf: X-Forwarded-Proto).
# Only with a proxy that overwrites what clients send: the header is trusted.
_proxy_ssl_header = os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER", "").strip()
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _proxy_ssl_header.upper().replace("-", "_"),
        "https",
    )

# Login throttling with django-axes, on the site login and the admin login:
# after DJANGO_LOGIN_FAILURE_LIMIT failures for one username from one address,
# that pair waits DJANGO_LOGIN_COOLOFF_MINUTES (each new try restarts the wait).
INSTALLED_APPS.append("axes")
# Last, as django-axes asks: it turns a refused login into the lockout page.
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AUTHENTICATION_BACKENDS = [
    "crm.site.throttling.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# A username longer than axes can store is cut, not a database error.
AXES_USERNAME_CALLABLE = "crm.site.throttling.login_username"
if _proxy_ssl_header:
    # Behind the proxy every request comes from the proxy's address.
    AXES_CLIENT_IP_CALLABLE = "crm.site.throttling.client_ip_behind_proxy"
    REMOTELOG_CLIENT_IP = "crm.site.throttling.client_ip_behind_proxy"

# Static files: Apache serves STATIC_ROOT itself (deploy/apache/); when
# gunicorn runs alone, WhiteNoise serves it. Development uses runserver's.
if not DEBUG:
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )

# django-axes announces itself at INFO in every process; lockouts are warnings.
LOGGING.setdefault("loggers", {})["axes"] = {"level": "WARNING"}

# The contact book's phone region: set only when given, so crm/conf.py keeps
# the default in one place (the README lists it).
if os.environ.get("CRM_PHONE_REGION", "").strip():
    CRM_PHONE_REGION = os.environ["CRM_PHONE_REGION"].strip()

# Remote logging limits: set only when given, so remotelog/conf.py keeps the
# defaults in one place (the README lists them).
for _name in (
    "REMOTELOG_MAX_BODY",
    "REMOTELOG_BATCH_MAX_RECORDS",
    "REMOTELOG_BATCH_MAX_BODY",
    "REMOTELOG_MAX_MESSAGE",
    "REMOTELOG_PURGE_CHUNK_SIZE",
):
    if os.environ.get(_name, "").strip():
        globals()[_name] = env_int(_name, None)
