"""
The site's own pages: login and logout, saying what happened, and the
account's personal API tokens (every signed-in user, whatever their role,
manages their own and no one else's).
"""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views import defaults
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..models import ApiToken
from .forms import TokenForm


class LoginView(auth_views.LoginView):
    """Log the user in and welcome them."""

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        messages.success(self.request, f"Welcome, {user.get_full_name() or user.get_username()}.")
        return response


class LogoutView(auth_views.LogoutView):
    """Log the user out and tell the now anonymous visitor so on the next page."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        # Added after the session flush, to the storage that kept the
        # visitor's other messages through it (see signals.py).
        messages.info(request, "You have been logged out.")
        return response


def _tokens_page(request, form):
    tokens = request.user.api_tokens.active()
    return render(request, "account/tokens.html", {"tokens": tokens, "form": form})


@require_GET
def token_list(request):
    """List the user's own API tokens, with the form that makes one."""
    return _tokens_page(request, TokenForm())


@require_POST
def token_create(request):
    """
    Make a token and show it, this once: the page is the POST's answer, never
    stored nor cached, and only the token's digest is kept.
    """
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _tokens_page(request, form)
    token, secret = ApiToken.objects.issue(user=request.user, **form.cleaned_data)
    response = render(request, "account/token_created.html", {"token": token, "secret": secret})
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True, private=True)
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def token_revoke(request, token_id):
    """Ask, then revoke one of the user's own tokens; anyone else's is not found."""
    token = get_object_or_404(request.user.api_tokens.active(), pk=token_id)
    if request.method == "POST":
        token.revoke()
        messages.success(
            request, f"The token “{token.name}” is revoked: it is refused from now on."
        )
        return redirect("account_tokens")
    return render(request, "account/token_confirm_revoke.html", {"token": token})


def page_not_found(request, exception):
    """
    Django's 404 page, except under the API, whose clients read a problem
    (a path no route takes, such as /api/contacts/abc).
    """
    from ..api.problems import problem
    from ..api.site import prefix

    if request.path.startswith(prefix()):
        return problem(404, "No operation of the API has this path: see /api/docs/.")
    return defaults.page_not_found(request, exception)
