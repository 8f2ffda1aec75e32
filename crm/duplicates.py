"""
Finding contacts that are probably the same person.

Three grouped queries, each one pass over an indexed column, find contacts
with the same email (ignoring case), the same name (as listed: case-folded,
spacing ignored), or the same phone number (phones are stored once per
normalized number, so contacts with the same number share one Phone row).
Office and fax lines are left out: colleagues share them on purpose.
"""

from dataclasses import dataclass, field

from django.db.models import Count
from django.db.models.functions import Lower

from .models import Contact, Phone

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

    emails = list(
        Contact.objects.exclude(email="")
        .annotate(key=Lower("email"))
        .values("key")
        .annotate(count=Count("pk"))
        .filter(count__gt=1)
        .order_by("key")
        .values_list("key", flat=True)[:limit]
    )
    by_email = {}
    for contact in Contact.objects.annotate(key=Lower("email")).filter(key__in=emails):
        by_email.setdefault(contact.key, []).append(contact)
    for email, contacts in by_email.items():
        add(contacts, f"Same email: {email}")

    names = list(
        Contact.objects.values("sort_name")
        .annotate(count=Count("pk"))
        .filter(count__gt=1)
        .order_by("sort_name")
        .values_list("sort_name", flat=True)[:limit]
    )
    by_name = {}
    for contact in Contact.objects.filter(sort_name__in=names):
        by_name.setdefault(contact.sort_name, []).append(contact)
    for contacts in by_name.values():
        add(contacts, f"Same name: {contacts[0].name}")

    through = Contact.phones.through
    phones = list(
        through.objects.exclude(phone__label__in=SHARED_LINES)
        .values("phone")
        .annotate(count=Count("contact"))
        .filter(count__gt=1)
        .order_by("phone")
        .values_list("phone", flat=True)[:limit]
    )
    by_phone = {}
    for row in through.objects.filter(phone__in=phones).select_related("contact", "phone"):
        by_phone.setdefault(row.phone, []).append(row.contact)
    for phone, contacts in by_phone.items():
        add(contacts, f"Same phone: {phone.number}")

    return sorted(found.values(), key=lambda group: (group.keep.sort_name, group.keep.pk))
