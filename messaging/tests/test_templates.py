"""The messages partial: escaped text, a class per level, roles for screen readers."""

import re

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("messaging.tests.urls")]

SHOW = "/messaging-tests/show/"


def items(response):
    return re.findall(r"<li [^>]*>", response.content.decode())


def test_a_script_in_a_message_is_escaped_and_format_html_markup_is_kept(client):
    page = client.get("/messaging-tests/add-markup/", follow=True).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;hi&#x27;)&lt;/script&gt;" in page
    assert "<strong>Bold &amp; &lt;b&gt;escaped&lt;/b&gt;</strong> kept" in page


def test_each_message_has_its_level_as_class_and_a_role(client):
    client.get("/messaging-tests/add/", {"text": "Saved.", "level": "success"})
    client.get("/messaging-tests/add/", {"text": "Careful.", "level": "warning"})
    client.get("/messaging-tests/add/", {"text": "Failed.", "level": "error"})
    response = client.get(SHOW)
    assert items(response) == [
        '<li class="message success" role="status">',
        '<li class="message warning" role="status">',
        '<li class="message error" role="alert">',
    ]
    page = response.content.decode()
    assert page.count('<button type="button" class="dismiss" data-dismiss-message') == 3
    assert '<script src="/static/messaging/messages.js" defer></script>' in page


def test_a_page_without_messages_has_no_list(client):
    assert 'class="messages"' not in client.get(SHOW).content.decode()
