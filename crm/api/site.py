"""The API: one NinjaAPI, its authentication, its errors and its parts' routers."""

from ninja import NinjaAPI
from ninja.security import SessionAuth

from . import problems, webhooks

api = NinjaAPI(
    title="CRM",
    version="1",
    description=(
        "The contact book's JSON API. Authenticate with a personal token "
        "(`Authorization: Bearer <token>`), made on your account page or by "
        "`manage.py crm_token create`. Errors are `application/problem+json` (RFC 9457)."
    ),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs/",
    # Signed-in pages of the site use their session; CSRF stays on for it.
    auth=[SessionAuth(csrf=True)],
)
problems.install(api)
api.add_router("/webhooks/", webhooks.router)


def urls():
    """
    Return the API's URL patterns for the root URLconf, each marked public
    to the site's login middleware: the API answers 401 with a problem
    itself, never a redirect to the login page.
    """
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns, app_name, namespace
