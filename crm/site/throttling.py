"""Login throttling: django-axes wired to the site's login and the admin login."""

from axes.backends import AxesStandaloneBackend
from axes.models import AccessAttempt


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuse a login while its username and address are locked out.

    Only logins over HTTP are throttled: a call to ``authenticate()`` without a
    request (the test client's ``login()``, a management command) has no
    address to count against, so it goes straight to the next backend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip_behind_proxy(request):
    """Return the client address that the trusted reverse proxy appended.

    The proxy adds the address it saw to the end of X-Forwarded-For; anything
    before it came from the client and cannot be trusted.
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return forwarded.rsplit(",", 1)[-1].strip() or request.META.get("REMOTE_ADDR")


# django-axes records the username a login was tried with in a column of this
# width; a longer one (no user has one) would make the login a database error.
USERNAME_MAX_LENGTH = AccessAttempt._meta.get_field("username").max_length


def login_username(request, credentials=None):
    """Return the username a login was tried with, cut to what django-axes can store.

    Django's login forms pass any typed username to ``authenticate()``, however long.
    """
    if credentials:
        username = credentials.get("username")
    else:
        username = getattr(request, "POST", {}).get("username")
    return username[:USERNAME_MAX_LENGTH] if isinstance(username, str) else username
