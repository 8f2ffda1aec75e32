"""
Contacts as vCards: 4.0 (RFC 6350) by default, 3.0 (RFC 2426) for the many
importers that still want it.

Every field is written: FN, N, NICKNAME, ORG, TITLE, EMAIL, TEL, ADR, URL,
BDAY, ANNIVERSARY, the other dates, CATEGORIES (tags), NOTE, REV and UID.
``LABEL_TYPES`` maps our labels to ``TYPE`` values and back.

What the two versions cannot say alike:

- The primary email is ``PREF=1`` in 4.0, ``TYPE=pref`` in 3.0.
- A phone number normalised to E.164 is a ``tel:`` URI in 4.0
  (``TEL;VALUE=uri:tel:+33612345678``) and its international format in 3.0
  (``+33 6 12 34 56 78``), so that it dials from any country; a number
  kept as typed (an extension, a short code) is text, as typed.
- Dates are ISO 8601 basic in 4.0 (``BDAY:18151210``, ``BDAY:--1210``
  without a year, RFC 6350 section 4.3.1) and extended in 3.0
  (``BDAY:1815-12-10``, ``BDAY:--12-10``: the truncated form Google writes;
  Apple's ``X-APPLE-OMIT-YEAR`` would give other readers a wrong year).
  3.0 has no ANNIVERSARY: it is ``X-ANNIVERSARY``. Other dates, in both,
  are Apple's ``itemN.X-ABDATE`` with the label in ``itemN.X-ABLabel``.
"""

import uuid
from collections.abc import Iterator

from ..models import Address, Email, Phone, Url
from ..phones import international
from .rows import contact_rows, dates_by_kind

VCARD_VERSIONS = ("4.0", "3.0")
UID_NAMESPACE = uuid.UUID("0b6f2b5e-8d8e-4c8a-9a55-2f7c1d1a3e64")

# Our labels as vCard TYPE values, per property: the export writes them, an
# import reads them back with label_from_types(). Where vCard has no TYPE for
# a label, an x-name stands for it ("x-profile"); "other" writes no TYPE
# (but "voice" for a phone), and a value with no TYPE we know reads as
# "other". The first label whose TYPE a value has wins: a work fax is a fax.
LABEL_TYPES = {
    "TEL": {
        Phone.Label.FAX: "fax",
        Phone.Label.MOBILE: "cell",
        Phone.Label.OFFICE: "work",
        Phone.Label.HOME: "home",
        Phone.Label.OTHER: "voice",
    },
    "EMAIL": {Email.Label.HOME: "home", Email.Label.WORK: "work", Email.Label.OTHER: None},
    "ADR": {Address.Label.HOME: "home", Address.Label.WORK: "work", Address.Label.OTHER: None},
    "URL": {
        Url.Label.HOME: "home",
        Url.Label.WORK: "work",
        Url.Label.PROFILE: "x-profile",
        Url.Label.BLOG: "x-blog",
        Url.Label.OTHER: None,
    },
}


def label_from_types(name, types):
    """Return our label for a ``name`` property ("TEL") whose TYPE values are ``types``."""
    types = {value.lower() for value in types}
    for label, value in LABEL_TYPES[name].items():
        if value in types:
            return str(label)
    return "other"


def _type(name, label):
    return LABEL_TYPES[name].get(label)


def escape(value):
    """Escape a vCard text value (the same rules in 3.0 and 4.0)."""
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


def _property(name, value, *, types=(), **params):
    """Return a content line: ``name``, its parameters (``TYPE`` last) and ``value``."""
    params = [f"{key}={param}" for key, param in params.items() if param]
    types = [kind for kind in types if kind]
    if types:
        params.append("TYPE=" + ",".join(types))
    return ";".join([name, *params]) + ":" + value


def _date(date, version):
    """Return ``date`` as 4.0 writes it ("18151210", "--1210") or 3.0 ("1815-12-10", "--12-10")."""
    if version == "3.0":
        return date.iso
    year = f"{date.year:04d}" if date.year else "--"
    return f"{year}{date.month:02d}{date.day:02d}"


def _name_lines(contact):
    parts = [
        contact.family_name,
        contact.given_name,
        contact.additional_names,
        contact.honorific_prefix,
        contact.honorific_suffix,
    ]
    yield _property("FN", escape(contact.name))
    yield _property("N", ";".join(escape(part) for part in parts))
    if contact.nickname:
        yield _property("NICKNAME", escape(contact.nickname))
    if contact.organization:
        yield _property("ORG", escape(contact.organization))
    if contact.job_title:
        yield _property("TITLE", escape(contact.job_title))


def _contact_lines(contact, version):
    v4 = version == "4.0"
    for email in contact.email_rows:
        types = [_type("EMAIL", email["label"])]
        if not v4:
            types = ["internet", *types, "pref" if email["primary"] else None]
        pref = "1" if v4 and email["primary"] else None
        yield _property("EMAIL", escape(email["address"]), types=types, PREF=pref)
    for phone in contact.phone_rows:
        types = [_type("TEL", phone["label"])]
        if not phone["e164"]:
            # 4.0 reads a TEL as a URI unless told otherwise.
            value_type = "text" if v4 else None
            yield _property("TEL", escape(phone["number"]), types=types, VALUE=value_type)
        elif v4:
            yield _property("TEL", f"tel:{phone['e164']}", types=types, VALUE="uri")
        else:
            yield _property("TEL", international(phone["e164"]), types=types)
    for address in contact.address_rows:
        parts = ["", "", address["street"], address["city"], address["region"]]
        parts += [address["postal_code"], address["country"]]
        value = ";".join(escape(part) for part in parts)
        yield _property("ADR", value, types=[_type("ADR", address["label"])])
    for url in contact.url_rows:
        # A URI, not text: written as it is.
        yield _property("URL", url["url"], types=[_type("URL", url["label"])])


def _date_lines(contact, version):
    birthday, anniversary, others = dates_by_kind(contact)
    if birthday:
        yield _property("BDAY", _date(birthday, version))
    if anniversary:
        name = "ANNIVERSARY" if version == "4.0" else "X-ANNIVERSARY"
        yield _property(name, _date(anniversary, version))
    for i, date in enumerate(others, start=1):
        yield _property(f"item{i}.X-ABDATE", date.iso)
        yield _property(f"item{i}.X-ABLabel", escape(date.label))


def vcard(contact, version="4.0") -> str:
    """Return one decorated contact (see ``contact_rows()``) as a vCard ``version``."""
    lines = [
        "BEGIN:VCARD",
        f"VERSION:{version}",
        f"UID:urn:uuid:{uuid.uuid5(UID_NAMESPACE, str(contact.pk))}",
        *_name_lines(contact),
        *_contact_lines(contact, version),
        *_date_lines(contact, version),
    ]
    if contact.tag_names:
        lines.append("CATEGORIES:" + ",".join(escape(name) for name in contact.tag_names))
    if contact.notes:
        lines.append(f"NOTE:{escape(contact.notes)}")
    lines.append(f"REV:{contact.updated.strftime('%Y%m%dT%H%M%SZ')}")
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)


def vcards(contacts, version="4.0") -> Iterator[str]:
    """Return an iterator of ``contacts`` as vCards ``version`` ("4.0" or "3.0"), one at a time."""
    # Checked now, not when the first card is asked for, mid-download.
    if version not in VCARD_VERSIONS:
        raise ValueError(f"vCard version must be one of {VCARD_VERSIONS}, not {version!r}.")
    return (vcard(contact, version) for contact in contact_rows(contacts))
