"""Reassigning a deactivated user's contacts in a real Chromium: filter by owner, assign all."""

import pytest
from playwright.sync_api import expect

from crm.models import Change, Contact
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db(transaction=True)


def test_filter_by_a_deactivated_owner_then_assign_all_matching(logged_in_page, make_user):
    gone, bob = make_user("gone"), make_user("bob")
    for i in range(3):
        make_contact(f"Client {i}", owner=gone)
    make_contact("Not theirs")
    gone.is_active = False
    gone.save()
    page = logged_in_page
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto("/contacts/")
    page.locator("details.filters summary").click()
    page.locator("details.filters").get_by_label("Owner").select_option(label="gone, deactivated")
    page.locator("details.filters").get_by_role("button", name="Show").click()
    expect(page.locator(".chip")).to_contain_text("gone, deactivated")
    bar = page.locator("#bulk-form")
    bar.locator("input.select-page").check()
    bar.get_by_label("New owner").select_option(label="bob")
    bar.get_by_role("button", name="Assign").click()
    expect(page.locator(".message-text")).to_have_text("Assigned 3 contacts: owner bob.")
    assert Contact.objects.filter(owner=bob).count() == 3
    assert Change.objects.filter(kind="owner", source="bulk").count() == 3
    assert not errors, errors
