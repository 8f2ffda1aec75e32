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

Other apps send their own webhooks the same way under their own header
names (a ``Scheme``): the contact book's are X-CRM-Signature and X-CRM-Timestamp.
"""

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-Remotelog-Signature"
TIMESTAMP_HEADER = "X-Remotelog-Timestamp"
# Seconds a receiver may wait for: the worker delivers one notification at a time.
TIMEOUT = 5
# Bytes of a receiver's answer kept (`Answer.body`): enough to read an error.
ANSWER_LENGTH = 1000


@dataclass(frozen=True)
class Scheme:
    """The header names and user agent of one kind of webhook."""

    signature_header: str
    timestamp_header: str
    user_agent: str


REMOTELOG = Scheme(SIGNATURE_HEADER, TIMESTAMP_HEADER, "remotelog-alerts")


@dataclass(frozen=True)
class Answer:
    """A receiver's answer: its status and the start of its body, decoded leniently."""

    status: int
    body: str


def _answer(status, response) -> Answer:
    try:
        body = response.read(ANSWER_LENGTH) if response is not None else b""
    except OSError:
        body = b""
    return Answer(status, body.decode("utf-8", "replace"))


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


def post(url, payload, *, secret, timestamp, scheme=REMOTELOG, headers=None) -> Answer:
    """
    POST ``payload`` with ``timestamp`` to ``url``, signed with ``secret``,
    with the header names of ``scheme`` and any other ``headers``; return
    the receiver's `Answer`.

    Raise OSError (urllib's errors among them) unless the receiver answers
    with a 2xx status, ValueError for a URL that is not http or https. An
    HTTPError (any other status, a redirect) carries the `Answer` as ``answer``.
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
            "User-Agent": scheme.user_agent,
            scheme.signature_header: sign(secret, body),
            scheme.timestamp_header: str(timestamp),
            **(headers or {}),
        },
    )
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            answer = _answer(response.status, response)
    except urllib.error.HTTPError as error:
        error.answer = _answer(error.code, error.fp)
        raise
    if not 200 <= answer.status < 300:
        raise urllib.error.HTTPError(url, answer.status, "Not a 2xx answer", None, None)
    return answer
