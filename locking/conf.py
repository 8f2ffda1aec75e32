"""Settings of the locking app, read when used (never at import time)."""

from django.conf import settings

DEFAULT_RETRY_AFTER = 2


def retry_after():
    """Return the seconds a client is told to wait after a busy page (``Retry-After``)."""
    return getattr(settings, "LOCKING_RETRY_AFTER", DEFAULT_RETRY_AFTER)
