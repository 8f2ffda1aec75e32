"""Contacts as CSV and as vCard 4.0 (RFC 6350), produced a line at a time."""

import csv
import uuid
from collections.abc import Iterator

from .models import address_line
from .queries.contacts import decorate

CHUNK_SIZE = 500
# Spreadsheets run a cell that starts with one of these as a formula (OWASP's
# list); a leading apostrophe makes it text. A cell that starts with an
# apostrophe gets one more, so that dropping one on import is exact: cell_text().
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
TEXT_MARK = "'"
CSV_HEADER = ["Name", "Email", "Phones", "City", "Addresses", "Tags", "Notes", "Created", "Updated"]
# Our phone labels as vCard TEL types.
TEL_TYPES = {"mobile": "cell", "office": "work", "home": "home", "fax": "fax", "other": "voice"}
ADR_TYPES = {"home": "home", "work": "work"}
UID_NAMESPACE = uuid.UUID("0b6f2b5e-8d8e-4c8a-9a55-2f7c1d1a3e64")


def _rows(contacts):
    """Yield each contact of the QuerySet with its phones and addresses, in list order."""
    ordered = contacts.with_phones().with_addresses().with_tags().order_by("sort_name", "pk")
    # iterator() reads in chunks (a server-side cursor on PostgreSQL): memory
    # stays constant however many contacts match.
    for contact in ordered.iterator(chunk_size=CHUNK_SIZE):
        yield decorate(contact)


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


def csv_lines(contacts) -> Iterator[str]:
    """Yield the CSV lines of ``contacts``, a header first."""
    writer = _SpreadsheetWriter()
    yield writer.writerow(CSV_HEADER)
    for contact in _rows(contacts):
        phones = "; ".join(f"{p['number']} ({p['label_display']})" for p in contact.phone_rows)
        addresses = "; ".join(address_line(a) for a in contact.address_rows)
        yield writer.writerow(
            [
                contact.name,
                contact.email,
                phones,
                contact.city,
                addresses,
                "; ".join(contact.tag_names),
                contact.notes,
                contact.created.isoformat(),
                contact.updated.isoformat(),
            ]
        )


def escape(value):
    """Escape a vCard text value."""
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
    )


def fold(line):
    """Fold ``line`` into lines of at most 75 octets, ending each with CRLF (RFC 6350 3.2)."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        if size + width > 75:
            out.append(current)
            current, size = " ", 1
        current += char
        size += width
    out.append(current)
    return "".join(part + "\r\n" for part in out)


def vcard(contact) -> str:
    """Return one decorated contact as a vCard 4.0."""
    given, _, family = contact.name.rpartition(" ")
    lines = [
        "BEGIN:VCARD",
        "VERSION:4.0",
        f"UID:urn:uuid:{uuid.uuid5(UID_NAMESPACE, str(contact.pk))}",
        f"FN:{escape(contact.name)}",
        f"N:{escape(family)};{escape(given)};;;",
    ]
    if contact.email:
        lines.append(f"EMAIL;TYPE=work:{escape(contact.email)}")
    for phone in contact.phone_rows:
        kind = TEL_TYPES.get(phone["label"], "voice")
        lines.append(f"TEL;VALUE=text;TYPE={kind}:{escape(phone['number'])}")
    for address in contact.address_rows:
        parts = ["", "", address["street"], address["city"], address["region"]]
        parts += [address["postal_code"], address["country"]]
        kind = ADR_TYPES.get(address["label"])
        params = f";TYPE={kind}" if kind else ""
        lines.append(f"ADR{params}:" + ";".join(escape(part) for part in parts))
    if contact.tag_names:
        lines.append("CATEGORIES:" + ",".join(escape(name) for name in contact.tag_names))
    if contact.notes:
        lines.append(f"NOTE:{escape(contact.notes)}")
    lines.append(f"REV:{contact.updated.strftime('%Y%m%dT%H%M%SZ')}")
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)


def vcards(contacts) -> Iterator[str]:
    """Yield ``contacts`` as vCards, one at a time."""
    for contact in _rows(contacts):
        yield vcard(contact)
