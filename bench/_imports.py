"""
A contact import as the worker runs it, minus the upload's chunks: shared by
the benchmarks that time one (bench/import.py, bench/history.py).
"""

import os
from pathlib import Path


def seed(rows):
    """Seed ``rows`` demo contacts, every field filled (``crm_demo``)."""
    from django.core.management import call_command

    call_command("crm_demo", contacts=rows, stdout=open(os.devnull, "w"))  # noqa: SIM115


def export(path):
    """Export the book as CSV to ``path``, as ``crm.exports`` writes it: every field."""
    from crm.exports import csv_lines
    from crm.imports.worker import analyze_contact_book
    from crm.models import Contact

    # Statistics of the book just seeded, as autovacuum would take them (off
    # on the test cluster): sampled empty, the export's plan scans every
    # phone for each contact.
    analyze_contact_book()
    with open(path, "w", encoding="utf-8", newline="") as file:
        for line in csv_lines(Contact.objects.all()):
            file.write(line)


def previewed(path, *, author, match="email", on_match="skip"):
    """Return the import of the file at ``path`` (inspected, read, previewed), and its plan."""
    from crm.imports.plan import import_preview
    from crm.imports.readers import inspect, read_records
    from crm.models.imports import Import

    path = Path(path)
    with open(path, "rb") as stream:
        info = inspect(stream, name=path.name)
        run = Import.objects.create(
            author=author,
            file_name=path.name,
            size=path.stat().st_size,
            format=info.format,
            encoding=info.encoding,
            delimiter=info.delimiter,
            layout=info.layout,
            header=info.header,
            mapping=info.mapping,
            match=match,
            on_match=on_match,
        )
        return run, import_preview(import_run=run, records=read_records(stream, info))
