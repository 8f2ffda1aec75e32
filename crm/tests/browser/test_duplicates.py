"""Merging two duplicates in a real Chromium."""

import pytest
from playwright.sync_api import expect

from crm.models import Contact, Phone

pytestmark = pytest.mark.django_db(transaction=True)


def test_merge_two_duplicates(logged_in_page):
    page = logged_in_page
    keep = Contact.objects.create(name="Grace Hopper", email="grace@example.org")
    duplicate = Contact.objects.create(name="Grace  Hopper", notes="Admiral")
    duplicate.phones.add(Phone.objects.create(number="555 0142"))
    Contact.objects.create(name="Alan Turing")

    page.goto("/")
    page.get_by_role("link", name="Duplicates").click()
    group = page.locator(".duplicate-group", has_text="Same name: Grace Hopper")
    expect(group).to_be_visible()
    expect(page.locator(".duplicate-group")).to_have_count(1)
    group.get_by_role("link", name="Compare").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Merge two contacts")
    page.get_by_label("Admiral").check()
    page.get_by_role("button", name="Merge into Grace Hopper").click()

    expect(page.get_by_role("status").locator(".message-text")).to_have_text(
        "Merged Grace  Hopper into Grace Hopper."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Hopper")
    merged = Contact.objects.exclude(name="Alan Turing").get()
    assert (merged.pk, merged.email, merged.notes) == (keep.pk, "grace@example.org", "Admiral")
    assert list(merged.phones.values_list("number", flat=True)) == ["555 0142"]

    page.get_by_role("link", name="Duplicates").click()
    expect(page.get_by_text("No possible duplicates found.")).to_be_visible()
