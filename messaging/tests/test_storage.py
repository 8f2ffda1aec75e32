"""What visitors see of their messages across requests: the storage's guarantees."""

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("messaging.tests.urls")]

SHOW = "/messaging-tests/show/"
ADD = "/messaging-tests/add/"


@pytest.fixture
def sixty(noise):
    return [f"Message {number:02d}: {noise(40, seed=number)}" for number in range(1, 61)]


def test_a_message_survives_three_redirects_and_shows_once(client, shown):
    response = client.get(
        ADD, {"text": "Made it.", "next": "/messaging-tests/redirect/3/"}, follow=True
    )
    assert [url for url, _ in response.redirect_chain] == [
        "/messaging-tests/redirect/3/",
        "/messaging-tests/redirect/2/",
        "/messaging-tests/redirect/1/",
        SHOW,
    ]
    assert shown(response) == ["Made it."]
    assert shown(client.get(SHOW)) == []


def test_messages_added_where_they_are_not_rendered_show_on_the_next_page(client, shown):
    response = client.get("/messaging-tests/add-silently/")
    assert response.content == b"Done."
    # Any number of requests that do not show messages leave them alone.
    client.get("/messaging-tests/untouched/")
    client.get("/messaging-tests/untouched/")
    assert shown(client.get(SHOW)) == ["Added quietly.", "Also quietly."]
    assert shown(client.get(SHOW)) == []


def test_only_the_messages_displayed_are_removed(client, shown):
    client.get(ADD, {"text": ["One.", "Two.", "Three.", "Four.", "Five."]})
    first_page = client.get("/messaging-tests/show-first-two/")
    assert first_page.content.decode() == '<p class="shown">One.</p><p class="shown">Two.</p>'
    assert shown(client.get(SHOW)) == ["Three.", "Four.", "Five."]
    assert shown(client.get(SHOW)) == []


def test_new_messages_queue_behind_the_ones_not_yet_displayed(client, shown):
    client.get(ADD, {"text": ["One.", "Two.", "Three."]})
    client.get("/messaging-tests/show-first-two/")
    client.get(ADD, {"text": "Later."})
    assert shown(client.get(SHOW)) == ["Three.", "Later."]


def test_sixty_messages_overflow_to_the_session_and_arrive_in_order(client, shown, sixty):
    client.post(ADD, {"text": sixty})
    # Far more than the 2 KB the cookie may hold: the rest went to the session.
    assert len(client.cookies["messages"].value) <= 2048
    assert "_messages" in client.session
    client.get("/messaging-tests/show-first-two/")
    assert shown(client.get(SHOW)) == sixty[2:]
    assert shown(client.get(SHOW)) == []
    assert client.cookies["messages"].value == ""
    assert "_messages" not in client.session


def test_a_ten_kilobyte_message_falls_back_to_the_session_in_order(client, shown, noise):
    long_text = noise(10_000)
    client.post(ADD, {"text": ["Before.", long_text, "After."]})
    assert len(client.cookies["messages"].value) <= 2048
    assert "_messages" in client.session
    assert shown(client.get(SHOW)) == ["Before.", long_text, "After."]
    assert shown(client.get(SHOW)) == []


def test_messages_added_with_contrib_messages_join_the_same_list(client, shown):
    client.get("/messaging-tests/add-both-ways/")
    assert shown(client.get(SHOW)) == [
        "Through messaging.",
        "Through django.contrib.messages.",
    ]


def test_anonymous_visitors_get_messages(client, shown):
    response = client.get(ADD, {"text": "Hello, visitor."}, follow=True)
    assert shown(response) == ["Hello, visitor."]


def test_same_user_in_two_browsers_never_sees_the_other_browsers_messages(
    user, password, shown, noise
):
    browser_a, browser_b = Client(), Client()
    for browser in (browser_a, browser_b):
        response = browser.post(
            "/accounts/login/", {"username": user.username, "password": password}
        )
        assert response.status_code == 302
        browser.get(SHOW)  # the welcome message

    # Long messages too, so that the session part is checked as well as the cookie.
    long_a, long_b = noise(3000, seed=1), noise(3000, seed=2)
    browser_a.post(ADD, {"text": ["From A.", long_a]})
    browser_b.post(ADD, {"text": ["From B.", long_b]})
    assert shown(browser_b.get(SHOW)) == ["From B.", long_b]
    assert shown(browser_a.get(SHOW)) == ["From A.", long_a]
    assert shown(browser_b.get(SHOW)) == []
