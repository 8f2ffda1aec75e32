"""
Finding contacts that are probably the same person.

Three grouped queries, each one pass over an indexed column, find contacts
with the same email (ignoring case), the same name (as listed: case-folded,
spacing ignored), or the same phone number (phones are stored once per
normalized number, so contacts with the same number share one Phone row).
Links labelled office or fax are left out: colleagues share those lines on purpose.
"""

from dataclasses import dataclass, field

from django.db.models import Count, F
from django.db.models.functions import Lower

from ..models import Contact, Phone

# Groups of each kind shown at once: enough to work through, cheap to find.
MAX_GROUPS = 100
SHARED_LINES = [Phone.Label.OFFICE, Phone.Label.FAX]


@dataclass
class DuplicateGroup:
    """Contacts that look like one person, and why."""

    contacts: list[Contact]
    reasons: list[str] = field(default_factory=list)

    @property
    def keep(self):
        """Return the contact the others are offered to merge into: the oldest."""
        return self.contacts[0]

    @property
    def others(self):
        return self.contacts[1:]


def duplicate_groups(*, limit: int = MAX_GROUPS) -> list[DuplicateGroup]:
    """Return groups of possible duplicates, at most ``limit`` of each kind, by name."""
    found = {}

    def add(contacts, reason):
        contacts = sorted(contacts, key=lambda c: (c.created, c.pk))
        group = found.setdefault(tuple(c.pk for c in contacts), DuplicateGroup(contacts))
        group.reasons.append(reason)

    for email, contacts in _sharing(Contact.objects.exclude(email=""), Lower("email"), limit):
        add(contacts, f"Same email: {email}")
    for _, contacts in _sharing(Contact.objects.all(), F("sort_name"), limit):
        add(contacts, f"Same name: {contacts[0].name}")
    links = Contact.phones.through.objects.exclude(label__in=SHARED_LINES)
    for _, rows in _sharing(links.select_related("contact", "phone"), F("phone"), limit):
        add([row.contact for row in rows], f"Same phone: {rows[0].phone.number}")

    return sorted(found.values(), key=lambda group: (group.keep.sort_name, group.keep.pk))


def _sharing(rows, key, limit):
    """
    Return (value, rows) for the first ``limit`` values of ``key`` that several of ``rows`` share.

    Two queries: the shared values (one grouped pass over the indexed column),
    then the rows that have them.
    """
    rows = rows.annotate(key=key)
    shared = list(
        rows.values("key")
        .annotate(count=Count("pk"))
        .filter(count__gt=1)
        .order_by("key")
        .values_list("key", flat=True)[:limit]
    )
    groups = {}
    for row in rows.filter(key__in=shared):
        groups.setdefault(row.key, []).append(row)
    return groups.items()
