"""
Who may store log records: the ingest grant, its per-process memory and its SQL condition.

An application is allowed to store records while it is active and either open
or sent with its secret (HTTP Basic: the slug as user name, the secret as
password). A `Grant` is that permission as read for one request. The stock
handler sends one request per record, so each process remembers what it last
read of each application and checks credentials against that without a query;
a store made on a grant re-checks the application's row in the same statement
(`condition`; on PostgreSQL the function of migration 0007 does), so a secret
rotated or an application disabled in any process is refused at once.
remotelog/README.md ("Who may store a record") says so to clients.
"""

import base64
import binascii
from typing import NamedTuple

from django.http import HttpResponse

from .models import Application, secret_matches

# Compared against when the slug is unknown, so that an unknown slug costs the
# same work as a wrong secret and the answer tells nothing about which exist.
_NO_DIGEST = "0" * 64

# slug -> (id, secret digest, open) of active applications, as last read by this
# process: only a shortcut, since every store re-checks the row (`condition`).
_known = {}


class Grant(NamedTuple):
    """
    Permission to store records for one application, as read for one request.

    ``secret_digest`` is the digest the request's secret matched, or None when
    the application is open. ``checked`` says whether it was read from the
    database for this request (else from this process's memory).
    """

    application_id: int
    secret_digest: str | None
    checked: bool


def grant(request, slug, *, fresh=False):
    """
    Return the `Grant` the request's credentials give for ``slug``, or None (answer 401).

    Credentials that match what this process remembers need no query, unless
    ``fresh``; anything else reads the application (and remembers it).
    """
    if not fresh and (remembered := _remembered(request, slug)) is not None:
        return remembered
    application = Application.objects.filter(slug=slug, is_active=True).first()
    if application is None:
        _known.pop(slug, None)
        secret_matches(_password(request, slug) or "", _NO_DIGEST)  # the same work as a miss
        return None
    _known[slug] = (application.pk, application.secret_digest, application.is_open)
    if application.is_open:
        return Grant(application.pk, None, checked=True)
    password = _password(request, slug)
    if password is not None and application.check_secret(password):
        return Grant(application.pk, application.secret_digest, checked=True)
    return None


def condition(column):
    """
    Return the SQL condition, and its parameters' order, under which a grant still holds.

    ``column(name)`` returns the quoted column of the applications table. The
    parameters are the grant's application id and secret digest (`params`).
    """
    return (
        f"{column('id')} = %s AND {column('is_active')} "
        f"AND ({column('is_open')} OR {column('secret_digest')} = %s)"
    )


def params(grant):
    """Return the parameters of `condition` for ``grant``."""
    return [grant.application_id, grant.secret_digest]


def unauthorized():
    """Return the 401 answer, the same whatever was wrong."""
    response = HttpResponse(
        "Credentials required: HTTP Basic with the application's slug and secret.\n",
        status=401,
        content_type="text/plain; charset=utf-8",
    )
    response["WWW-Authenticate"] = 'Basic realm="remotelog", charset="UTF-8"'
    return response


def _remembered(request, slug):
    known = _known.get(slug)
    if known is None:
        return None
    application_id, digest, is_open = known
    if is_open:
        return Grant(application_id, None, checked=False)
    password = _password(request, slug)
    if password is not None and secret_matches(password, digest):
        return Grant(application_id, digest, checked=False)
    return None


def _password(request, slug):
    """Return the password of the request's Basic credentials for user ``slug``, or None."""
    scheme, _, encoded = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, colon, password = decoded.partition(":")
    return password if colon and username == slug else None
