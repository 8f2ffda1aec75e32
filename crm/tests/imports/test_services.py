"""The import's services: the upload in chunks, its size limit, the status transitions."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.imports import storage
from crm.imports.readers import ImportFileError
from crm.models import Contact, Import, ImportChunk, ImportRow
from crm.services.imports import (
    import_add_chunk,
    import_change_options,
    import_errors_csv,
    import_inspect,
    import_request_commit,
    import_request_preview,
    import_request_undo,
    import_start,
)
from locking.testing import test_concurrently

from .uploads import PEOPLE, PEOPLE_MAPPING, csv_file, upload

pytestmark = pytest.mark.django_db
Status = Import.Status


def started(user, data):
    run = import_start(author=user, file_name="people.csv", size=len(data))
    return run


def test_the_file_comes_back_whole_from_chunks_sent_in_any_order_and_again(user):
    data = bytes(range(256)) * 5  # 1,280 bytes
    run = started(user, data)
    pieces = [data[i : i + 500] for i in range(0, len(data), 500)]
    for number in (2, 0, 1):
        import_add_chunk(import_run=run, number=number, data=pieces[number])
    # A chunk sent again (a retried request) replaces the first copy.
    import_add_chunk(import_run=run, number=1, data=pieces[1])
    assert ImportChunk.objects.filter(import_run=run).count() == 3
    with storage.open_file(run) as stream:
        assert stream.read() == data
        assert stream.seekable() and not stream.writable()


def test_the_stream_seeks_and_reads_one_chunk_at_a_time(user):
    data = b"".join(f"{i:04d}\n".encode() for i in range(300))  # 1,500 bytes
    run = started(user, data)
    for number, start in enumerate(range(0, len(data), 400)):
        import_add_chunk(import_run=run, number=number, data=data[start : start + 400])
    stream = storage.open_file(run)
    # A read across the chunks' boundary, a seek back, a seek from the end.
    stream.seek(395)
    assert stream.read(10) == data[395:405]
    assert stream.tell() == 405
    stream.seek(-5, io.SEEK_END)
    assert stream.read() == data[-5:]
    assert stream.read() == b""
    with pytest.raises(ValueError, match="negative"):
        stream.seek(-1)
    # Reading it all fetches each of the 4 chunks once: one in memory at a time.
    with storage.open_file(run) as stream, CaptureQueriesContext(connection) as queries:
        assert b"".join(iter(lambda: stream.read(100), b"")) == data
    assert len(queries) == 4


def test_a_file_over_the_limit_is_refused_when_announced(user, settings):
    settings.CRM_IMPORT_MAX_BYTES = 1000
    with pytest.raises(
        ImportFileError, match="The file is 1,001 bytes; an import takes files up to 1,000 bytes."
    ):
        import_start(author=user, file_name="big.csv", size=1001)
    assert not Import.objects.exists()


def test_an_upload_growing_past_the_limit_fails_and_its_chunks_go(user, settings):
    settings.CRM_IMPORT_MAX_BYTES = 1000
    run = started(user, b"x" * 900)  # the size announced was wrong
    import_add_chunk(import_run=run, number=0, data=b"x" * 600)
    with pytest.raises(
        ImportFileError, match="The file is larger than the 1,000 bytes an import takes."
    ):
        import_add_chunk(import_run=run, number=1, data=b"x" * 401)
    run.refresh_from_db()
    assert run.status == Status.FAILED
    assert "larger than" in run.error
    assert not run.chunks.exists()
    with pytest.raises(ValueError, match="Cannot add to the file: the import is failed"):
        import_add_chunk(import_run=run, number=1, data=b"x")


@pytest.mark.parametrize(
    ("number", "data", "message"),
    [
        (-1, b"x", "numbered from 0"),
        (0, b"", "cannot be empty"),
        (0, b"x" * (storage.CHUNK_BYTES + 1), "at most 1048576 bytes"),
    ],
)
def test_a_bad_chunk_is_refused(user, number, data, message):
    run = started(user, b"x")
    with pytest.raises(ValueError, match=message):
        import_add_chunk(import_run=run, number=number, data=data)
    assert not run.chunks.exists()
    assert run.status == Status.UPLOADING


def test_the_file_name_is_kept_without_its_folders(user):
    run = import_start(author=user, file_name="C:\\Users\\ada\\contacts.csv", size=3)
    assert run.file_name == "contacts.csv"
    assert run.status == Status.UPLOADING
    assert run.author == user


def test_inspecting_fills_in_the_file_and_its_guessed_mapping(user):
    run = upload(user, PEOPLE)
    assert run.status == Status.UPLOADED, run.error
    assert (run.format, run.delimiter, run.layout) == ("csv", ",", "custom")
    assert run.header == ["First name", "Last name", "Email", "Phone"]
    assert len(run.mapping) == 4
    assert run.size == len(PEOPLE)
    assert run.progress_total >= 1


def test_inspecting_an_incomplete_upload_fails(user):
    run = started(user, PEOPLE)
    import_add_chunk(import_run=run, number=1, data=PEOPLE[100:])
    with pytest.raises(ImportFileError, match="incomplete"):
        import_inspect(import_run=run)
    run.refresh_from_db()
    assert run.status == Status.FAILED
    assert "incomplete" in run.error


def test_an_empty_file_fails_at_inspection_with_its_reason(user):
    run = upload(user, b"")
    assert run.status == Status.FAILED
    assert run.error


def test_a_preview_is_queued_with_checked_options(user):
    run = upload(user, PEOPLE)
    with pytest.raises(ValueError, match="Unknown way to match"):
        import_request_preview(import_run=run, match="fax", on_match="skip")
    with pytest.raises(ValueError, match="Unknown choice"):
        import_request_preview(import_run=run, match="email", on_match="merge")
    with pytest.raises(ValueError, match="names 2 columns; the file has 4"):
        import_request_preview(
            import_run=run, match="email", on_match="skip", mapping=["given_name", ""]
        )
    with pytest.raises(ValueError, match="unknown field: 'shoe_size'"):
        import_request_preview(
            import_run=run, match="email", on_match="skip", mapping=["shoe_size", "", "", ""]
        )
    with pytest.raises(ValueError, match="every column is ignored"):
        import_request_preview(
            import_run=run, match="email", on_match="skip", mapping=["", "", "", ""]
        )
    run.refresh_from_db()
    assert run.status == Status.UPLOADED

    import_request_preview(import_run=run, match="phone", on_match="update", mapping=PEOPLE_MAPPING)
    assert (run.status, run.match, run.on_match) == (Status.PREVIEW_QUEUED, "phone", "update")
    run.refresh_from_db()
    assert run.status == Status.PREVIEW_QUEUED
    assert run.mapping == PEOPLE_MAPPING


def test_a_vcard_has_no_columns_to_map(user):
    card = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nN:Lovelace;Ada;;;\r\nEND:VCARD\r\n"
    run = upload(user, card, name="ada.vcf")
    assert (run.status, run.format) == (Status.UPLOADED, "vcard"), run.error
    with pytest.raises(ValueError, match="Only a CSV file"):
        import_request_preview(
            import_run=run, match="email", on_match="skip", mapping=["given_name"]
        )
    import_request_preview(import_run=run, match="name", on_match="skip")
    assert run.status == Status.PREVIEW_QUEUED


def test_each_request_is_refused_from_a_status_it_cannot_follow(user):
    run = upload(user, PEOPLE)
    with pytest.raises(ValueError, match="Cannot import: the import is uploaded"):
        import_request_commit(import_run=run)
    with pytest.raises(ValueError, match="Cannot undo the import: the import is uploaded"):
        import_request_undo(import_run=run)
    import_request_preview(import_run=run, match="email", on_match="skip")
    with pytest.raises(ValueError, match="Cannot preview: the import is waiting to preview"):
        import_request_preview(import_run=run, match="email", on_match="skip")
    with pytest.raises(ValueError, match="Cannot inspect the file"):
        import_inspect(import_run=run)
    # As the worker leaves it: previewed. Then commit once, not twice.
    Import.objects.filter(pk=run.pk).update(status=Status.PREVIEWED)
    import_request_commit(import_run=run)
    assert run.status == Status.COMMIT_QUEUED
    with pytest.raises(ValueError, match="Cannot import: the import is waiting to import"):
        import_request_commit(import_run=run)
    with pytest.raises(ValueError, match="Cannot change the options"):
        import_change_options(import_run=run)
    Import.objects.filter(pk=run.pk).update(status=Status.COMMITTED)
    import_request_undo(import_run=run)
    assert run.status == Status.UNDO_QUEUED
    with pytest.raises(ValueError, match="Cannot undo the import: the import is waiting to undo"):
        import_request_undo(import_run=run)
    assert not Contact.objects.exists()


def test_a_previewed_import_goes_back_to_its_options(user):
    run = upload(user, PEOPLE)
    Import.objects.filter(pk=run.pk).update(status=Status.PREVIEWED, counts={"create": 2})
    import_change_options(import_run=run)
    assert run.status == Status.UPLOADED
    import_request_preview(import_run=run, match="name", on_match="create")
    assert (run.status, run.counts) == (Status.PREVIEW_QUEUED, {})


def test_an_import_that_failed_before_inspection_cannot_be_previewed(user):
    run = upload(user, b"")
    with pytest.raises(ValueError, match="Cannot preview: "):
        import_request_preview(import_run=run, match="email", on_match="skip")


def test_the_rows_with_errors_download_as_csv_to_fix_and_import_again(user):
    run = upload(user, PEOPLE)
    ImportRow.objects.bulk_create(
        [
            ImportRow(import_run=run, line=2, outcome="create", cells=["Ada", "Lovelace"]),
            ImportRow(
                import_run=run,
                line=4,
                outcome="error",
                cells=["Grace", "Hopper", "not-an-email@", "=1+1"],
                errors=["Email 'not-an-email@' is not a valid email address."],
            ),
        ]
    )
    lines = list(import_errors_csv(import_run=run))
    assert lines == [
        "\ufeffFirst name,Last name,Email,Phone,Error\r\n",
        # A cell a spreadsheet would run as a formula is text, as in the exports.
        # The file's cells as it had them.
        "Grace,Hopper,not-an-email@,=1+1,Email 'not-an-email@' is not a valid email address.\r\n",
    ]


def test_a_semicolon_csv_gets_its_errors_back_with_semicolons(user):
    data = csv_file(["Name", "Email"], ["Ada", "ada@"], delimiter=";")
    run = upload(user, data)
    assert run.delimiter == ";", run.error
    ImportRow.objects.create(
        import_run=run, line=2, outcome="error", cells=["Ada", "ada@"], errors=["Bad email."]
    )
    assert list(import_errors_csv(import_run=run))[1] == "Ada;ada@;Bad email.\r\n"


def test_the_cards_with_errors_download_with_their_number_and_name(user):
    card = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nEND:VCARD\r\n"
    run = upload(user, card, name="ada.vcf")
    ImportRow.objects.create(
        import_run=run,
        line=1,
        outcome="error",
        # A name a spreadsheet would run as a formula is text, as in the exports.
        values={"contact": {"given_name": "=Ada", "family_name": "Lovelace"}},
        errors=["Birthday '1815-13-10' is not a date."],
    )
    assert list(import_errors_csv(import_run=run)) == [
        "\ufeffCard,Name,Error\r\n",
        "1,'=Ada Lovelace,Birthday '1815-13-10' is not a date.\r\n",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_commit_requested_ten_times_at_once_is_queued_once(make_user):
    run = upload(make_user(), PEOPLE)
    Import.objects.filter(pk=run.pk).update(status=Status.PREVIEWED)
    outcomes = []

    @test_concurrently(10)
    def request():
        try:
            import_request_commit(import_run=Import.objects.get(pk=run.pk))
        except ValueError as exc:
            outcomes.append(str(exc))
        else:
            outcomes.append("queued")

    request()
    assert sorted(outcomes) == [
        *["Cannot import: the import is waiting to import."] * 9,
        "queued",
    ]
