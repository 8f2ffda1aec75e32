"""The trash in a real Chromium: delete a contact, find it in the trash, restore it."""

import pytest
from playwright.sync_api import expect

from crm.models import Contact
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_deleted_contact_is_restored_from_the_trash(logged_in_page):
    page = logged_in_page
    ada = make_contact("Ada Lovelace", phones=["555 0100"], email="ada@example.org")
    make_contact("Charles Babbage")
    page.goto(ada.get_absolute_url())
    page.get_by_role("link", name="Move to trash").click()
    page.get_by_role("button", name="Move to trash").click()
    message = page.get_by_role("status")
    expect(message).to_contain_text("Ada Lovelace was moved to the trash.")
    expect(page.locator(".contacts")).not_to_contain_text("Ada Lovelace")

    # The message links to the trash, where she is, with who put her there.
    message.get_by_role("link", name="trash").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Trash")
    row = page.get_by_role("row").filter(has_text="Ada Lovelace")
    expect(row).to_contain_text("alice")
    expect(page.get_by_role("row")).to_have_count(2)  # the header and Ada
    row.get_by_role("button", name="Restore Ada Lovelace").click()

    expect(page.get_by_role("status")).to_contain_text("Ada Lovelace is back.")
    expect(page.get_by_text("The trash is empty.")).to_be_visible()
    page.get_by_role("status").get_by_role("link", name="Ada Lovelace").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
    expect(page.locator("#phones")).to_contain_text("555 0100")
    assert Contact.objects.get(pk=ada.pk).emails.get().address == "ada@example.org"
