"""
What a contact is at one moment, as history compares it: its snapshot.

A snapshot maps each object of a contact to its values: ``("contact", "")``
to its own fields, ``("email", "ada@example.com")`` to an email's label and
whether it is primary, and so on for URLs, dates, phone and address links,
tags and relationships. Objects are keyed by what identifies them to a user
(an email by its address, a date by its kind), not by row id: the contact
form writes emails, URLs and dates afresh on every save, and an unchanged
email must compare equal. Phones, addresses and tags are shared rows, keyed
by their id, with the values a restore needs to find or make them again.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable

from ..models import (
    ADDRESS_FIELDS,
    Change,
    Contact,
    ContactAddress,
    ContactDate,
    ContactPhone,
    ContactRelationship,
    Email,
    Url,
)

# A contact's own fields history leaves out: keys derived from the others, and
# times every write changes.
UNTRACKED = {"id", "name_key", "sort_name", "search_text", "created", "updated", "last_interaction"}

Snapshot = dict[int, dict[tuple[str, str], dict]]


def tracked_fields() -> list[str]:
    """Return the columns (attnames) of a contact's own fields that history records."""
    return [
        field.attname
        for field in Contact._meta.concrete_fields
        if field.name not in UNTRACKED and field.attname not in UNTRACKED
    ]


def jsonable(value):
    """Return ``value`` as JSON keeps it: dates and times as ISO 8601 text."""
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def date_key(kind: str, label: str, iso: str) -> str:
    """Return the key of a contact's date: its kind, and for another date its label and day."""
    return kind if kind != ContactDate.Kind.OTHER else f"{kind}:{label}:{iso}"


def snapshot(ids: Iterable[int], kinds: Iterable[str] | None = None) -> Snapshot:
    """
    Return the snapshots of the contacts ``ids`` (those that exist), limited
    to the objects of ``kinds`` when given, in one query per kind whatever
    the number of contacts.
    """
    ids = sorted(set(ids))
    shots: Snapshot = {}
    if not ids:
        return shots
    fields = tracked_fields()
    # The base manager: a contact in the trash has a history too.
    for row in Contact._base_manager.filter(pk__in=ids).values("pk", *fields):
        shots[row["pk"]] = {}
        if kinds is None or "contact" in kinds:
            shots[row["pk"]][("contact", "")] = {f: jsonable(row[f]) for f in fields}
    for kind, rows in LOADERS.items():
        if kinds is None or kind in kinds:
            for contact, key, values in rows(ids):
                if contact in shots:
                    shots[contact][(kind, key)] = values
    return shots


def _emails(ids):
    emails = Email.objects.filter(contact__in=ids)
    for row in emails.values("contact", "address", "label", "primary"):
        yield row["contact"], row["address"].lower(), _but(row, "contact")


def _urls(ids):
    for row in Url.objects.filter(contact__in=ids).values("contact", "url", "label"):
        yield row["contact"], row["url"], _but(row, "contact")


def _dates(ids):
    dates = ContactDate.objects.filter(contact__in=ids)
    for date in dates.only("contact", "kind", "label", "year", "month", "day"):
        values = {"kind": date.kind, "label": date.label, "year": date.year}
        values |= {"month": date.month, "day": date.day, "iso": date.iso}
        yield date.contact_id, date_key(date.kind, date.label, date.iso), values


def _phones(ids):
    phones = ContactPhone.objects.filter(contact__in=ids)
    for row in phones.values("contact", "phone", "label", "phone__number"):
        values = {"number": row["phone__number"], "label": row["label"]}
        yield row["contact"], str(row["phone"]), values


def _addresses(ids):
    addresses = ContactAddress.objects.filter(contact__in=ids)
    columns = [f"address__{field}" for field in ADDRESS_FIELDS]
    for row in addresses.values("contact", "address", "label", *columns):
        values = {field: row[f"address__{field}"] for field in ADDRESS_FIELDS}
        values["label"] = row["label"]
        yield row["contact"], str(row["address"]), values


def _tags(ids):
    tags = Contact.tags.through.objects.filter(contact__in=ids)
    for row in tags.values("contact", "tag", "tag__name"):
        yield row["contact"], str(row["tag"]), {"name": row["tag__name"]}


def _relationships(ids):
    rows = ContactRelationship.objects.filter(from_contact__in=ids)
    found = defaultdict(lambda: {"types": []})
    for row in rows.values("from_contact", "to_contact", "to_contact__name", "types__name"):
        values = found[row["from_contact"], row["to_contact"]]
        values["name"] = row["to_contact__name"]
        if row["types__name"] is not None:
            values["types"].append(row["types__name"])
    for (contact, other), values in found.items():
        values["types"].sort()
        yield contact, str(other), dict(values)


# Each kind of object hanging on a contact, and how to read them for many contacts:
# (contact id, key, values) triples.
LOADERS = {
    "email": _emails,
    "url": _urls,
    "date": _dates,
    "phone": _phones,
    "address": _addresses,
    "tag": _tags,
    "relationship": _relationships,
}


def _but(row: dict, *names: str) -> dict:
    return {name: value for name, value in row.items() if name not in names}


def history_page(contact_id: int, *, before: int | None = None, size: int = 50):
    """
    Return ``size`` changes of the contact ``contact_id``, newest first,
    older than the change ``before`` when given, and whether more follow:
    one range of the index on (contact, -id), however long the history.
    """
    changes = Change.objects.filter(contact_id=contact_id).select_related("author")
    if before is not None:
        changes = changes.filter(id__lt=before)
    rows = list(changes.order_by("-id")[: size + 1])
    return rows[:size], len(rows) > size
