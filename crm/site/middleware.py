"""Site-wide middleware."""

from django.contrib.auth import middleware as auth_middleware
from django.utils.cache import patch_cache_control


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """
    Django's LoginRequiredMiddleware, asking about the view before the user.

    Django's looks at ``request.user`` first, which loads the session (and the
    user, when a cookie comes along) for every request, also those of views
    marked ``@login_not_required``, and makes their answers ``Vary: Cookie``.
    Here a public view's request never touches the session on our account:
    the remote log's endpoints take a record per request from programs.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class PrivateCacheMiddleware:
    """
    Mark the answers of login-required views, and of views marked ``private``
    (the API's, which authenticate their own callers), ``Cache-Control: private``.

    They show contacts and logs: a shared proxy must not keep them for the next
    visitor. A view that says more keeps its own header (the admin's
    ``never_cache``, the downloads' ``no-store``); public views (the remote
    log's endpoints) and static files are left alone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = request.resolver_match
        if (
            match is not None
            and (
                getattr(match.func, "login_required", True) or getattr(match.func, "private", False)
            )
            and not response.has_header("Cache-Control")
        ):
            patch_cache_control(response, private=True)
        return response
