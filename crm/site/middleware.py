"""Site-wide middleware."""

from django.contrib.auth import middleware as auth_middleware


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
