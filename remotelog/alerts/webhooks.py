"""
Signed webhooks: a JSON POST that its receiver can prove came from us.

The body is the notification's payload with a ``timestamp`` (Unix seconds)
added, sent with two headers:

- ``X-Remotelog-Timestamp``: the same timestamp;
- ``X-Remotelog-Signature``: ``sha256=`` and the hex HMAC-SHA256 of the raw
  body, keyed with the rule's webhook secret.

A receiver recomputes the HMAC over the bytes it received (before parsing
them), compares it in constant time, and refuses a timestamp more than a few
minutes old, so a captured request cannot be replayed later: the timestamp
is inside the signed body, and `verify` checks that the header agrees with it.
"""

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-Remotelog-Signature"
TIMESTAMP_HEADER = "X-Remotelog-Timestamp"
# Seconds a receiver may wait for: the worker delivers one notification at a time.
TIMEOUT = 5
# How old a timestamp `verify` accepts, in seconds.
TOLERANCE = 300


def sign(secret, body):
    """Return the signature header's value for ``body`` (bytes) under ``secret``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret, body, *, signature, timestamp, now, tolerance=TOLERANCE):
    """
    Return whether a received webhook is genuine and fresh: what a receiver does.

    ``body`` is the raw bytes received, ``signature`` and ``timestamp`` the
    headers' values, ``now`` the receiver's time in Unix seconds.
    """
    if not hmac.compare_digest(sign(secret, body), signature or ""):
        return False
    try:
        sent = json.loads(body)["timestamp"]
    except (ValueError, KeyError, TypeError):
        return False
    return str(sent) == timestamp and abs(now - sent) <= tolerance


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Treat a redirect as a failed delivery: the signed body goes to the URL given only."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url, payload, *, secret, timestamp):
    """
    POST ``payload`` with ``timestamp`` to ``url``, signed with ``secret``.

    Raise OSError (urllib's errors among them) unless the receiver answers
    with a 2xx status, ValueError for a URL that is not http or https.
    """
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("Webhook URLs must be http or https.")
    body = json.dumps({**payload, "timestamp": timestamp}, sort_keys=True).encode()
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "remotelog-alerts",
            SIGNATURE_HEADER: sign(secret, body),
            TIMESTAMP_HEADER: str(timestamp),
        },
    )
    with _opener.open(request, timeout=TIMEOUT) as response:
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(url, response.status, response.reason, None, None)
