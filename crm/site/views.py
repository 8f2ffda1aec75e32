"""The site's login and logout pages, saying what happened."""

from django.contrib import messages
from django.contrib.auth import views as auth_views


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
