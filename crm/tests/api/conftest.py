"""
Fixtures of the API's tests: personal tokens, and clients that send them,
one user of each role (crm.roles).
"""

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from crm.models import ApiToken
from crm.roles import ROLES, role_set


def bearer(secret: str) -> dict:
    """Return the headers that send the personal token ``secret``."""
    return {"Authorization": f"Bearer {secret}"}


def api_client(secret: str) -> Client:
    """Return a test client sending the personal token ``secret`` with every request."""
    return Client(headers=bearer(secret))


@pytest.fixture
def token_for(db):
    """
    Return a function making a personal token for a user, read and write
    unless ``write=False``, and returning its secret.
    """

    def token_for(user, write=True, name="tests"):
        scope = ApiToken.Scope.WRITE if write else ApiToken.Scope.READ
        return ApiToken.objects.issue(user=user, name=name, scope=scope)[1]

    return token_for


@pytest.fixture
def role_users(django_user_model):
    """
    Return a user of each role, by role name (``viewers``, ``editors``,
    ``managers``), without a password: they use tokens (and hashing a
    password is slow).
    """
    users = {}
    for role in ROLES:
        users[role] = django_user_model.objects.create_user(f"api-{role}")
        role_set(user=users[role], role=role)
    return users


@pytest.fixture
def api_clients(role_users, token_for):
    """Return a client with a read and write token of each role's user, by role name."""
    return {role: api_client(token_for(user)) for role, user in role_users.items()}


@pytest.fixture
def connection_kept():
    """
    Keep the test's connection, and so its transaction, through each request
    schemathesis sends to the site's WSGI application, as Django's test
    client does.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
