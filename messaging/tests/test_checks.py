"""The site refuses to start with the session or message middleware missing or misplaced."""

import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError

SESSION = "django.contrib.sessions.middleware.SessionMiddleware"
MESSAGES = "messaging.middleware.MessageMiddleware"


def messaging_errors():
    with pytest.raises(SystemCheckError) as raised:
        call_command("check")
    return sorted(set(re.findall(r"messaging\.E\d{3}", str(raised.value))))


def without(*names):
    return [name for name in settings.MIDDLEWARE if name not in names]


def test_the_site_settings_pass():
    call_command("check")


def test_message_middleware_before_session_middleware_fails(settings):
    middleware = without(MESSAGES)
    middleware.insert(middleware.index(SESSION), MESSAGES)
    settings.MIDDLEWARE = middleware
    assert messaging_errors() == ["messaging.E003"]


def test_missing_session_middleware_fails(settings):
    settings.MIDDLEWARE = without(SESSION)
    assert "messaging.E001" in messaging_errors()


def test_djangos_own_message_middleware_is_not_enough(settings):
    settings.MIDDLEWARE = [
        "django.contrib.messages.middleware.MessageMiddleware" if name == MESSAGES else name
        for name in settings.MIDDLEWARE
    ]
    assert messaging_errors() == ["messaging.E002"]


def test_a_storage_that_forgets_undisplayed_messages_fails(settings):
    settings.MESSAGE_STORAGE = "django.contrib.messages.storage.fallback.FallbackStorage"
    assert messaging_errors() == ["messaging.E004"]
