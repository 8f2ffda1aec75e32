"""Merging two duplicates in a real Chromium."""

import pytest
from playwright.sync_api import expect

from crm.models import Contact, Email
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


def test_a_new_contact_with_an_existing_email_is_shown_the_match_then_saved_anyway(
    logged_in_page,
):
    page = logged_in_page
    ada = make_contact("Ada Costa", email="ada@example.org")
    page.goto("/contacts/new/")
    page.get_by_label("Name").fill("Ada C.")
    page.get_by_label("Email").fill("Ada@Example.org")
    page.get_by_role("button", name="Save", exact=True).click()

    warning = page.get_by_role("alert")
    expect(warning).to_contain_text("this looks like another contact")
    expect(warning).to_contain_text("Same email: ada@example.org")
    expect(warning.get_by_role("link", name="Ada Costa")).to_have_attribute(
        "href", ada.get_absolute_url()
    )
    expect(warning.get_by_role("link", name="Merge")).to_have_count(0)
    expect(page.get_by_label("Name")).to_have_value("Ada C.")
    assert Contact.objects.count() == 1

    page.get_by_role("button", name="Save anyway").click()
    expect(page.get_by_role("status")).to_contain_text("Contact saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada C.")
    assert Email.objects.filter(address__iexact="ada@example.org").count() == 2


def test_editing_into_a_duplicate_offers_to_merge(logged_in_page):
    page = logged_in_page
    make_contact("Ada Costa", email="ada@example.org")
    other = make_contact("A. Costa")
    page.goto(f"/contacts/{other.pk}/edit/")
    page.get_by_label("Name").fill("Adá  costa")
    page.get_by_role("button", name="Save", exact=True).click()

    warning = page.get_by_role("alert")
    expect(warning).to_contain_text("Same name: Ada Costa")
    warning.get_by_role("link", name="Merge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Merge two contacts")
    assert Contact.objects.get(pk=other.pk).name == "A. Costa"
