"""Flash messages in a real Chromium: after a redirect, on reload, dismissed, in the background."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

SHOW = "/messaging-tests/show/"


def texts(page):
    """Return a locator of the texts of the messages announced on ``page``."""
    return page.get_by_role("status").locator(".message-text")


@pytest.mark.urls("messaging.tests.urls")
def test_a_save_shows_its_message_once_and_the_close_button_dismisses(page):
    page.goto("/messaging-tests/save-form/")
    page.get_by_label("Name").fill("Ada")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(SHOW))
    expect(texts(page)).to_have_text(["Saved Ada."])

    page.reload()
    expect(page.get_by_role("heading", name="Messages page")).to_be_visible()
    expect(page.get_by_role("status")).to_have_count(0)

    page.goto("/messaging-tests/save-form/")
    page.get_by_label("Name").fill("Grace")
    page.get_by_role("button", name="Save").click()
    message = page.get_by_role("status").filter(has_text="Saved Grace.")
    expect(message).to_be_visible()
    message.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_role("status")).to_have_count(0)
    expect(page.locator("[data-messages]")).to_have_count(0)


@pytest.mark.urls("messaging.tests.urls")
def test_background_requests_show_messages_only_when_they_ask(page):
    page.goto("/messaging-tests/save-form/")
    # A plain fetch() does not ask: its messages wait for the next page.
    page.evaluate("fetch('/messaging-tests/add-silently/').then((r) => r.text())")
    expect(page.get_by_role("status")).to_have_count(0)

    # messaging.fetch() asks, and shows what comes back: the waiting ones first.
    # (Called from here: the site's Content-Security-Policy allows no onclick="".)
    page.evaluate(
        "messaging.fetch('/messaging-tests/note/', {method: 'POST', headers: {'X-CSRFToken':"
        " document.querySelector('[name=csrfmiddlewaretoken]').value}})"
    )
    expect(texts(page)).to_have_text(
        ["Added quietly.", "Also quietly.", "Noted in the background."]
    )
    page.get_by_role("status").first.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_role("status")).to_have_count(2)

    # Shown in the page already, so not again.
    page.goto(SHOW)
    expect(page.get_by_role("heading", name="Messages page")).to_be_visible()
    expect(page.get_by_role("status")).to_have_count(0)


def test_login_welcomes_and_the_logout_message_reaches_the_login_page(logged_in_page):
    page = logged_in_page
    expect(texts(page)).to_have_text(["Welcome, alice."])
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(texts(page)).to_have_text(["You have been logged out."])
    page.reload()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_role("status")).to_have_count(0)


def test_saving_a_contact_says_saved_once_and_the_message_can_be_dismissed(logged_in_page):
    page = logged_in_page
    page.goto("/contacts/new/")
    page.get_by_label("Display name").fill("Ada Lovelace")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
    saved = page.get_by_role("status").filter(has_text="Contact saved.")
    expect(saved).to_have_count(1)

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
    expect(page.get_by_role("status").filter(has_text="Contact saved.")).to_have_count(0)

    page.get_by_role("link", name="Edit").click()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(saved).to_have_count(1)
    saved.get_by_role("button", name="Dismiss").click()
    expect(saved).to_have_count(0)
