"""The contact form's duplicate warning in a real Chromium: any typed email matches."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from crm.models import Contact
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db(transaction=True)


def test_typing_an_existing_email_shows_the_match_then_save_anyway_saves(logged_in_page):
    page = logged_in_page
    ada = make_contact("Ada Costa", emails=["ada@home.example", "ada@work.example"])
    page.goto("/contacts/new/")
    page.get_by_label("Given name").fill("Adele")
    page.get_by_label("Family name").fill("Costa-Lima")
    page.fill("[name=emails-0-address]", "adele@example.org")
    page.get_by_role("button", name="+ Add an email").click()
    page.fill("[name=emails-1-address]", "ADA@work.example")
    page.get_by_role("button", name="Save", exact=True).click()

    warning = page.get_by_role("alert")
    expect(warning).to_contain_text("this looks like another contact")
    expect(warning).to_contain_text("Same email: ada@work.example")
    expect(warning.get_by_role("link", name="Ada Costa")).to_have_attribute(
        "href", ada.get_absolute_url()
    )
    # Nothing to merge with before the contact exists; what was typed is kept.
    expect(warning.get_by_role("link", name="Merge")).to_have_count(0)
    expect(page.locator("[name=emails-1-address]")).to_have_value("ADA@work.example")
    expect(page.get_by_label("Family name")).to_have_value("Costa-Lima")
    assert Contact.objects.count() == 1

    page.get_by_role("button", name="Save anyway").click()
    expect(page.get_by_role("status")).to_contain_text("Contact saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Adele Costa-Lima")
    adele = Contact.objects.get(family_name="Costa-Lima")
    assert sorted(adele.emails.values_list("address", flat=True)) == [
        "ADA@work.example",
        "adele@example.org",
    ]


def test_editing_into_a_duplicate_offers_to_merge(logged_in_page):
    page = logged_in_page
    ada = make_contact("Ada Costa", emails=["ada@home.example", "ada@work.example"])
    other = make_contact("A. Costa", email="a.costa@example.org")
    page.goto(f"/contacts/{other.pk}/edit/")
    page.fill("[name=emails-1-address]", "ada@home.example")
    page.get_by_role("button", name="Save", exact=True).click()

    warning = page.get_by_role("alert")
    expect(warning).to_contain_text("Same email: ada@home.example")
    warning.get_by_role("link", name="Merge").click()
    merge = reverse("crm:contact_merge", args=[ada.pk, other.pk])
    expect(page).to_have_url(re.compile(re.escape(merge) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Merge two contacts")
    assert not other.emails.filter(address="ada@home.example").exists()


def test_the_match_appears_while_typing(logged_in_page):
    page = logged_in_page
    ada = make_contact("Ada Costa", emails=["ada@example.org"])
    page.goto("/contacts/new/")
    page.get_by_label("Given name").fill("Adele")
    live = page.locator("#live-duplicates")
    page.fill("[name=emails-0-address]", "Ada@Example.org")
    expect(live).to_contain_text("Same email: ada@example.org")
    expect(live.get_by_role("link", name="Ada Costa")).to_have_attribute(
        "href", ada.get_absolute_url()
    )
    page.fill("[name=emails-0-address]", "adele@example.org")
    expect(live).to_be_empty()
    assert Contact.objects.count() == 1
