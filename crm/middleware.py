"""The contact book's middleware."""

from django.urls import reverse

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
        name = "admin" if request.path.startswith(reverse("admin:index")) else "form"
        with source(name, author=getattr(request, "user", None)):
            return self.get_response(request)
