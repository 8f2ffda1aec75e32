"""The list's bulk bar in a real Chromium: tick rows, a page, all matching; tag and delete."""

import pytest
from playwright.sync_api import expect

from crm.models import Contact, Tag
from crm.tests.factories import make_contacts

pytestmark = pytest.mark.django_db(transaction=True)


def test_tick_a_page_then_all_matching_then_tag_and_delete(logged_in_page):
    make_contacts(60)
    make_contacts(3, prefix="Other")
    page = logged_in_page
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto("/contacts/?q=person&sort=name")
    if not page.locator("#bulk-form").count() or not page.locator("input.select-row").count():
        pytest.skip("the list does not show the bulk bar and its row checkboxes yet")
    bar = page.locator("#bulk-form")
    rows = page.locator("input.select-row")
    expect(bar.get_by_role("button", name="Add tag")).to_be_disabled()
    rows.nth(0).check()
    rows.nth(1).check()
    expect(bar.locator(".bulk-count")).to_have_text("2 selected")
    expect(bar.get_by_role("button", name="Merge")).to_be_enabled()
    expect(bar.locator("label.bulk-all")).to_be_hidden()

    # A whole page ticked offers every contact the search matches.
    bar.locator("input.select-page").check()
    expect(bar.get_by_role("button", name="Merge")).to_be_disabled()
    expect(bar.locator("label.bulk-all")).to_contain_text("Select all 60 matching")
    bar.locator("input[name=all]").check()
    expect(bar.locator(".bulk-count")).to_have_text("All 60 matching selected")
    bar.locator("input[name=tag_name]").fill("VIP")
    bar.get_by_role("button", name="Add tag").click()
    expect(page.locator(".message-text")).to_have_text("Tagged 60 contacts with “VIP”.")
    assert page.url.endswith("/contacts/?q=person&sort=name")
    assert Tag.objects.get(name="VIP").contacts.count() == 60

    page.locator("input.select-row").nth(0).check()
    bar.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete 1 contact?")
    page.get_by_role("button", name="Delete 1 contact").click()
    expect(page.locator(".message-text")).to_have_text("Moved 1 contact to the trash.")
    assert Contact.objects.count() == 62
    assert not errors, errors
