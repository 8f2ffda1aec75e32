"""The header's contact search: on every page a signed-in user sees, on none a visitor sees."""

import html
import re

import pytest

from .test_access import site_urls
from .test_headers import rows  # noqa: F401 (a fixture, shared with the policy tests)

pytestmark = pytest.mark.django_db

SEARCH = re.compile(
    r'<form class="site-search" method="get" action="/contacts/" role="search".*?</form>', re.S
)
VALUE = re.compile(r'<input type="search" id="site-search" name="q"[^>]*?value="([^"]*)"', re.S)


def header_search(response):
    """Return the query the header's search box shows, or None without a search box."""
    form = SEARCH.search(response.content.decode())
    if form is None:
        return None
    assert '<label for="site-search"' in form[0]
    return html.unescape(VALUE.search(form[0])[1])


def test_every_signed_in_page_has_the_header_search(admin_client, rows):  # noqa: F811
    pages = set()
    for url in sorted(site_urls(arguments=rows)):
        response = admin_client.get(url)
        # Downloads, fragments and feeds are not pages.
        if response.streaming or b"<html" not in response.content:
            continue
        assert header_search(response) == "", url
        assert "/static/crm/keys.js" in response.content.decode(), url
        pages.add(url)
    contact = f"/contacts/{rows['pk']}/"
    assert {"/", "/contacts/new/", contact, f"{contact}edit/", "/remotelog/groups/"} <= pages
    # Error pages too: a wrong address is no reason to lose the way back.
    assert header_search(admin_client.get("/no-such-page/")) == ""


def test_anonymous_pages_have_no_header_search(client):
    login = client.get("/accounts/login/")
    assert login.status_code == 200
    assert header_search(login) is None
    assert "keys.js" not in login.content.decode()
    assert 'id="shortcuts"' not in login.content.decode()
    assert header_search(client.get("/no-such-page/")) is None


@pytest.mark.parametrize("url", ["/", "/contacts/"])
def test_on_the_list_the_header_search_shows_the_query(logged_in_client, url):
    response = logged_in_client.get(url, {"q": 'Ada "<b>'})
    assert header_search(response) == 'Ada "<b>'
    assert "<b>" not in response.content.decode().split("</header>")[0]


def test_elsewhere_the_header_search_is_empty(logged_in_client):
    response = logged_in_client.get("/contacts/tags/", {"q": "Ada"})
    assert header_search(response) == ""


def test_the_shortcuts_are_listed_for_signed_in_users(logged_in_client):
    page = logged_in_client.get("/contacts/new/").content.decode()
    assert '<dialog class="shortcuts" id="shortcuts" aria-labelledby="shortcuts-title">' in page
    for key in ["/", "j", "k", "Enter", "n", "?", "Esc"]:
        assert f"<kbd>{key}</kbd>" in page, key
    assert "Keyboard shortcuts (?)" in page
