"""The API: one NinjaAPI, its authentication, its limits, its errors and its parts' routers."""

from ninja import NinjaAPI

from . import history, imports, me, problems, relationships, tags, timeline
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
api.add_router("/", relationships.router)
api.add_router("/", tags.router)
api.add_router("/", timeline.router)
api.add_router("/", history.router)
api.add_router("/imports/", imports.router)


def public(urls):
    """
    Return an API's ``urls`` (patterns, app name, namespace) each marked
    public to the site's login middleware: the API answers 401 with a
    problem itself, never a redirect to the login page.
    """
    patterns, app_name, namespace = urls
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns, app_name, namespace


def urls():
    """Return the API's URL patterns for the root URLconf."""
    return public(api.urls)
