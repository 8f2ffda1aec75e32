"""Relating contacts in a real Chromium, with and without JavaScript."""

import pytest
from playwright.sync_api import expect

from crm.models import Contact, ContactRelationship, RelationshipType

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def contacts():
    for name in ["Colleague", "Friend", "Mentor"]:
        RelationshipType.objects.create(name=name, slug=name.lower())
    Contact.objects.create(name="Charlotte Brontë")
    return Contact.objects.create(name="Ada Lovelace"), Contact.objects.create(
        name="Charles Babbage"
    )


def test_relate_two_contacts_with_two_types_see_it_on_both_then_remove_it(logged_in_page, contacts):
    page = logged_in_page
    ada, charles = contacts
    page.goto(f"/contacts/{ada.pk}/")
    page.get_by_role("link", name="Relate to another contact").click()
    page.wait_for_load_state()

    # Search as you type: the results change without submitting the search.
    page.get_by_label("Find a contact").press_sequentially("charl")
    expect(page.get_by_label("Charlotte Brontë")).to_be_visible()
    page.get_by_label("Find a contact").press_sequentially("es")
    expect(page.get_by_label("Charlotte Brontë")).to_have_count(0)
    page.get_by_label("Charles Babbage").check()
    page.get_by_label("Colleague").check()
    page.get_by_label("Friend").check()
    page.get_by_role("button", name="Relate").click()

    expect(page.get_by_role("status").locator(".message-text")).to_have_text(
        "Ada Lovelace and Charles Babbage are now related as Colleague, Friend."
    )
    relationship = page.locator(".relationship", has_text="Charles Babbage")
    expect(relationship.locator(".tag")).to_have_text(["Colleague", "Friend"])

    relationship.get_by_role("link", name="Charles Babbage", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Charles Babbage")
    relationship = page.locator(".relationship", has_text="Ada Lovelace")
    expect(relationship.locator(".tag")).to_have_text(["Colleague", "Friend"])

    relationship.get_by_role("button", name="Remove the relationship with Ada Lovelace").click()
    expect(page.get_by_role("status").locator(".message-text")).to_have_text(
        "Charles Babbage and Ada Lovelace are no longer related."
    )
    expect(page.locator(".relationship")).to_have_count(0)
    page.goto(f"/contacts/{ada.pk}/")
    expect(page.get_by_text("No relationships.")).to_be_visible()
    assert not ContactRelationship.objects.exists()


def test_relating_works_without_javascript(browser, live_server, user, password, contacts):
    ada, charles = contacts
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.goto(f"/contacts/{ada.pk}/relationships/add/")
        page.get_by_label("Find a contact").fill("babbage")
        page.get_by_role("button", name="Search").click()
        page.get_by_label("Charles Babbage").check()
        page.get_by_label("Mentor").check()
        page.get_by_role("button", name="Relate").click()
        expect(page.get_by_role("status").locator(".message-text")).to_have_text(
            "Ada Lovelace and Charles Babbage are now related as Mentor."
        )
    finally:
        context.close()
    assert ContactRelationship.objects.count() == 2
