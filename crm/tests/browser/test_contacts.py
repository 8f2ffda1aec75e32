"""The contact book in a real Chromium: create, find, edit, export, delete (to the trash)."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from crm.models import Contact, Phone

pytestmark = pytest.mark.django_db(transaction=True)


def test_contact_journey(logged_in_page):
    page = logged_in_page
    page.goto("/")
    page.get_by_role("link", name="New contact").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New contact")

    # The display name left empty is made from the name parts.
    page.get_by_label("Given name").fill("Grace")
    page.get_by_label("Family name").fill("Hopper")
    page.get_by_label("Organisation").fill("US Navy")
    page.fill("[name=emails-0-address]", "grace@navy.example")
    page.get_by_role("button", name="+ Add an email").click()
    page.fill("[name=emails-1-address]", "grace@home.example")
    # Ticking another email as primary unticks the first.
    page.check("[name=emails-1-primary]")
    page.check("[name=emails-0-primary]")
    expect(page.locator("[name=emails-1-primary]")).not_to_be_checked()
    page.fill("[name=urls-0-url]", "https://grace.example/cobol")
    page.fill("[name=dates-0-day]", "9")
    page.select_option("[name=dates-0-month]", "12")
    page.fill("[name=dates-0-year]", "1906")
    # Only another date has a label: a birthday is called a birthday.
    expect(page.locator("[name=dates-0-label]")).to_be_hidden()
    page.get_by_role("button", name="+ Add a date").click()
    expect(page.locator("[name=dates-1-label]")).to_be_hidden()
    page.select_option("[name=dates-1-kind]", "other")
    page.fill("[name=dates-1-label]", "Commissioned")
    page.fill("[name=dates-1-day]", "1")
    page.select_option("[name=dates-1-month]", "1")
    page.fill("[name=phones-0-number]", "(555) 867-5309")
    # JavaScript adds the second row in place, keeping what was typed.
    page.get_by_role("button", name="+ Add a phone").click()
    page.fill("[name=phones-1-number]", "+1 212 555 0100")
    page.select_option("[name=phones-1-label]", "office")
    expect(page.locator("[name=phones-0-number]")).to_have_value("(555) 867-5309")
    page.fill("[name=addresses-0-street]", "1 Navy Yard")
    page.fill("[name=addresses-0-city]", "Arlington")
    page.fill("[name=addresses-0-country]", "United States")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("Contact saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Hopper")
    phones = page.locator("#phones")
    expect(phones).to_contain_text("(555) 867-5309")
    expect(phones).to_contain_text("+1 212 555 0100")
    expect(page.locator("#addresses")).to_contain_text("Arlington")
    details = page.locator("#contact")
    expect(details).to_contain_text("US Navy")
    expect(details.locator(".emails li").first).to_contain_text("grace@navy.example")
    expect(details.locator(".emails li").first).to_contain_text("Primary")
    expect(details.get_by_role("link", name="https://grace.example/cobol")).to_have_attribute(
        "rel", "noopener noreferrer nofollow"
    )
    expect(details).to_contain_text("Commissioned: 1 January")
    expect(details).to_contain_text("Birthday: 9 December 1906")

    # Find her by a phone number typed with other punctuation.
    search = page.get_by_role("search", name="Contacts").get_by_role("searchbox")
    search.fill("555.867.53")
    search.press("Enter")
    rows = page.locator("table.contacts tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Arlington")

    # Export the search result as CSV and as vCard.
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    csv_text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Grace Hopper" in csv_text and "grace@navy.example" in csv_text
    with page.expect_download() as download:
        page.get_by_role("link", name="vCard").click()
    vcard = Path(download.value.path()).read_bytes().decode()
    assert vcard.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n") and "FN:Grace Hopper\r\n" in vcard

    # Edit: a new name, the office line removed.
    rows.get_by_role("link", name="Grace Hopper").click()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Display name").fill("Grace Brewster Hopper")
    page.locator(".phone-row").nth(1).get_by_label("Remove").check()
    expect(page.locator(".phone-row").nth(1)).to_have_class(re.compile("removed"))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Contact saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Brewster Hopper")
    expect(page.locator("#phones")).not_to_contain_text("+1 212 555 0100")

    # Her own vCard from her page.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download vCard").click()
    assert b"FN:Grace Brewster Hopper\r\n" in Path(download.value.path()).read_bytes()

    # Delete, after confirming: to the trash, whole.
    page.get_by_role("link", name="Move to trash").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Move Grace Brewster Hopper to the trash?"
    )
    page.get_by_role("button", name="Move to trash").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Grace Brewster Hopper was moved to the trash."
    )
    expect(page.get_by_text("The contact book is empty.")).to_be_visible()
    assert not Contact.objects.exists() and Phone.objects.exists()
