"""HTTP Basic authentication of the applications that send records."""

import base64
import binascii

from django.http import HttpResponse

from .models import Application, secret_digest

# Compared against when the slug is unknown, so that an unknown slug costs the
# same work as a wrong secret and the answer tells nothing about which exist.
_NO_DIGEST = secret_digest("no application has this secret")


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
    application marked open needs none.
    """
    application = Application.objects.filter(slug=slug, is_active=True).first()
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


def unauthorized():
    """Return the 401 answer, the same whatever was wrong."""
    response = HttpResponse(
        "Credentials required: HTTP Basic with the application's slug and secret.\n",
        status=401,
        content_type="text/plain; charset=utf-8",
    )
    response["WWW-Authenticate"] = 'Basic realm="remotelog", charset="UTF-8"'
    return response
