"""HTTP Basic authentication of the applications that send records."""

import base64
import binascii
import hmac
from typing import NamedTuple

from django.http import HttpResponse

from .models import Application, secret_digest

# Compared against when the slug is unknown, so that an unknown slug costs the
# same work as a wrong secret and the answer tells nothing about which exist.
_NO_DIGEST = secret_digest("no application has this secret")


class Grant(NamedTuple):
    """
    What a request may store under, as this process last read it.

    `secret_digest` is the digest the request's secret matched, or None when
    the application was open. A store made on a grant must check in the same
    statement that the application still is active with that digest (or open):
    the grant may be stale. `remotelog.services.log_message_store` does.
    """

    application_id: int
    secret_digest: str | None


# slug -> (id, secret digest, open) of active applications, as last read from
# the database by this process. Only a shortcut to skip the look-up: every
# store through a Grant re-checks the row in its own statement, so a secret
# rotated or an application disabled in any process is refused at once.
_known = {}


def basic_credentials(request):
    """Return the (user name, password) of the request's Basic credentials, or None."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, colon, password = decoded.partition(":")
    return (username, password) if colon else None


def authenticate(request, slug):
    """
    Return the active application ``slug`` if the request may send it records, else None.

    The credentials' user name is the slug and the password its secret; an
    application marked open needs none. Always asks the database (one query).
    """
    application = Application.objects.filter(slug=slug, is_active=True).first()
    if application is None:
        _known.pop(slug, None)
    else:
        _known[slug] = (application.pk, application.secret_digest, application.is_open)
    if application is not None and application.is_open:
        return application
    credentials = basic_credentials(request)
    if credentials is None:
        return None
    username, password = credentials
    if application is None:
        Application(secret_digest=_NO_DIGEST).check_secret(password)
        return None
    if application.check_secret(password) and username == slug:
        return application
    return None


def remembered_grant(request, slug):
    """
    Return a `Grant` if the request's credentials fit what this process knows of ``slug``.

    No query. None means "not known here or not matching": ask `authenticate`,
    which reads the database (and refreshes what is known).
    """
    known = _known.get(slug)
    if known is None:
        return None
    application_id, digest, is_open = known
    if is_open:
        return Grant(application_id, None)
    credentials = basic_credentials(request)
    if credentials is None:
        return None
    username, password = credentials
    if hmac.compare_digest(secret_digest(password), digest or "") and username == slug:
        return Grant(application_id, digest)
    return None


def grant_for(application):
    """Return the `Grant` of an application `authenticate` has just returned."""
    return Grant(application.pk, None if application.is_open else application.secret_digest)


def unauthorized():
    """Return the 401 answer, the same whatever was wrong."""
    response = HttpResponse(
        "Credentials required: HTTP Basic with the application's slug and secret.\n",
        status=401,
        content_type="text/plain; charset=utf-8",
    )
    response["WWW-Authenticate"] = 'Basic realm="remotelog", charset="UTF-8"'
    return response
