"""The timeline in a real Chromium: a note, a meeting with three contacts, a follow-up."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crm.models import Contact

pytestmark = pytest.mark.django_db(transaction=True)


def test_add_a_note_and_see_it(logged_in_page):
    page = logged_in_page
    ada = Contact.objects.create(name="Ada Lovelace")
    page.goto(f"/contacts/{ada.pk}/")
    timeline = page.locator("#timeline")
    expect(timeline.get_by_text("Nothing in the timeline yet.")).to_be_visible()
    timeline.get_by_label("Text").fill("Asked about the <Analytical Engine>")
    timeline.get_by_role("button", name="Add to the timeline").click()
    expect(page.get_by_role("status").locator(".message-text")).to_have_text("Note saved.")
    entry = page.locator("#timeline .entry")
    expect(entry).to_have_count(1)
    expect(entry.locator(".entry-text")).to_have_text("Asked about the <Analytical Engine>")
    expect(entry.locator(".tag")).to_have_text("Note")


def test_a_meeting_with_three_contacts_shows_on_all_three_and_its_follow_up_at_home(
    logged_in_page,
):
    page = logged_in_page
    ada, charles, grace = (
        Contact.objects.create(name=name)
        for name in ["Ada Lovelace", "Charles Babbage", "Grace Hopper"]
    )
    page.goto(f"/contacts/{ada.pk}/")
    timeline = page.locator("#timeline")
    timeline.get_by_label("Kind").select_option("Meeting")
    timeline.get_by_label("Text").fill("Planning the engine")
    timeline.get_by_label("Follow up on").fill(timezone.localdate().isoformat())
    # Find the others: the page comes back with what was typed and the contacts found.
    timeline.get_by_label("Find others who took part").fill("babbage")
    timeline.get_by_role("button", name="Find").click()
    page.get_by_label("Charles Babbage").check()
    page.get_by_label("Find others who took part").fill("hopper")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_label("Charles Babbage")).to_be_checked()
    page.get_by_label("Grace Hopper").check()
    expect(page.get_by_label("Text")).to_have_value("Planning the engine")
    page.get_by_role("button", name="Add to the timeline").click()
    expect(page.get_by_role("status").locator(".message-text")).to_have_text("Meeting saved.")

    for contact, others in [
        (ada, "with Charles Babbage, Grace Hopper"),
        (charles, "with Ada Lovelace, Grace Hopper"),
        (grace, "with Ada Lovelace, Charles Babbage"),
    ]:
        page.goto(f"/contacts/{contact.pk}/")
        entry = page.locator("#timeline .entry")
        expect(entry.locator(".entry-text")).to_have_text("Planning the engine")
        expect(entry.locator(".entry-with")).to_have_text(others)

    page.goto("/")
    follow_up = page.locator("#follow-ups .follow-up")
    expect(follow_up).to_contain_text("Planning the engine")
    follow_up.get_by_role("button", name="Done").click()
    expect(page.get_by_role("status").locator(".message-text")).to_have_text(
        "Follow-up with Ada Lovelace done."
    )
    expect(page.locator("#follow-ups")).to_have_count(0)
