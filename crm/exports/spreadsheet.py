"""
Contacts as CSV: one column per field, numbered columns for repeated ones.

As in Google Contacts' CSV, a contact's emails fill "Email 1", "Email 1
label", "Email 2"... (its phones, addresses, URLs and other dates likewise),
as many as the contact with the most has. "Email 1" is the primary email when
the contact has one. Birthday and anniversary are ISO dates, "--12-24" when
the year is not known. The file starts with a byte-order mark, so
spreadsheet programs read it as UTF-8 and show accents.
"""

import csv
from collections.abc import Iterator

from django.db.models import Count, Max, OuterRef, Subquery
from django.utils.text import capfirst

from ..models import ADDRESS_FIELDS, NAME_FIELDS, Address, Contact, ContactDate, Email, Url
from .rows import contact_rows, dates_by_kind

# Spreadsheets run a cell that starts with one of these as a formula (OWASP's
# list); a leading apostrophe makes it text. A cell that starts with an
# apostrophe gets one more, so that dropping one on import is exact: cell_text().
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
TEXT_MARK = "'"
BYTE_ORDER_MARK = "\ufeff"
CONTACT_FIELDS = (*NAME_FIELDS, "organization", "job_title")


def spreadsheet_text(value) -> str:
    """Return ``value`` as a CSV cell that a spreadsheet reads as text, never as a formula."""
    value = str(value)
    return TEXT_MARK + value if value.startswith((*FORMULA_START, TEXT_MARK)) else value


def cell_text(cell: str) -> str:
    """Return the text of a cell written by ``csv_lines()``: its leading apostrophe dropped."""
    return cell.removeprefix(TEXT_MARK)


class _Line:
    """A file-like object whose write() returns the line, for csv.writer."""

    def write(self, value):
        return value


class _SpreadsheetWriter:
    """A csv.writer returning each line, every cell of it through ``spreadsheet_text()``."""

    def __init__(self):
        self._writer = csv.writer(_Line())

    def writerow(self, row):
        return self._writer.writerow([spreadsheet_text(cell) for cell in row])


def _title(model, field):
    return capfirst(model._meta.get_field(field).verbose_name)


def _count(rows):
    """Return a subquery counting the ``rows`` of each contact."""
    per_contact = rows.filter(contact=OuterRef("pk")).order_by().values("contact")
    return Subquery(per_contact.annotate(count=Count("pk")).values("count"))


def column_counts(contacts):
    """
    Return how many numbered columns each repeated field needs: the most
    emails, phones, addresses, URLs and other dates any of ``contacts`` has,
    in one query (the rows are streamed after, so they cannot be counted first).
    """
    repeated = {
        "emails": Email.objects.all(),
        "phones": Contact.phones.through.objects.all(),
        "addresses": Contact.addresses.through.objects.all(),
        "urls": Url.objects.all(),
        "dates": ContactDate.objects.filter(kind=ContactDate.Kind.OTHER),
    }
    maxima = contacts.order_by().aggregate(
        **{name: Max(_count(rows)) for name, rows in repeated.items()}
    )
    return {name: count or 0 for name, count in maxima.items()}


def header(counts):
    """Return the column titles for ``counts`` numbered columns of each repeated field."""
    titles = [_title(Contact, field) for field in CONTACT_FIELDS]
    for i in range(1, counts["emails"] + 1):
        titles += [f"Email {i}", f"Email {i} label"]
    for i in range(1, counts["phones"] + 1):
        titles += [f"Phone {i}", f"Phone {i} label"]
    for i in range(1, counts["addresses"] + 1):
        titles += [f"Address {i} {_title(Address, field).lower()}" for field in ADDRESS_FIELDS]
        titles.append(f"Address {i} label")
    for i in range(1, counts["urls"] + 1):
        titles += [f"URL {i}", f"URL {i} label"]
    titles += ["Birthday", "Anniversary"]
    for i in range(1, counts["dates"] + 1):
        titles += [f"Date {i}", f"Date {i} label"]
    return [*titles, "Tags", "Notes", "Created", "Updated"]


def _numbered(items, count, width):
    """Return the cells of ``items`` (lists of ``width`` cells), padded to ``count`` of them."""
    cells = [cell for item in items for cell in item]
    return cells + [""] * (width * (count - len(items)))


def row(contact, counts):
    """Return the cells of one decorated contact, under ``header(counts)``."""
    birthday, anniversary, others = dates_by_kind(contact)
    emails = [[e["address"], e["label_display"]] for e in contact.email_rows]
    phones = [[p["number"], p["label_display"]] for p in contact.phone_rows]
    addresses = [
        [*(a[field] for field in ADDRESS_FIELDS), a["label_display"]] for a in contact.address_rows
    ]
    urls = [[u["url"], u["label_display"]] for u in contact.url_rows]
    return [
        *(getattr(contact, field) for field in CONTACT_FIELDS),
        *_numbered(emails, counts["emails"], 2),
        *_numbered(phones, counts["phones"], 2),
        *_numbered(addresses, counts["addresses"], len(ADDRESS_FIELDS) + 1),
        *_numbered(urls, counts["urls"], 2),
        birthday.iso if birthday else "",
        anniversary.iso if anniversary else "",
        *_numbered([[d.iso, d.label] for d in others], counts["dates"], 2),
        "; ".join(contact.tag_names),
        contact.notes,
        contact.created.isoformat(),
        contact.updated.isoformat(),
    ]


def csv_lines(contacts) -> Iterator[str]:
    """Yield the CSV lines of ``contacts``: a byte-order mark and the header first."""
    writer = _SpreadsheetWriter()
    counts = column_counts(contacts)
    yield BYTE_ORDER_MARK + writer.writerow(header(counts))
    for contact in contact_rows(contacts):
        yield writer.writerow(row(contact, counts))
