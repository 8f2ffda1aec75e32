"""Login and logout on the real site say what happened."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def log_in(client, user, password):
    response = client.post(reverse("login"), {"username": user.username, "password": password})
    assert response.status_code == 302
    return response


def test_login_welcomes_the_user(client, user, password, shown):
    log_in(client, user, password)
    assert shown(client.get("/")) == ["Welcome, alice."]
    assert shown(client.get("/")) == []


def test_login_welcomes_by_full_name(client, make_user, password, shown):
    user = make_user("bob", first_name="Bob", last_name="Marley")
    log_in(client, user, password)
    assert shown(client.get("/")) == ["Welcome, Bob Marley."]


def test_a_failed_login_says_nothing_in_messages(client, user, shown):
    response = client.post(reverse("login"), {"username": user.username, "password": "nope"})
    assert response.status_code == 200
    assert shown(response) == []


def test_the_logout_message_reaches_the_anonymous_visitor_on_the_login_page(
    client, user, password, shown
):
    log_in(client, user, password)
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain == [(reverse("login"), 302)]
    # The welcome was never displayed: it waits too, and comes first.
    assert shown(response) == ["Welcome, alice.", "You have been logged out."]
    assert shown(client.get(reverse("login"))) == []
    assert client.get("/").status_code == 302  # logged out indeed
