"""Friendly error pages, in the site's layout, with the right status codes."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.views import defaults

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_a_friendly_404(logged_in_client):
    response = logged_in_client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b"/static/crm/site.css" in response.content


def test_an_unknown_host_is_a_friendly_400(client):
    response = client.get("/accounts/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert b"Bad request" in response.content


def test_a_form_without_its_token_is_a_friendly_403(user, password):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": user.username, "password": password})
    assert response.status_code == 403
    assert b"Form expired" in response.content


def test_permission_denied_is_a_friendly_403(rf: RequestFactory, user):
    request = rf.get("/")
    request.user = user
    response = defaults.permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert b"Not allowed" in response.content


def test_a_server_error_is_a_friendly_500_that_needs_no_context(rf: RequestFactory):
    # Django renders it without a request context: it must not need one.
    response = defaults.server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"/static/crm/site.css" in response.content
