"""
An import in a real Chromium: upload a Google Contacts CSV in chunks, see
the preview, commit it, see the contacts, undo it.

The worker is the real one, ``crm.imports.worker.run_pending()``, called by
the test between the steps rather than looping in a thread: on SQLite the
live server and a looping worker would contend for the one writer, and a
step run at a known moment lets the test see the page poll, find the status
changed and reload by itself (imports.js), on both databases alike.
"""

import pytest
from playwright.sync_api import expect

from crm.imports.worker import run_pending
from crm.models import Contact, Import, ImportRow

from ..views.imports_data import GOOGLE_CSV, make_import, make_rows

pytestmark = pytest.mark.django_db(transaction=True)


def run_worker_once(page):
    """Run the step the page waits for, once the page shows it waiting."""
    expect(page.locator("section.import-progress")).to_be_visible()
    assert run_pending() == 1


def test_import_a_google_csv_then_undo_it(logged_in_page, tmp_path):
    path = tmp_path / "google.csv"
    path.write_bytes(GOOGLE_CSV)
    page = logged_in_page
    errors, chunks = [], []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("request", lambda request: "/chunk/" in request.url and chunks.append(request.url))

    page.goto("/")
    page.locator(".site-nav").get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import contacts")
    page.get_by_label("File", exact=True).set_input_files(path)
    page.get_by_role("button", name="Upload").click()

    # imports.js sent the file in chunks and opened the import's page.
    expect(page.get_by_role("heading", level=1)).to_have_text("Import of google.csv")
    assert len(chunks) == 1
    expect(page.locator(".recognised")).to_have_text(
        "Recognised as a Google Contacts CSV: each column is mapped to its field already."
    )
    page.get_by_label("Email", exact=True).check()
    page.get_by_label("Skip the row").check()
    page.get_by_role("button", name="Preview").click()

    run_worker_once(page)
    # The page polls, sees the preview done, and reloads itself.
    expect(page.get_by_role("heading", name="What the import will do")).to_be_visible()
    expect(page.locator(".total-create")).to_have_text("2 To create")
    expect(page.locator(".total-error")).to_have_text("1 With errors")
    rows = page.locator("table.import-rows")
    expect(rows).to_contain_text("Ada Lovelace")
    expect(rows).to_contain_text("grace@")
    expect(page.get_by_role("link", name="Download the rows with errors (CSV)")).to_be_visible()
    assert not Contact.objects.exists()

    page.get_by_role("button", name="Import 2 contacts").click()
    run_worker_once(page)
    expect(page.get_by_role("link", name="Undo this import")).to_be_visible()
    page.locator("table.import-rows").get_by_role("link", name="Ada Lovelace").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
    expect(page.locator("body")).to_contain_text("ada@example.org")
    page.go_back()
    page.goto("/contacts/")
    expect(page.locator("table.list")).to_contain_text("Charles Babbage")

    import_run = Import.objects.get()
    page.goto(import_run.get_absolute_url())
    page.get_by_role("link", name="Undo this import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Undo the import of google.csv?")
    expect(page.locator(".import-undo")).to_contain_text(
        "2 contacts the import created will be removed."
    )
    page.get_by_role("button", name="Undo the import").click()
    run_worker_once(page)
    expect(page.locator(".import-summary")).to_contain_text(
        "Every contact the import created was removed"
    )
    assert not Contact.objects.exists()
    assert not errors, errors


PHONE = {"width": 390, "height": 844}


def test_the_import_pages_fit_a_phone(logged_in_page, user):
    long = "Wolfeschlegelsteinhausen-Bergerdorff " * 3
    options = make_import(
        user,
        file_name=f"{'very-long-file-name-' * 5}.csv",
        header=[f"Column {long}", "E-mail 1 - Value", "Town"],
        samples=[[long], ["aurelia.wolfeschlegelsteinhausen@international.example.org"], []],
    )
    preview = make_import(user, status=Import.Status.PREVIEWED, counts={"create": 1, "update": 1})
    make_rows(preview, 1)
    make_rows(
        preview,
        1,
        start=3,
        outcome=ImportRow.Outcome.UPDATE,
        diff=[{"field": "Organisation", "before": long, "after": long.upper()}],
        errors=[],
    )
    page = logged_in_page
    page.set_viewport_size(PHONE)
    for url in ["/contacts/import/", options.get_absolute_url(), preview.get_absolute_url()]:
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (url, width)


def test_a_file_of_several_chunks_arrives_whole(logged_in_page, tmp_path):
    # Past 2 MiB: three requests of at most 1 MiB, where the plain form would be refused.
    row = "Ada,,Lovelace,,,,,,,,,,,,,,* myContacts,Home,ada@example.org,Mobile,+44 20 7946 0018\n"
    content = GOOGLE_CSV + row.encode() * (2 * 1024 * 1024 // len(row) + 100)
    path = tmp_path / "big.csv"
    path.write_bytes(content)
    page = logged_in_page
    chunks = []
    page.on("request", lambda request: "/chunk/" in request.url and chunks.append(request.url))
    page.goto("/contacts/import/")
    page.get_by_label("File", exact=True).set_input_files(path)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import of big.csv")
    assert [url.rsplit("/chunk/", 1)[1] for url in chunks] == ["0/", "1/", "2/"]
    import_run = Import.objects.get()
    assert import_run.size == len(content) and import_run.layout == "google"
    stored = b"".join(bytes(data) for data in import_run.chunks.values_list("data", flat=True))
    assert stored == content
