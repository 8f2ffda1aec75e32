"""System checks: the messages need the session, and the session must come first."""

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"
MESSAGE_MIDDLEWARE = "messaging.middleware.MessageMiddleware"
MESSAGE_STORAGE = "messaging.storage.MessageStorage"


def _is_subclass(path, base):
    try:
        return issubclass(import_string(path), import_string(base))
    except ImportError:
        return False


def _position(middleware, base):
    """Return the index of the first entry of ``middleware`` that is ``base`` or a subclass."""
    return next((i for i, path in enumerate(middleware) if _is_subclass(path, base)), None)


@checks.register()
def check_middleware(app_configs=None, **kwargs):
    """Fail when the session or message middleware is missing or out of order."""
    middleware = list(settings.MIDDLEWARE)
    session = _position(middleware, SESSION_MIDDLEWARE)
    messages = _position(middleware, MESSAGE_MIDDLEWARE)
    errors = []
    if session is None:
        errors.append(
            checks.Error(
                f"'{SESSION_MIDDLEWARE}' must be in MIDDLEWARE: messages that do not "
                "fit in the cookie are kept in the session.",
                id="messaging.E001",
            )
        )
    if messages is None:
        errors.append(
            checks.Error(
                f"'{MESSAGE_MIDDLEWARE}' must be in MIDDLEWARE.",
                hint=(
                    "Use it in place of 'django.contrib.messages.middleware.MessageMiddleware'"
                    ", after the session middleware."
                ),
                id="messaging.E002",
            )
        )
    if session is not None and messages is not None and messages < session:
        errors.append(
            checks.Error(
                f"'{MESSAGE_MIDDLEWARE}' must come after '{SESSION_MIDDLEWARE}' in MIDDLEWARE.",
                hint="Move the message middleware below the session middleware.",
                id="messaging.E003",
            )
        )
    return errors


@checks.register()
def check_storage(app_configs=None, **kwargs):
    """Fail when MESSAGE_STORAGE would forget messages that were never displayed."""
    storage = getattr(settings, "MESSAGE_STORAGE", "")
    if _is_subclass(storage, MESSAGE_STORAGE):
        return []
    return [
        checks.Error(
            f"MESSAGE_STORAGE must be '{MESSAGE_STORAGE}' (or a subclass), not {storage!r}.",
            hint="Other storages drop every message once any of them is displayed.",
            id="messaging.E004",
        )
    ]
