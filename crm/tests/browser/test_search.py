"""Search by words in a real Chromium: the matches marked in the list."""

import pytest
from playwright.sync_api import expect

from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_search_marks_its_matches_in_the_list(logged_in_page):
    make_contact("José Müller", email="jose@mueller.example", addresses=["Zürich"])
    make_contact("<b>Ada</b> Lovelace", phones=["(212) 555-0143"])
    page = logged_in_page
    page.goto("/")
    page.get_by_role("searchbox").fill("MULLER zurich jose")
    page.get_by_role("searchbox").press("Enter")
    rows = page.locator("table.contacts tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator("mark")).to_have_text(["José", "Müller", "jose", "Zürich"])

    page.get_by_role("searchbox").fill("ada 555 0143")
    page.get_by_role("searchbox").press("Enter")
    expect(rows).to_have_count(1)
    # The name's markup is shown as typed, not run.
    expect(rows.get_by_role("link").first).to_have_text("<b>Ada</b> Lovelace")
    expect(rows.locator("mark")).to_have_text(["Ada", "555", "0143"])

    page.get_by_role("searchbox").fill("&&& ---")
    page.get_by_role("searchbox").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("has no letters or digits")
