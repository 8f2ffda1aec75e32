"""A contact's history in a real Chromium: undo a merge, restore a moment."""

import pytest
from playwright.sync_api import expect

from crm.models import Contact
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db(transaction=True)


def test_undo_a_merge_from_the_history(logged_in_page):
    page = logged_in_page
    keep = make_contact("Grace Hopper", email="grace@example.org")
    duplicate = make_contact(
        "Grace Brewster Hopper", email="amazing@example.org", phones=["555 0142"]
    )

    page.goto(f"/contacts/merge/{keep.pk}/{duplicate.pk}/")
    page.get_by_role("button", name="Merge into Grace Hopper").click()
    expect(page.get_by_role("status").locator(".message-text")).to_contain_text("Merged")
    assert not Contact.objects.filter(pk=duplicate.pk).exists()

    page.get_by_role("link", name="All changes, restore, undo →").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("History of Grace Hopper")
    expect(page.locator(".operation").first).to_contain_text("Added the email amazing@example.org")
    page.get_by_role("button", name="Undo merge").first.click()

    expect(page.get_by_role("status").locator(".message-text")).to_have_text(
        "The change is undone."
    )
    back = Contact.objects.get(pk=duplicate.pk)
    assert list(back.emails.values_list("address", flat=True)) == ["amazing@example.org"]
    assert list(back.phones.values_list("number", flat=True)) == ["555 0142"]
    assert list(Contact.objects.get(pk=keep.pk).emails.values_list("address", flat=True)) == [
        "grace@example.org"
    ]


def test_restore_an_edit_from_the_history(logged_in_page):
    page = logged_in_page
    ada = make_contact("Ada Lovelace")
    page.goto(f"/contacts/{ada.pk}/edit/")
    page.get_by_label("Job title").fill("Countess")
    page.get_by_role("button", name="Save").click()
    page.goto(f"/contacts/{ada.pk}/edit/")
    page.get_by_label("Job title").fill("<script>alert(1)</script>")
    page.get_by_role("button", name="Save").click()

    page.goto(f"/contacts/{ada.pk}/history/")
    expect(page.locator(".operation").first).to_contain_text("<script>alert(1)</script>")
    page.locator(".operation").nth(1).get_by_role("button", name="Restore to this point").click()
    expect(page.get_by_role("status").locator(".message-text")).to_contain_text(
        "Ada Lovelace is restored to how it was"
    )
    assert Contact.objects.get(pk=ada.pk).job_title == "Countess"
