"""
Finding contacts that are probably the same person.

Three grouped queries, each one pass over an indexed column, find contacts
with the same email (ignoring case), the same name (as listed: case-folded,
spacing ignored), or the same phone number (phones are stored once per
normalized number, so contacts with the same number share one Phone row).
Links labelled office or fax are left out: colleagues share those lines on purpose.

``possible_duplicates()`` applies the same rules to one contact being
typed, before it is saved.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, F, Q
from django.db.models.functions import Lower

from ..models import Contact, Phone, sort_key
from ..phones import phone_key

# Groups of each kind shown at once: enough to work through, cheap to find.
MAX_GROUPS = 100
# Matches of each kind shown for one contact being typed ("John Smith" has many).
MAX_MATCHES = 20
SHARED_LINES = [Phone.Label.OFFICE, Phone.Label.FAX]


def _personal_links():
    """Return the links of contacts to their phones, those labelled office or fax left out."""
    return Contact.phones.through.objects.exclude(label__in=SHARED_LINES)


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
    links = _personal_links()
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


@dataclass
class Match:
    """A contact that looks like the one being typed, and why."""

    contact: Contact
    reasons: list[str] = field(default_factory=list)


def possible_duplicates(
    *,
    name: str,
    email: str = "",
    phones: Iterable[tuple[str, str]] = (),
    exclude: int | None = None,
) -> list[Match]:
    """
    Return the contacts, other than ``exclude``, that a contact with
    ``name``, ``email`` and ``phones`` ((number, label) pairs) would
    duplicate: the same email ignoring case, the same name ignoring case,
    accents and spacing, or the same phone number unless either side calls
    it an office or fax line. By name, at most MAX_MATCHES of each kind.

    Two queries whatever the number of phones or matches: the contacts by
    name or email (a bitmap OR of the ``sort_name`` index and, on
    PostgreSQL, the trigram index on ``UPPER(email)``, which serves equality
    too), then the phone links by key (the unique index on ``Phone.digits``).
    """
    found = {}

    def add(contact, reason):
        found.setdefault(contact.pk, Match(contact)).reasons.append(reason)

    name_key = sort_key(name)
    same = Q(sort_name=name_key) | (Q(email__iexact=email) if email else Q())
    # Not "exclude(pk=None)": its "id IS NOT NULL" would steer PostgreSQL off the indexes.
    others = Q() if exclude is None else ~Q(pk=exclude)
    contacts = Contact.objects.filter(same, others).order_by("sort_name", "pk")
    for contact in contacts[: 2 * MAX_MATCHES]:
        if email and contact.email.casefold() == email.casefold():
            add(contact, f"Same email: {contact.email}")
        if contact.sort_name == name_key:
            add(contact, f"Same name: {contact.name}")

    keys = {phone_key(number) for number, label in phones if label not in SHARED_LINES}
    if keys:
        others = Q() if exclude is None else ~Q(contact_id=exclude)
        links = _personal_links().filter(others, phone__digits__in=keys)
        links = links.select_related("contact", "phone").order_by("contact__sort_name", "pk")
        for link in links[:MAX_MATCHES]:
            add(link.contact, f"Same phone: {link.phone.number}")

    return sorted(found.values(), key=lambda match: (match.contact.sort_name, match.contact.pk))
