"""The contact book's middleware."""

import functools

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import SimpleLazyObject

from .permissions import REASONS, rule_for
from .services.history import source


class HistoryMiddleware:
    """
    Record what a request changes as its user's, through the site's forms,
    the admin's pages (the admin) or the API (``crm.services.history``).

    ``request.user`` is passed lazily: a request that changes nothing (the
    remote log's endpoints) never loads the user on this account. For the
    API it is read when a change is recorded, after authentication: a
    personal token replaces ``request.user`` with its own user
    (``crm.api.auth``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        urlconf = get_urlconf() or settings.ROOT_URLCONF
        admin, api = _paths(urlconf, get_script_prefix())
        if request.path.startswith(api):
            name, author = "api", SimpleLazyObject(lambda: request.user)
        else:
            name = "admin" if request.path.startswith(admin) else "form"
            author = getattr(request, "user", None)
        with source(name, author=author):
            return self.get_response(request)


@functools.cache
def _paths(urlconf, script_prefix: str) -> tuple[str, str]:
    """
    Return the paths of the admin's index and of the API's root under
    ``urlconf``: reversed once for each URLconf (a test may use its own)
    and script prefix (which the paths start with), not once a request.
    """
    return reverse("admin:index", urlconf=urlconf), reverse("api:api-root", urlconf=urlconf)


class PermissionMiddleware:
    """
    Refuse a page of the contact book to a user without the permission its
    rule asks for (``crm.permissions``): 403, saying what their role does
    not allow. Runs after the login is required, so the user is known.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        rule = rule_for(request.resolver_match.view_name)
        if rule is None:
            return None
        permission = rule.permission(request)
        if permission is None:
            return HttpResponseNotAllowed(rule.allowed_methods())
        if not request.user.has_perm(permission):
            raise PermissionDenied(f"Your role does not allow you to {REASONS[permission]}.")
        return None
