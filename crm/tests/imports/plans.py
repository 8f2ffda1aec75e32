"""Helpers of the plan, commit and undo tests: records as readers make them, an import run."""

from crm.imports.commit import import_commit
from crm.imports.plan import import_preview
from crm.imports.records import ImportRecord
from crm.models.imports import Import, ImportRow


def record(line=2, name="", **fields):
    """Return an ImportRecord of ``line``: ``name`` is the full name; rows as readers give them."""
    return ImportRecord(line=line, full_name=name, **fields)


def ada(line=2, **fields):
    """Return a record of Ada Lovelace with a row of every kind."""
    values = {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "organization": "Analytical Engines",
        "job_title": "Programmer",
        "notes": "First program.",
        "emails": [("ada@example.org", "home"), ("ada@engines.example", "work")],
        "phones": [("+44 20 7946 0018", "mobile")],
        "addresses": [{"street": "12 St James's Square", "city": "London", "label": "home"}],
        "urls": [("https://ada.example/", "home")],
        "dates": [("birthday", "", "1815-12-10")],
        "tags": ["VIP", "Press"],
        **fields,
    }
    return record(line, **values)


def previewed(user, records, *, match="email", on_match="skip"):
    """Return an import of ``records`` previewed with ``match`` and ``on_match``, and its counts."""
    run = Import.objects.create(
        author=user, file_name="contacts.csv", match=match, on_match=on_match
    )
    counts = import_preview(import_run=run, records=records)
    return run, counts


def imported(user, records, **options):
    """Return an import of ``records`` previewed and committed, and the commit's counts."""
    run, _ = previewed(user, records, **options)
    return run, import_commit(import_run=run)


def rows(run):
    """Return the rows of ``run`` by line."""
    return {row.line: row for row in ImportRow.objects.filter(import_run=run)}
