"""The API: one NinjaAPI, its authentication, its limits, its errors and its parts' routers."""

import functools

from django.urls import reverse
from ninja import NinjaAPI

from . import (
    contacts,
    history,
    imports,
    me,
    problems,
    relationships,
    tags,
    timeline,
    trash,
    webhooks,
)
from .auth import AUTH
from .limits import RateLimit


class ContactBookAPI(NinjaAPI):
    """Ninja's API, its schema declaring every error as a problem (crm.api.problems)."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return problems.document(schema)


api = ContactBookAPI(
    title="CRM",
    version="1",
    description=(
        "The contact book's JSON API. Authenticate with a personal token "
        "(`Authorization: Bearer <token>`), made on your account page or by "
        "`manage.py crm_token create`. Errors are `application/problem+json` (RFC 9457). "
        "Each token (or signed-in user) may send `CRM_API_RATE_LIMIT` requests a window; "
        "over it, 429 with `Retry-After`."
    ),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs/",
    # A personal token first; the site's own pages use their session, CSRF on.
    auth=AUTH,
    # Counted in the database, so that every app server counts together.
    throttle=[RateLimit()],
)
problems.install(api)
api.add_router("/", me.router)
api.add_router("/contacts/", contacts.router)
api.add_router("/trash/", trash.router)
api.add_router("/", relationships.router)
api.add_router("/", tags.router)
api.add_router("/", timeline.router)
api.add_router("/", history.router)
api.add_router("/imports/", imports.router)
api.add_router("/webhooks/", webhooks.router)


def public(urls):
    """
    Return an API's ``urls`` (patterns, app name, namespace) each marked
    public to the site's login middleware: the API answers 401 with a
    problem itself, never a redirect to the login page.
    """
    patterns, app_name, namespace = urls
    for pattern in patterns:
        pattern.callback = _method_problems(pattern.callback)
        pattern.callback.login_required = False
        # What the API answers is one user's: never kept by a shared cache.
        pattern.callback.private = True
    return patterns, app_name, namespace


def _method_problems(view):
    """Answer a method a path does not take (ninja's plain 405) as a problem too."""

    @functools.wraps(view)
    def answer(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and response.get("Content-Type") != problems.MEDIA_TYPE:
            allowed = response.get("Allow", "")
            return problems.problem(405, f"This path takes {allowed}.", headers={"Allow": allowed})
        return response

    return answer


@functools.cache
def prefix() -> str:
    """Return the path the API's URLs start with, as the root URLconf places them."""
    return reverse("api:openapi-json").removesuffix("openapi.json")


def urls():
    """Return the API's URL patterns for the root URLconf."""
    return public(api.urls)
