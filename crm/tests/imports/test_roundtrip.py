"""
Round trips: a fully filled demo book exported (CSV, vCard 3.0, vCard 4.0),
imported into an empty book and exported again is the same file, but for the
ids and the creation and change times.
"""

import csv
import io

import pytest
from django.core.management import call_command

from crm.exports import csv_lines, vcards
from crm.imports.commit import import_commit
from crm.imports.plan import import_preview
from crm.imports.readers import inspect, read_records
from crm.models import Address, Contact, Phone, Tag
from crm.models.imports import Import

pytestmark = pytest.mark.django_db

CONTACTS = 40


def export(kind):
    contacts = Contact.objects.all()
    lines = csv_lines(contacts) if kind == "csv" else vcards(contacts, version=kind)
    return "".join(lines)


def without_ids(kind, text):
    """Return the export ``text`` without ids and times (CSV's last two columns, UID, REV)."""
    if kind == "csv":
        return [row[:-2] for row in csv.reader(io.StringIO(text))]
    return [line for line in text.splitlines() if not line.startswith(("UID:", "REV:"))]


def empty_book():
    Contact.objects.all().delete()
    for model in (Phone, Address, Tag):
        model.objects.all().delete()


@pytest.mark.parametrize("kind", ["csv", "3.0", "4.0"])
def test_an_export_imported_into_an_empty_book_exports_the_same(user, kind):
    call_command("crm_demo", contacts=CONTACTS, stdout=io.StringIO())
    first = export(kind)
    empty_book()

    stream = io.BytesIO(first.encode("utf-8"))
    info = inspect(stream, name="contacts.csv" if kind == "csv" else "contacts.vcf")
    run = Import.objects.create(
        author=user,
        file_name="contacts",
        format=info.format,
        layout=info.layout,
        mapping=info.mapping,
        match=Import.Match.NONE,
        on_match=Import.OnMatch.CREATE,
    )
    counts = import_preview(import_run=run, records=read_records(stream, info))
    assert (counts["create"], counts["error"]) == (CONTACTS, 0)
    import_commit(import_run=run)

    assert without_ids(kind, export(kind)) == without_ids(kind, first)
