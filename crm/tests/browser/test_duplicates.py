"""Merging two duplicates in a real Chromium."""

import pytest
from playwright.sync_api import expect

from crm.models import Contact
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db(transaction=True)


def test_merge_two_duplicates(logged_in_page):
    page = logged_in_page
    keep = make_contact(
        "Grace Hopper",
        email="grace@example.org",
        emails=["hopper@navy.example.mil"],
        job_title="Rear admiral",
    )
    make_contact(
        "Grace Brewster Hopper",
        email="amazing@example.org",
        emails=["Hopper@navy.example.mil"],
        job_title="Computer scientist",
        notes="Wrote the first compiler.",
        phones=["555 0142"],
    )
    make_contact("Alan Turing", email="alan@example.org")

    page.goto("/")
    page.get_by_role("link", name="Duplicates").click()
    # A secondary address in common, in any case, is enough.
    group = page.locator(".duplicate-group", has_text="Same email: hopper@navy.example.mil")
    expect(group).to_be_visible()
    expect(page.locator(".duplicate-group")).to_have_count(1)
    group.get_by_role("link", name="Compare").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Merge two contacts")
    expect(page.get_by_label("Rear admiral")).to_be_checked()
    expect(page.get_by_label("grace@example.org")).to_be_checked()
    page.get_by_label("Grace Brewster Hopper").check()
    page.get_by_label("amazing@example.org").check()
    page.get_by_role("button", name="Merge into Grace Hopper").click()

    expect(page.get_by_role("status").locator(".message-text")).to_have_text(
        "Merged Grace Brewster Hopper into Grace Hopper."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Brewster Hopper")
    merged = Contact.objects.exclude(name="Alan Turing").get()
    assert (merged.pk, merged.job_title, merged.notes) == (
        keep.pk,
        "Rear admiral",
        "Wrote the first compiler.",
    )
    assert list(merged.emails.values_list("address", "primary")) == [
        ("amazing@example.org", True),
        ("grace@example.org", False),
        ("hopper@navy.example.mil", False),
    ]
    assert list(merged.phones.values_list("number", flat=True)) == ["555 0142"]

    page.get_by_role("link", name="Duplicates").click()
    expect(page.get_by_text("No possible duplicates found.")).to_be_visible()
