"""The header's search and the keyboard shortcuts, in a real Chromium."""

import re

import pytest
from playwright.sync_api import expect

from crm.tests.factories import make_contact, make_contacts

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = "table.contacts tbody tr"


@pytest.fixture
def contacts(db):
    return [make_contact(name) for name in ["Ada Lovelace", "Charles Babbage", "Grace Hopper"]]


def header_search(page):
    return page.get_by_role("search", name="Contacts").get_by_role("searchbox")


def on_the_list(page):
    """Open the list with no field focused, as after Esc."""
    page.goto("/")
    # Esc leaves a search box that took the focus on arrival: after the frame
    # that gives it the focus, or the focus would come after the key.
    page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.keyboard.press("Escape")
    expect(page.locator(":focus")).to_have_count(0)


def test_searching_from_the_header_lands_on_the_filtered_list(logged_in_page, contacts):
    ada, charles, _ = contacts
    page = logged_in_page
    page.goto(charles.get_absolute_url())
    header_search(page).fill("lovelace")
    header_search(page).press("Enter")

    expect(page).to_have_url(re.compile(r"/contacts/\?q=lovelace$"))
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(ROWS)).to_contain_text("Ada Lovelace")
    # On the list the box keeps the query, to be refined.
    expect(header_search(page)).to_have_value("lovelace")


def test_slash_focuses_the_header_search(logged_in_page, contacts):
    page = logged_in_page
    page.goto(contacts[0].get_absolute_url())
    page.keyboard.press("/")
    expect(header_search(page)).to_be_focused()
    expect(header_search(page)).to_have_value("")
    # Esc gives the keys back to the page.
    page.keyboard.press("Escape")
    expect(header_search(page)).not_to_be_focused()


def test_j_and_k_move_through_the_list_and_enter_opens_the_contact(logged_in_page, contacts):
    page = logged_in_page
    on_the_list(page)
    rows = page.locator(ROWS)
    expect(rows).to_have_count(3)
    current = page.locator(f"{ROWS}.keys-current")

    page.keyboard.press("k")  # the first key starts at the first row, whichever it is
    expect(current).to_have_count(1)
    expect(rows.nth(0)).to_have_attribute("aria-current", "true")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")  # the last row stays the last
    expect(rows.nth(2)).to_have_class(re.compile(r"\bkeys-current\b"))
    page.keyboard.press("k")
    expect(current).to_have_count(1)
    second = rows.nth(1)
    expect(second).to_have_class(re.compile(r"\bkeys-current\b"))
    # The focus is on the row's link, shown and read out as usual.
    link = second.locator("a[href]").first
    expect(link).to_be_focused()
    href, name = link.get_attribute("href"), link.inner_text()

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def test_enter_opens_the_current_row_when_the_focus_left_its_link(logged_in_page, contacts):
    page = logged_in_page
    on_the_list(page)
    page.keyboard.press("j")
    first = page.locator(ROWS).first
    name = first.locator("a[href]").first.inner_text()
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def test_x_ticks_the_current_row(logged_in_page, contacts):
    page = logged_in_page
    on_the_list(page)
    boxes = page.locator(f"{ROWS} input.select-row")
    if not boxes.count():
        pytest.skip("this list has no checkboxes to tick (bulk actions)")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(boxes.nth(1)).to_be_checked()
    expect(page.locator(f"{ROWS} input.select-row:checked")).to_have_count(1)
    page.keyboard.press("x")
    expect(boxes.nth(1)).not_to_be_checked()


def test_j_scrolls_the_current_row_into_view(logged_in_page):
    make_contacts(30)
    page = logged_in_page
    page.set_viewport_size({"width": 1280, "height": 400})
    on_the_list(page)
    for _ in range(20):
        page.keyboard.press("j")
    current = page.locator(f"{ROWS}.keys-current")
    expect(current).to_contain_text("Person 0019")
    expect(current).to_be_in_viewport(ratio=0.9)  # its last pixel may be a fraction


def test_n_opens_the_new_contact_form_unless_an_edit_would_be_lost(logged_in_page, contacts):
    page = logged_in_page
    on_the_list(page)
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(r"/contacts/new/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New contact")

    page.get_by_label("Given name").fill("Hedy")
    page.get_by_role("heading", level=1).click()  # out of the field
    page.keyboard.press("n")
    page.keyboard.press("/")  # a shortcut that stays on the page, to know "n" was heard
    expect(header_search(page)).to_be_focused()
    expect(page.get_by_label("Given name")).to_have_value("Hedy")


def test_typing_j_in_a_field_types_it(logged_in_page, contacts):
    page = logged_in_page
    on_the_list(page)
    page.keyboard.press("/")
    page.keyboard.type("jkn/?")
    expect(header_search(page)).to_have_value("jkn/?")
    expect(page.locator(f"{ROWS}.keys-current")).to_have_count(0)
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/$"))


def test_no_shortcut_with_ctrl_alt_or_meta(logged_in_page, contacts):
    page = logged_in_page
    on_the_list(page)
    for key in ["Alt+j", "Control+j", "Meta+j", "Alt+n"]:
        page.keyboard.press(key)
    expect(page.locator(f"{ROWS}.keys-current")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/$"))


def test_question_mark_lists_the_shortcuts_until_esc(logged_in_page, contacts):
    page = logged_in_page
    page.goto(contacts[0].get_absolute_url())
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_hidden()
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("New contact")
    # While it is open the page's shortcuts wait.
    page.keyboard.press("n")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(re.escape(contacts[0].get_absolute_url()) + "$"))

    # The footer names them too, for those who do not guess "?"; a button closes.
    page.get_by_role("button", name="Keyboard shortcuts (?)").click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
