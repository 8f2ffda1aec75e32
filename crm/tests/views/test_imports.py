"""The import pages: who sees an import, what each status shows, the cost of the preview."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Import, ImportRow
from crm.roles import role_set

from .imports_data import make_import, make_rows

pytestmark = pytest.mark.django_db
Status = Import.Status


def import_urls(pk):
    """Return every page of import ``pk``, with the methods it answers."""
    return [
        ("get", reverse("crm:import_detail", args=[pk])),
        ("get", reverse("crm:import_progress", args=[pk])),
        ("get", reverse("crm:import_options", args=[pk])),
        ("post", reverse("crm:import_options", args=[pk])),
        ("get", reverse("crm:import_errors", args=[pk])),
        ("post", reverse("crm:import_chunk", args=[pk, 0])),
        ("post", reverse("crm:import_inspect", args=[pk])),
        ("post", reverse("crm:import_commit", args=[pk])),
        ("get", reverse("crm:import_undo", args=[pk])),
        ("post", reverse("crm:import_undo", args=[pk])),
    ]


def test_every_import_page_needs_a_login(client, user):
    import_run = make_import(user)
    urls = [
        ("get", reverse("crm:import_list")),
        ("post", reverse("crm:import_start")),
        *import_urls(import_run.pk),
    ]
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


@pytest.mark.parametrize("status", [Status.UPLOADED, Status.PREVIEWED, Status.COMMITTED])
def test_another_user_finds_no_import_and_changes_nothing(client, user, make_user, status):
    import_run = make_import(user, status=status, counts={"create": 1})
    make_rows(import_run, 1, outcome=ImportRow.Outcome.ERROR, errors=["Bad."])
    mallory = make_user("mallory")
    # A manager, whom no page refuses (403) before it looks for the import.
    role_set(user=mallory, role="managers")
    client.force_login(mallory)
    for method, url in import_urls(import_run.pk):
        assert getattr(client, method)(url).status_code == 404, (method, url)
    import_run.refresh_from_db()
    assert import_run.status == status
    # Nor does it list among theirs.
    assert b"people.csv" not in client.get(reverse("crm:import_list")).content


def test_staff_see_anyones_import(client, user, staff_user):
    import_run = make_import(user, status=Status.PREVIEWED)
    client.force_login(staff_user)
    response = client.get(import_run.get_absolute_url())
    assert response.status_code == 200
    assert "by alice" in response.content.decode()


def test_the_list_shows_the_users_imports_newest_first(logged_in_client, user, make_user):
    older = make_import(user, file_name="older.csv", status=Status.COMMITTED, counts={"create": 7})
    newer = make_import(user, file_name="newer.vcf", format="vcard", status=Status.FAILED)
    make_import(make_user("bob"), file_name="bobs.csv")
    page = logged_in_client.get(reverse("crm:import_list")).content.decode()
    assert page.index("newer.vcf") < page.index("older.csv")
    assert "bobs.csv" not in page
    assert "create 7" in page and "Imported" in page and "Failed" in page
    assert newer.get_absolute_url() in page and older.get_absolute_url() in page
    # The plain form posts the file whole; imports.js is told where to start a chunked upload.
    assert 'enctype="multipart/form-data"' in page
    assert f'data-start-url="{reverse("crm:import_start")}"' in page
    assert 'accept=".csv,.vcf,.vcard,.txt"' in page
    assert "Up to 50 MiB." in page


def test_the_menu_and_the_contact_list_link_to_the_import(logged_in_client):
    page = logged_in_client.get(reverse("crm:contact_list")).content.decode()
    assert page.count(f'href="{reverse("crm:import_list")}"') >= 2


def test_a_file_name_and_cells_are_escaped(logged_in_client, user):
    import_run = make_import(
        user,
        file_name="<script>alert(1)</script>.csv",
        header=["<b>Who</b>", "Mail", "Town"],
        samples=[["<img src=x onerror=alert(2)>"], [], []],
    )
    page = logged_in_client.get(import_run.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;.csv" in page
    assert "<b>Who</b>" not in page and "&lt;b&gt;Who&lt;/b&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page


def test_an_uploaded_csv_asks_for_options_and_its_mapping(logged_in_client, user):
    import_run = make_import(user)
    page = logged_in_client.get(import_run.get_absolute_url()).content.decode()
    assert f'action="{reverse("crm:import_options", args=[import_run.pk])}"' in page
    assert 'name="match" value="email"' in page and 'name="on_match" value="skip"' in page
    # One select per column, prefilled from the guessed mapping, with its samples.
    assert '<option value="full_name" selected>' in page
    assert '<option value="email.home" selected>' in page
    assert '<option value="" selected>Ignore this column</option>' in page
    assert "Ada Lovelace" in page and "London" in page
    assert '<details class="mapping" open>' in page


def test_a_recognised_layout_says_so_and_folds_its_mapping(logged_in_client, user):
    import_run = make_import(user, layout="google")
    page = logged_in_client.get(import_run.get_absolute_url()).content.decode()
    assert "Recognised as a Google Contacts CSV" in page
    assert '<details class="mapping">' in page


def test_a_vcard_has_options_but_no_columns(logged_in_client, user):
    import_run = make_import(
        user, format="vcard", layout="vcard", header=[], mapping=[], samples=[]
    )
    page = logged_in_client.get(import_run.get_absolute_url()).content.decode()
    assert 'name="match"' in page and "mapping-table" not in page


@pytest.mark.parametrize(
    "status", [Status.PREVIEW_QUEUED, Status.PREVIEWING, Status.COMMITTING, Status.UNDO_QUEUED]
)
def test_a_running_step_shows_its_progress_and_refreshes_itself(logged_in_client, user, status):
    import_run = make_import(user, status=status, progress_done=2500, progress_total=10000)
    page = logged_in_client.get(import_run.get_absolute_url()).content.decode()
    # Without JavaScript the page reloads; with it imports.js polls the progress.
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert f'data-progress-url="{reverse("crm:import_progress", args=[import_run.pk])}"' in page
    assert f'data-status="{status}"' in page
    assert '<progress max="100" value="25"' in page
    assert "/static/crm/imports.js" in page
    assert ("Waiting for the import worker" in page) == (status in Import.QUEUED)
    progress = logged_in_client.get(reverse("crm:import_progress", args=[import_run.pk])).json()
    assert progress == {
        "status": status,
        "status_label": import_run.get_status_display(),
        "percent": 25,
        "done": 2500,
        "total": 10000,
        "counts": {},
    }


def previewed(user, **fields):
    import_run = make_import(
        user,
        status=Status.PREVIEWED,
        counts={"create": 2, "update": 1, "skip": 0, "error": 1, "duplicate": 1},
        **fields,
    )
    make_rows(import_run, 2)
    ImportRow.objects.create(
        import_run=import_run,
        line=4,
        outcome=ImportRow.Outcome.UPDATE,
        values={"contact": {"given_name": "Ada", "family_name": "Lovelace"}},
        diff=[{"field": "Job title", "before": "<i>Countess</i>", "after": "Mathematician"}],
        duplicate_of=2,
    )
    ImportRow.objects.create(
        import_run=import_run,
        line=5,
        outcome=ImportRow.Outcome.ERROR,
        values={"contact": {"given_name": "Grace"}},
        errors=["Email “grace@” is not a valid email address."],
        cells=["Grace", "grace@", ""],
    )
    return import_run


def test_the_preview_shows_totals_rows_diffs_errors_and_the_commit(logged_in_client, user):
    import_run = previewed(user)
    page = logged_in_client.get(import_run.get_absolute_url()).content.decode()
    for total in [
        "<strong>2</strong> To create",
        "<strong>1</strong> To update",
        "<strong>1</strong> With errors",
        "<strong>1</strong> Duplicates in the file",
    ]:
        assert total in page
    assert "Person 00002" in page and "Ada Lovelace" in page
    assert "<del>&lt;i&gt;Countess&lt;/i&gt;</del> → <ins>Mathematician</ins>" in page
    assert "Same contact as line 2." in page
    assert "Email “grace@” is not a valid email address." in page
    assert f'href="{reverse("crm:import_errors", args=[import_run.pk])}"' in page
    assert f'action="{reverse("crm:import_commit", args=[import_run.pk])}"' in page
    assert "Import 3 contacts" in page
    assert f'href="{reverse("crm:import_options", args=[import_run.pk])}">Change options' in page


def test_the_preview_filters_rows_by_outcome(logged_in_client, user):
    import_run = previewed(user)
    url = import_run.get_absolute_url()
    errors = logged_in_client.get(url, {"outcome": "error"}).content.decode()
    assert "Grace" in errors and "Person 00002" not in errors and "1 row" in errors
    duplicates = logged_in_client.get(url, {"outcome": "duplicate"}).content.decode()
    assert "Ada Lovelace" in duplicates and "Grace" not in duplicates
    # An outcome that is none lists every row rather than failing.
    assert "Grace" in logged_in_client.get(url, {"outcome": "nonsense"}).content.decode()


def test_the_preview_pages_its_rows_fifty_at_a_time(logged_in_client, user):
    import_run = make_import(user, status=Status.PREVIEWED, counts={"create": 120})
    make_rows(import_run, 120)
    url = import_run.get_absolute_url()
    first = logged_in_client.get(url).content.decode()
    assert "Person 00051" in first and "Person 00052" not in first
    assert "120 rows, 1–50 shown" in first and "Page 1 of 3" in first
    last = logged_in_client.get(url, {"page": 3}).content.decode()
    assert "Person 00121" in last and "Person 00101" not in last


def test_the_preview_costs_the_same_queries_whatever_its_rows(logged_in_client, user):
    def queries(rows):
        import_run = make_import(user, status=Status.PREVIEWED, counts={"create": rows})
        make_rows(import_run, rows, contact=None)
        logged_in_client.get(import_run.get_absolute_url())  # the session warmed up
        with CaptureQueriesContext(connection) as captured:
            response = logged_in_client.get(import_run.get_absolute_url())
        assert response.status_code == 200
        return len(captured)

    assert queries(3) == queries(200)


def test_the_errors_download_is_a_csv_of_the_rows_with_errors(logged_in_client, user):
    import_run = previewed(user)
    response = logged_in_client.get(reverse("crm:import_errors", args=[import_run.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="people-errors.csv"'
    assert "no-store" in response["Cache-Control"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines() == [
        "Who,Mail,Town,Error",
        "Grace,grace@,,Email “grace@” is not a valid email address.",
    ]


def test_the_errors_download_of_an_import_without_errors_says_so(logged_in_client, user, shown):
    import_run = make_import(user, status=Status.PREVIEWED)
    response = logged_in_client.get(reverse("crm:import_errors", args=[import_run.pk]), follow=True)
    assert shown(response) == ["No row of this import has an error."]


def test_a_committed_import_links_its_contacts_and_offers_the_undo(logged_in_client, user, ada):
    import_run = previewed(user)
    Import.objects.filter(pk=import_run.pk).update(status=Status.COMMITTED)
    import_run.rows.filter(line=2).update(contact=ada)
    page = logged_in_client.get(import_run.get_absolute_url()).content.decode()
    assert f'href="{reverse("crm:import_undo", args=[import_run.pk])}">Undo this import' in page
    assert f'href="{ada.get_absolute_url()}">Person 00002</a>' in page
    assert "crm:import_commit" not in page and "Import 3 contacts" not in page
    # What the rows did, no longer what they will do.
    assert "<strong>2</strong> Created" in page and "To create" not in page


def test_the_undo_asks_first_naming_how_many_contacts(logged_in_client, user, ada, charles):
    import_run = previewed(user)
    Import.objects.filter(pk=import_run.pk).update(status=Status.COMMITTED)
    import_run.rows.filter(line=2).update(contact=ada)
    import_run.rows.filter(line=4).update(contact=charles)
    response = logged_in_client.get(reverse("crm:import_undo", args=[import_run.pk]))
    page = response.content.decode()
    assert "1 contact the import created will be removed." in page
    assert "1 contact the import updated will get back the values it had." in page
    assert f'action="{reverse("crm:import_undo", args=[import_run.pk])}"' in page


def test_only_a_committed_import_can_be_undone(logged_in_client, user, shown):
    import_run = previewed(user)
    url = reverse("crm:import_undo", args=[import_run.pk])
    response = logged_in_client.get(url, follow=True)
    assert shown(response) == ["Only an imported file can be undone."]
    response = logged_in_client.post(url, follow=True)
    assert shown(response) == ["Cannot undo the import: the import is previewed."]
    import_run.refresh_from_db()
    assert import_run.status == Status.PREVIEWED


def test_an_undone_import_reports_the_contacts_it_left(logged_in_client, user, ada):
    report = [{"contact": ada.pk, "name": "Ada <Lovelace>", "reason": "Edited since the import."}]
    import_run = make_import(user, status=Status.UNDONE, undo_report=report)
    page = logged_in_client.get(import_run.get_absolute_url()).content.decode()
    assert f'<a href="{ada.get_absolute_url()}">Ada &lt;Lovelace&gt;</a>' in page
    assert "Edited since the import." in page and "left as it is" in page


def test_a_failed_import_says_why(logged_in_client, user):
    import_run = make_import(user, status=Status.FAILED, format="", error="Line 12 is <long>.")
    page = logged_in_client.get(import_run.get_absolute_url()).content.decode()
    assert "Line 12 is &lt;long&gt;." in page and "Nothing was written" in page
    # Before the file was read there are no options to change.
    assert reverse("crm:import_options", args=[import_run.pk]) not in page


def test_an_unfinished_upload_says_to_upload_again(logged_in_client, user):
    import_run = make_import(user, status=Status.UPLOADING, format="")
    page = logged_in_client.get(import_run.get_absolute_url()).content.decode()
    assert "The upload did not finish" in page


def test_the_list_costs_the_same_queries_whatever_the_imports(logged_in_client, user):
    def queries(count):
        for _ in range(count):
            make_import(user, status=Status.COMMITTED, counts={"create": 3})
        logged_in_client.get(reverse("crm:import_list"))
        with CaptureQueriesContext(connection) as captured:
            assert logged_in_client.get(reverse("crm:import_list")).status_code == 200
        return len(captured)

    assert queries(2) == queries(30)
