"""
The record endpoints behind a short middleware chain: a WSGI application in front of the site's.

The stock `HTTPHandler` sends one request per record, so the endpoints'
per-request work is the product's hot path, and most of the site's
middleware has nothing to do there: no session, user, flash messages, CSRF
token, history author, role, login lockout or page policy applies to a
program's record (remotelog/README.md). Going through them cost about a third
of the site's Python time per record (bench/README.md). `with_ingest_handler`
sends the requests for the endpoints' paths (`ingest_prefix`) to a
Django handler whose chain is `INGEST_MIDDLEWARE`, and every other request to
the site's handler. Both are Django's own request handling: signals,
exception responses, connection upkeep.
"""

import re

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.urls import path, reverse
from django.utils.module_loading import import_string

from .views import ingest

# What the endpoints keep of the site's middleware: HTTPS redirection and the
# security headers, then the host check (ALLOWED_HOSTS) and user-agent rules.
INGEST_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]


class IngestHandler(WSGIHandler):
    """
    Django's WSGI handler with `INGEST_MIDDLEWARE` instead of settings.MIDDLEWARE.

    It resolves paths with a URLconf of the two endpoints alone (at the place
    the site's URLs give them), not by trying the site's fifty patterns first.
    """

    def __init__(self, *, prefix):
        super().__init__()

        class urlconf:  # noqa: N801 - a URLconf, as Django's resolvers name it
            urlpatterns = [
                path(f"{prefix}<slug:app_slug>/log/", ingest.log_record),
                path(f"{prefix}<slug:app_slug>/batch/", ingest.log_batch),
            ]

        self.urlconf = urlconf

    def get_response(self, request):
        request.urlconf = self.urlconf
        return super().get_response(request)

    def load_middleware(self, is_async=False):
        # BaseHandler.load_middleware for a fixed list of synchronous
        # middleware that only process requests and responses.
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for dotted in reversed(INGEST_MIDDLEWARE):
            handler = convert_exception_to_response(import_string(dotted)(handler))
        self._middleware_chain = handler


def ingest_prefix():
    """Return the path before the endpoints' ``<app_slug>/log/``, as the site's URLs place them."""
    single = reverse("remotelog:log", kwargs={"app_slug": "slug"})
    batch = reverse("remotelog:batch", kwargs={"app_slug": "slug"})
    prefix = single.removesuffix("slug/log/")
    if batch != f"{prefix}slug/batch/" or not prefix.startswith("/"):
        raise ValueError(f"Unexpected endpoint paths: {single}, {batch}")
    return prefix


def with_ingest_handler(site):
    """Return a WSGI application: the endpoints to an `IngestHandler`, the rest to ``site``."""
    prefix = ingest_prefix()
    handler = IngestHandler(prefix=prefix.removeprefix("/"))
    pattern = re.compile(rf"{re.escape(prefix)}[-a-zA-Z0-9_]+/(?:log|batch)/\Z")

    def application(environ, start_response):
        # PATH_INFO as WSGI gives it (Latin-1 text); a slug is ASCII.
        if pattern.match(environ.get("PATH_INFO", "")):
            return handler(environ, start_response)
        return site(environ, start_response)

    return application
