"""The contact book's middleware."""

import functools

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.urls import get_script_prefix, get_urlconf, reverse

from .permissions import REASONS, rule_for
from .services.history import source


class HistoryMiddleware:
    """
    Record what a request changes as its user's, through the site's forms
    or, for the admin's pages, through the admin (``crm.services.history``).

    ``request.user`` is passed lazily: a request that changes nothing (the
    remote log's endpoints) never loads the user on this account.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        urlconf = get_urlconf() or settings.ROOT_URLCONF
        admin = _admin_path(urlconf, get_script_prefix())
        name = "admin" if request.path.startswith(admin) else "form"
        with source(name, author=getattr(request, "user", None)):
            return self.get_response(request)


@functools.cache
def _admin_path(urlconf, script_prefix: str) -> str:
    """
    Return the path of the admin's index under ``urlconf``: reversed once
    for each URLconf (a test may use its own) and script prefix (which the
    path starts with), not once a request.
    """
    return reverse("admin:index", urlconf=urlconf)


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
