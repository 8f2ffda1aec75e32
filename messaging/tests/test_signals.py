"""Messages kept in the session survive logout, which flushes it (signals.py)."""

import pytest
from django.urls import reverse

from crm.tests.site.test_views import log_in

pytestmark = pytest.mark.django_db


@pytest.mark.urls("messaging.tests.urls")
def test_pending_messages_kept_in_the_session_survive_logout(client, user, password, shown, noise):
    log_in(client, user, password)
    client.get("/")  # shows the welcome
    # Too long for the cookie: kept in the session that logging out flushes.
    long_text = noise(5000)
    client.post("/messaging-tests/add/", {"text": ["Short.", long_text]})
    assert "_messages" in client.session
    session_before = client.cookies["sessionid"].value
    response = client.post(reverse("logout"), follow=True)
    assert client.cookies["sessionid"].value != session_before
    assert shown(response) == ["Short.", long_text, "You have been logged out."]
