"""
Who calls the API: a personal token (``Authorization: Bearer crm_...``), or
the site's own pages with their session and CSRF token.

A token acts as its user exactly: ``request.user`` becomes the token's user,
so that permissions (crm.api.access) and visibility (crm.visibility) are the
user's role and teams, nothing more. A token may be read-only.
"""

from django.core.exceptions import PermissionDenied
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from ..models import ApiToken

# What a read-only token may do: read.
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class TokenAuth(HttpBearer):
    """
    A personal token made on the account page or by ``manage.py crm_token``.
    An unknown or revoked token, or one of an inactive user, is refused (401)
    rather than passed on to the session: a script sending a token means it.
    """

    def authenticate(self, request, token):
        found = ApiToken.objects.authenticate(token)
        if found is None or not found.user.is_active:
            raise AuthenticationError()
        if not found.writes and request.method not in SAFE_METHODS:
            raise PermissionDenied("This token is read-only.")
        found.used()
        request.user = found.user
        request.api_token = found
        return found


# The API's authentication, in order: a token when one is sent, else the
# site's session, its CSRF token checked on writes.
AUTH = [TokenAuth(), SessionAuth(csrf=True)]
