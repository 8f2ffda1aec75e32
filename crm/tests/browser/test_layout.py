"""Every page of the contact book fits a phone's screen and a desk's, in a real Chromium."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from crm.services.relationships import relationship_add
from crm.tests.factories import make_contact, make_relationship_types

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}
LONG_EMAIL = "aurelia.wolfeschlegelsteinhausen-bergerdorff@international-subsidiary.example.org"


@pytest.fixture
def book(db):
    """
    Fill the book as the demo does, plus the contacts that push a layout hardest.

    A contact with every field filled, long names, emails and URLs, several
    phones, addresses, dates and relationships, and a twin with the same
    email: a group of possible duplicates.
    """
    call_command("crm_demo", contacts=60, seed=12, stdout=io.StringIO())
    types = make_relationship_types("Colleague", "Friend", "Assistant")
    aurelia = make_contact(
        "Aurelia Maximiliana Wolfeschlegelsteinhausen-Bergerdorff",
        email=LONG_EMAIL,
        emails=["aurelia@example.org", "a.wolfeschlegelsteinhausen@subsidiary-two.example.com"],
        phones=["+44 20 7946 0958", ("+44 20 7946 0000", "office"), "+33 6 12 34 56 78"],
        addresses=["Saint-Rémy-en-Bouzemont-Saint-Genest-et-Isson", "London"],
        notes="Met at the trade fair; https://example.org/a/very/long/link/without/any/spaces",
        honorific_prefix="Prof. Dr.",
        given_name="Aurelia",
        additional_names="Maximiliana Konstantina",
        family_name="Wolfeschlegelsteinhausen-Bergerdorff",
        honorific_suffix="PhD",
        nickname="Reli",
        organization="Internationale Handelsgesellschaft für Feinmechanik und Optik",
        job_title="Head of Research, Development and Quality Assurance",
    )
    aurelia.urls.create(url=f"https://{'very-long-subdomain.' * 3}example.org/{'path/' * 12}")
    aurelia.urls.create(url="https://aurelia.example/blog", label="blog")
    aurelia.dates.create(kind="birthday", year=1970, month=2, day=28)
    aurelia.dates.create(kind="other", label="Joined the Wolfeschlegelsteinhausen", month=9, day=1)
    aurelia.tags.create(name="Key account, Europe and overseas", slug="key-account")
    twin = make_contact(
        "Aurelia Wolfeschlegelsteinhausen",
        email=LONG_EMAIL,
        phones=["+1 555 0100"],
        notes="Prefers email.",
    )
    for name in ["Bartholomew Featherstonehaugh-Cholmondeley", "Charles Babbage"]:
        relationship_add(
            contact=aurelia,
            other=make_contact(name),
            types=[types["Colleague"], types["Assistant"]],
        )
    return aurelia, twin


def pages(aurelia, twin):
    return {
        "contact list": "/",
        "contact page": aurelia.get_absolute_url(),
        "new contact": "/contacts/new/",
        "edit contact": f"/contacts/{aurelia.pk}/edit/",
        "duplicates": "/contacts/duplicates/",
        "merge": f"/contacts/merge/{aurelia.pk}/{twin.pk}/",
    }


def document_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
def test_no_page_scrolls_sideways(logged_in_page, book, viewport):
    page = logged_in_page
    page.set_viewport_size(viewport)
    widths = {}
    for name, url in pages(*book).items():
        page.goto(url)
        widths[name] = document_width(page)
    assert page.evaluate("window.innerWidth") == viewport["width"]
    too_wide = {name: width for name, width in widths.items() if width > viewport["width"]}
    assert not too_wide, f"wider than {viewport['width']} px: {too_wide}"


def test_the_list_is_a_table_at_a_desk_and_cards_on_a_phone(logged_in_page, book):
    page = logged_in_page
    page.set_viewport_size(DESK)
    # Listed by family name, she is on a later page: find her.
    page.goto("/?q=Wolfeschlegelsteinhausen")
    headings = page.get_by_role("columnheader")
    # The first column holds each row's checkbox for the bulk actions.
    expect(headings).to_have_text(["Select", "Name", "Email", "Phones", "City", "Last interaction"])
    row = page.locator("table.contacts tbody tr", has_text="Aurelia Maximiliana")
    assert row.locator("td").first.bounding_box()["y"] == row.locator("td").last.bounding_box()["y"]

    page.set_viewport_size(PHONE)
    expect(page.locator("table.contacts thead")).to_be_hidden()
    # On a phone each cell is a line of its own, named by its column.
    cells = row.locator("td")
    # (An empty cell is no line at all: she has no interaction yet.)
    assert cells.first.bounding_box()["y"] < row.locator("td:not(:empty)").last.bounding_box()["y"]
    label = "td => getComputedStyle(td, '::before').content"
    assert cells.nth(2).evaluate(label) == '"Email"'
    expect(row).to_contain_text(LONG_EMAIL)
    expect(row.locator(".organization")).to_contain_text("Head of Research")
    assert row.evaluate("tr => tr.scrollWidth <= tr.clientWidth")
    expect(row.get_by_text("+33 6 12 34 56 78")).to_be_visible()


def test_merging_stays_within_reach_on_a_phone(logged_in_page, book):
    aurelia, twin = book
    page = logged_in_page
    page.set_viewport_size(PHONE)
    page.goto("/contacts/duplicates/")
    group = page.locator(".duplicate-group", has_text="Same email")
    compare = group.get_by_role("link", name="Compare")
    compare.scroll_into_view_if_needed()
    expect(compare).to_be_in_viewport(ratio=1)
    compare.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Merge two contacts")
    # The two sides stack: the kept name above the merged-in one, both choosable.
    kept, merged = page.get_by_label(aurelia.name), page.get_by_label(twin.name)
    assert kept.bounding_box()["y"] < merged.bounding_box()["y"]
    merged.check()
    merge = page.get_by_role("button", name="Merge into")
    merge.scroll_into_view_if_needed()
    expect(merge).to_be_in_viewport(ratio=1)
