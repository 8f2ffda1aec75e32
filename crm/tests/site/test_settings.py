"""The settings module, started for real in a fresh interpreter."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[3]


# What ops put in /etc/crm/crm.env, minus the database (see deploy/README.md).
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "crm.example.org",
}


def start_django(*args, **env):
    """Run ``python ARGS`` (default ``manage.py check``) with only the given DJANGO_* vars."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, *(args or ["manage.py", "check"])],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_off_without_secret_key_refuses_to_start():
    result = start_django(DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="crm.example.org")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr


def test_debug_off_without_allowed_hosts_refuses_to_start():
    result = start_django(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must be set" in result.stderr


def test_debug_off_with_key_and_hosts_starts():
    result = start_django(
        DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50, DJANGO_ALLOWED_HOSTS="crm.example.org"
    )
    assert result.returncode == 0, result.stderr


def test_manage_py_alone_runs_with_the_development_defaults(tmp_path):
    result = start_django(
        "manage.py", "makemigrations", "--check", "--dry-run", DJANGO_VAR_DIR=str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_the_wsgi_entry_alone_is_production_and_wants_a_secret_key():
    result = start_django("-c", "import crm.wsgi")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr


def test_a_malformed_boolean_is_reported_by_name():
    result = start_django(DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert 'Environment variable "DJANGO_DEBUG" invalid: Not a valid boolean.' in result.stderr


@pytest.mark.parametrize("toolbar", ["1", "0"])
def test_debug_toolbar_follows_debug_and_its_switch(toolbar):
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print('debug_toolbar' in settings.INSTALLED_APPS)"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.update(
        DJANGO_DEBUG="1", DJANGO_DEBUG_TOOLBAR=toolbar, DJANGO_SETTINGS_MODULE="crm.settings"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=clean, capture_output=True, text=True
    )
    assert result.stdout.strip() == ("True" if toolbar == "1" else "False"), result.stderr


@pytest.mark.parametrize("pooling", ["0", "1"])
def test_transaction_pooling_turns_server_side_cursors_off(pooling):
    """Behind pgbouncer in transaction mode a cursor cannot outlive its transaction."""
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS'])"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.update(
        DJANGO_DEBUG="1",
        DJANGO_SETTINGS_MODULE="crm.settings",
        DJANGO_DB_TRANSACTION_POOLING=pooling,
        DATABASE_URL="postgres://crm@db.internal:6432/crm",
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=clean, capture_output=True, text=True
    )
    assert result.stdout.strip() == ("True" if pooling == "1" else "False"), result.stderr


def test_the_test_suite_runs_without_the_toolbar():
    from django.conf import settings

    assert "debug_toolbar" not in settings.INSTALLED_APPS


def test_check_deploy_passes_with_a_production_environment():
    result = start_django("manage.py", "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_production_is_weakened():
    result = start_django(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        DJANGO_SECURE_HSTS_SECONDS="0",
        DJANGO_SECURE_SSL_REDIRECT="0",
    )
    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


def probe(**env):
    """Return what the site answers under ``env`` (see production_probe.py)."""
    result = start_django(
        "-m", "crm.tests.production_probe", **env, DATABASE_URL="sqlite://:memory:"
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def production():
    return probe(**PRODUCTION)


def test_production_redirects_plain_http_to_https(production):
    assert production["plain_http"] == {
        "status": 301,
        "location": "https://crm.example.org/accounts/login/",
    }


def test_production_responses_carry_the_security_headers(production):
    page = production["login_page"]
    assert page["status"] == 200
    assert page["headers"]["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert page["headers"]["X-Content-Type-Options"] == "nosniff"
    assert page["headers"]["X-Frame-Options"] == "DENY"
    assert page["headers"]["Referrer-Policy"] == "same-origin"


def test_production_pages_carry_the_content_security_policy_and_stay_private(production):
    policy = {
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    }
    for name in ("login_page", "home", "export"):
        headers = production[name]["headers"]
        assert set(headers["Content-Security-Policy"].split("; ")) == policy, name
    assert production["home"]["status"] == 200
    assert production["home"]["headers"]["Cache-Control"] == "private"
    # No contact yet: the export sends back to the list, and is not stored either.
    assert production["export"]["status"] == 302
    assert production["export"]["headers"]["Cache-Control"] == "no-store, private"


def test_production_cookies_are_secure_and_httponly(production):
    assert production["login_page"]["cookies"]["csrftoken"] == {"secure": True, "httponly": True}
    login = production["login"]
    assert login["status"] == 302
    assert login["cookies"]["sessionid"] == {"secure": True, "httponly": True}


def test_production_shows_the_friendly_not_found_page(production):
    assert production["not_found"]["status"] == 404
    assert "Page not found" in production["not_found"]["body"]


def test_production_caches_compiled_templates(production):
    assert production["template_loaders"] == ["django.template.loaders.cached.Loader"]


def test_the_forwarded_proto_header_is_ignored_unless_configured(production):
    # Without a proxy in front, a client could send the header itself.
    assert production["forwarded_https"] == 301


def test_behind_a_configured_proxy_the_forwarded_proto_makes_requests_secure():
    behind_proxy = probe(**PRODUCTION, DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert behind_proxy["forwarded_https"] == 200
    assert behind_proxy["plain_http"]["status"] == 301


def test_production_keeps_checked_database_connections_logs_to_stderr_and_wants_long_passwords():
    code = (
        "import json, logging, django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.contrib.auth.password_validation import validate_password\n"
        "from django.core.exceptions import ValidationError\n"
        "db = settings.DATABASES['default']\n"
        "try:\n"
        "    validate_password('Tr1cky-pw')\n"
        "    refused = []\n"
        "except ValidationError as exc:\n"
        "    refused = exc.messages\n"
        "logging.getLogger('crm.audit').warning('to stderr')\n"
        "print(json.dumps({'max_age': db['CONN_MAX_AGE'],\n"
        "    'health_checks': db['CONN_HEALTH_CHECKS'], 'refused': refused}))\n"
    )
    result = start_django(
        "-c",
        code,
        **PRODUCTION,
        DJANGO_SETTINGS_MODULE="crm.settings",
        DATABASE_URL="postgres://crm@127.0.0.1:5432/crm",
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["max_age"] == 60 and answer["health_checks"] is True
    assert any("at least 12 characters" in message for message in answer["refused"])
    assert "WARNING crm.audit: to stderr" in result.stderr


def test_development_makes_a_secret_key_once_and_sqlite_runs_in_wal_mode(tmp_path):
    code = (
        "import json, django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('PRAGMA journal_mode')\n"
        "    journal = cursor.fetchone()[0]\n"
        "print(json.dumps({'key': settings.SECRET_KEY, 'journal': journal,\n"
        "    'mode': connection.transaction_mode}))\n"
    )
    env = {
        "DJANGO_DEBUG": "1",
        "DJANGO_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DATABASE_URL": "",
    }
    first, second = (start_django("-c", code, **env) for _ in range(2))
    assert first.returncode == 0, first.stderr
    first, second = json.loads(first.stdout), json.loads(second.stdout)
    # Made once, kept beside the database where only its owner reads it.
    key_file = tmp_path / "secret_key"
    assert first["key"] == second["key"] == key_file.read_text().strip()
    assert len(first["key"]) >= 50 and key_file.stat().st_mode & 0o777 == 0o600
    assert (first["journal"], first["mode"]) == ("wal", "IMMEDIATE")


def test_the_mail_settings_come_from_the_environment_and_refuse_empty_values():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_USE_TLS, "
        "s.DEFAULT_FROM_EMAIL)"
    )
    mail = {
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DJANGO_EMAIL_HOST": "smtp.example.org",
        "DJANGO_EMAIL_PORT": "587",
        "DJANGO_EMAIL_HOST_USER": "crm",
        "DJANGO_EMAIL_HOST_PASSWORD": "pw",
        "DJANGO_EMAIL_USE_TLS": "1",
        "DJANGO_DEFAULT_FROM_EMAIL": "crm@example.org",
    }
    result = start_django("-c", code, **PRODUCTION, **mail)
    assert result.stdout.split() == ["smtp.example.org", "587", "crm", "True", "crm@example.org"]
    for name in ("DJANGO_EMAIL_HOST", "DJANGO_EMAIL_PORT", "DJANGO_DEFAULT_FROM_EMAIL"):
        result = start_django("-c", code, **PRODUCTION, **{**mail, name: ""})
        assert result.returncode != 0
        assert f'Environment variable "{name}" invalid' in result.stderr
