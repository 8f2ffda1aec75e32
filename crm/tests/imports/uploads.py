"""Helpers for the import engine's tests: upload a file as the pages do, and run the worker."""

from crm.imports import storage
from crm.imports.readers import ImportFileError
from crm.imports.worker import run_pending
from crm.models import Import
from crm.services.imports import (
    import_add_chunk,
    import_inspect,
    import_request_commit,
    import_request_preview,
    import_request_undo,
    import_start,
)


def csv_file(*rows, delimiter=",", encoding="utf-8"):
    """Return the bytes of a CSV file of ``rows`` (lists of cells), CRLF line ends."""
    return "".join(delimiter.join(row) + "\r\n" for row in rows).encode(encoding)


# A spreadsheet of no known layout: the mapping is the user's (or guessed).
PEOPLE = csv_file(
    ["First name", "Last name", "Email", "Phone"],
    ["Ada", "Lovelace", "ada@example.org", "+44 20 7946 0018"],
    ["Charles", "Babbage", "charles@example.org", "+44 20 7946 0019"],
    ["Grace", "Hopper", "not-an-email@", ""],
)
PEOPLE_MAPPING = ["given_name", "family_name", "email.home", "phone.mobile"]


def upload(author, data, *, name="people.csv", chunk=storage.CHUNK_BYTES):
    """Upload ``data`` in chunks and inspect it; return the import, UPLOADED or FAILED."""
    run = import_start(author=author, file_name=name, size=len(data))
    for number, start in enumerate(range(0, len(data), chunk)):
        import_add_chunk(import_run=run, number=number, data=data[start : start + chunk])
    try:
        import_inspect(import_run=run)
    except ImportFileError:
        assert run.status == Import.Status.FAILED
    return run


def work(run):
    """Let the worker run what is queued; return ``run`` as it left it."""
    assert run_pending(once=False) >= 1
    run.refresh_from_db()
    return run


def previewed(author, data=PEOPLE, *, mapping=PEOPLE_MAPPING, match="email", on_match="skip"):
    """Upload ``data`` and preview it through the worker; return the import."""
    run = upload(author, data)
    assert run.status == Import.Status.UPLOADED, run.error
    import_request_preview(import_run=run, match=match, on_match=on_match, mapping=mapping)
    return work(run)


def committed(author, data=PEOPLE, **options):
    """Upload, preview and commit ``data`` through the worker; return the import."""
    run = previewed(author, data, **options)
    assert run.status == Import.Status.PREVIEWED, run.error
    import_request_commit(import_run=run)
    return work(run)


def undone(run):
    import_request_undo(import_run=run)
    return work(run)
