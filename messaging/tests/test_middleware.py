"""request.messages, and messages carried to pages updated in the background."""

import json

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse

from messaging.middleware import MessageMiddleware

pytestmark = [pytest.mark.django_db, pytest.mark.urls("messaging.tests.urls")]

SHOW = "/messaging-tests/show/"
ADD = "/messaging-tests/add/"
ASK = {"X-Messages-Accept": "1"}


def header_messages(response):
    return json.loads(response["X-Messages"])


def test_a_request_that_does_not_use_messages_reads_and_writes_nothing(rf):
    request = rf.get("/")
    request.session = SessionStore()
    response = MessageMiddleware(lambda request: HttpResponse("ok"))(request)
    assert request.session.accessed is False
    assert "messages" not in response.cookies


def test_a_head_request_displays_nothing(client, shown):
    client.get(ADD, {"text": "Still here."})
    assert client.head(SHOW).status_code == 200
    assert shown(client.get(SHOW)) == ["Still here."]


def test_request_messages_counts_and_indexes_and_indexing_displays(client, shown):
    client.get(ADD, {"text": ["One.", "Two.", "Three."]})
    assert client.get("/messaging-tests/inspect/").json() == {
        "len": 3,
        "truthy": True,
        "first": "One.",
    }
    # len() and truthiness displayed nothing; reading message 0 displayed it.
    assert shown(client.get(SHOW)) == ["Two.", "Three."]
    assert client.get("/messaging-tests/inspect/").json() == {
        "len": 0,
        "truthy": False,
        "first": None,
    }


def test_a_background_request_that_asks_gets_the_messages_in_a_header(client, shown):
    client.get(ADD, {"text": "Pending."})
    response = client.post("/messaging-tests/note/", headers=ASK)
    assert response.json() == {"ok": True}
    assert header_messages(response) == [
        {"level": 20, "level_tag": "info", "tags": "info", "html": "Pending."},
        {
            "level": 25,
            "level_tag": "success",
            "tags": "success",
            "html": "Noted in the background.",
        },
    ]
    assert "X-Messages-Accept" in response["Vary"]
    assert "no-cache" in response["Cache-Control"]
    assert shown(client.get(SHOW)) == []


def test_a_background_request_that_does_not_ask_leaves_the_messages(client, shown):
    client.get(ADD, {"text": "Pending."})
    response = client.post("/messaging-tests/note/")
    assert "X-Messages" not in response
    response = client.get("/messaging-tests/untouched/")
    assert "X-Messages" not in response
    assert shown(client.get(SHOW)) == ["Pending.", "Noted in the background."]


def test_a_redirect_never_carries_the_messages(client, shown):
    response = client.get(ADD, {"text": "Saved."}, headers=ASK)
    assert response.status_code == 302
    assert "X-Messages" not in response
    response = client.get("/messaging-tests/untouched/", headers=ASK)
    assert [message["html"] for message in header_messages(response)] == ["Saved."]


def test_the_header_escapes_text_and_keeps_format_html_markup(client):
    client.get("/messaging-tests/add-markup/")
    response = client.get("/messaging-tests/untouched/", headers=ASK)
    assert [message["html"] for message in header_messages(response)] == [
        "&lt;script&gt;alert(&#x27;hi&#x27;)&lt;/script&gt;",
        "<strong>Bold &amp; &lt;b&gt;escaped&lt;/b&gt;</strong> kept",
    ]


def test_messages_too_large_for_the_header_wait_for_the_next_page(client, shown, noise):
    long_text = noise(10_000)
    client.post(ADD, {"text": ["Short.", long_text, "After."]})
    response = client.get("/messaging-tests/untouched/", headers=ASK)
    # Order is kept: what follows the long message waits with it.
    assert [message["html"] for message in header_messages(response)] == ["Short."]
    assert len(response["X-Messages"]) <= MessageMiddleware.max_header_size
    assert shown(client.get(SHOW)) == [long_text, "After."]
