"""
Finding contacts that are probably the same person.

Three grouped queries, each one pass over an indexed column, find contacts
with an email in common (ignoring case), the same display name (case-folded,
accents and spacing ignored: ``Contact.name_key``), or the same phone
number (phones are stored once per normalized number, so contacts with the
same number share one Phone row).
Links labelled office or fax are left out: colleagues share those lines on purpose.
Contacts in the trash are left out too.

``possible_duplicates()`` applies the same rules to one contact being
typed, before it is saved.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, F, Q
from django.db.models.functions import Lower

from ..models import Contact, Email, Phone, sort_key
from ..phones import phone_key
from ..visibility import visible

# Groups of each kind shown at once: enough to work through, cheap to find.
MAX_GROUPS = 100
# Matches of each kind shown for one contact being typed ("John Smith" has many).
MAX_MATCHES = 20
SHARED_LINES = [Phone.Label.OFFICE, Phone.Label.FAX]


def _personal_links(user):
    """
    Return the links of live contacts that ``user`` sees to their phones,
    those labelled office or fax left out.
    """
    links = _seen_by(user, Contact.phones.through.objects.filter(contact__trashed=None))
    return links.exclude(label__in=SHARED_LINES)


def _seen_by(user, rows):
    """Return ``rows`` (of a model naming a ``contact``) of the contacts ``user`` sees."""
    condition = visible(user, "contact")
    return rows if condition is None else rows.filter(condition)


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


def duplicate_groups(*, user, limit: int = MAX_GROUPS) -> list[DuplicateGroup]:
    """
    Return groups of possible duplicates among the contacts ``user`` sees,
    at most ``limit`` of each kind, by name.
    """
    found = {}

    def add(contacts, reason):
        contacts = sorted(contacts, key=lambda c: (c.created, c.pk))
        group = found.setdefault(tuple(c.pk for c in contacts), DuplicateGroup(contacts))
        group.reasons.append(reason)

    emails = _seen_by(user, Email.objects.filter(contact__trashed=None)).select_related("contact")
    for email, rows in _sharing(emails, Lower("address"), limit):
        add([row.contact for row in rows], f"Same email: {email}")
    for _, contacts in _sharing(Contact.objects.visible_to(user), F("name_key"), limit):
        add(contacts, f"Same name: {contacts[0].name}")
    links = _personal_links(user)
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
    emails: Iterable[str] = (),
    phones: Iterable[tuple[str, str]] = (),
    exclude: int | None = None,
    user,
) -> list[Match]:
    """
    Return the contacts ``user`` sees, other than ``exclude``, that a contact with
    ``name``, ``emails`` and ``phones`` ((number, label) pairs) would
    duplicate: one of the emails ignoring case, the same name ignoring case,
    accents and spacing, or the same phone number unless either side calls
    it an office or fax line. By name, at most MAX_MATCHES of each kind.

    Three queries whatever the number of emails, phones or matches: the
    contacts by name (the ``name_key`` index), the email rows by address
    (the index on ``LOWER(address)``), the phone links by key (the unique
    index on ``Phone.digits``).
    """
    found = {}

    def add(contact, reason):
        found.setdefault(contact.pk, Match(contact)).reasons.append(reason)

    name_key = sort_key(name)
    others = Q() if exclude is None else ~Q(pk=exclude)
    if name_key:
        same_name = Contact.objects.visible_to(user).filter(others, name_key=name_key)
        for contact in same_name[:MAX_MATCHES]:
            add(contact, f"Same name: {contact.name}")

    others = Q() if exclude is None else ~Q(contact_id=exclude)
    addresses = {email.lower() for email in emails if email}
    if addresses:
        rows = Email.objects.alias(key=Lower("address")).filter(others, key__in=addresses)
        rows = _seen_by(user, rows.filter(contact__trashed=None))
        rows = rows.select_related("contact").order_by("contact__sort_name", "pk")
        for row in rows[:MAX_MATCHES]:
            add(row.contact, f"Same email: {row.address}")

    keys = {phone_key(number) for number, label in phones if label not in SHARED_LINES}
    if keys:
        links = _personal_links(user).filter(others, phone__digits__in=keys)
        links = links.select_related("contact", "phone").order_by("contact__sort_name", "pk")
        for link in links[:MAX_MATCHES]:
            add(link.contact, f"Same phone: {link.phone.number}")

    return sorted(found.values(), key=lambda match: (match.contact.sort_name, match.contact.pk))
