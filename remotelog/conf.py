"""
Settings of the remote log receiver, read lazily with their defaults.

Use ``from remotelog.conf import settings`` and read ``settings.MAX_BODY``: the
value comes from ``REMOTELOG_MAX_BODY`` in the Django settings at the moment it
is read (so tests can override it), else from the default below.
"""

from django.conf import settings as django_settings

DEFAULTS = {
    # Largest body (POST) or query string (GET) of one record, in bytes.
    "MAX_BODY": 64 * 1024,
    # Most records, and largest body in bytes, of one batch.
    "BATCH_MAX_RECORDS": 500,
    "BATCH_MAX_BODY": 1024 * 1024,
    # Longest stored message, in characters: a longer one is cut and ends with
    # "… [truncated: <its length> characters]". At least 100.
    "MAX_MESSAGE": 32 * 1024,
    # Rows deleted per statement (and per transaction) by remotelog_purge.
    "PURGE_CHUNK_SIZE": 5000,
    # Whether ingest groups records by fingerprint (remotelog/groups.py). Off
    # only to measure what grouping costs (bench/ingest.py).
    "GROUPING": True,
    # Dotted path of a callable(request) returning the sender's address; None
    # means the peer's address (REMOTE_ADDR). Behind a reverse proxy, name one
    # that reads the address the proxy appended to X-Forwarded-For.
    "CLIENT_IP": None,
    # Dotted paths of the `remotelog.alerts.outbox.Outbox` subclasses whose rows
    # the alert worker (remotelog_notify) delivers too, after the alerts: a
    # setting, so that remotelog imports none of the apps it delivers for.
    "OUTBOXES": (),
}


class RemoteLogSettings:
    """Read ``REMOTELOG_<NAME>`` from the Django settings, or its default when unset (None)."""

    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(f"remotelog has no setting {name!r}")
        value = getattr(django_settings, f"REMOTELOG_{name}", None)
        return DEFAULTS[name] if value is None else value


settings = RemoteLogSettings()
