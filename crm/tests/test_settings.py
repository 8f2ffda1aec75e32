"""The settings module, started for real in a fresh interpreter."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def start_django(**env):
    """Run ``manage.py check`` with exactly the given DJANGO_* environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
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


def test_a_malformed_boolean_is_reported_by_name():
    result = start_django(DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG='maybe' is not a boolean" in result.stderr


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


def test_the_test_suite_runs_without_the_toolbar():
    from django.conf import settings

    assert "debug_toolbar" not in settings.INSTALLED_APPS
