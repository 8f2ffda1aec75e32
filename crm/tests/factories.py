"""Small helpers that make contact-book data for tests."""

from crm.models import Address, Contact, Phone, RelationshipType, sort_key
from crm.phones import phone_key
from crm.services.search import contact_search_refresh


def make_contact(name="Ada Lovelace", *, phones=(), addresses=(), email="", emails=(), **fields):
    """
    Create a contact with ``phones``, ``addresses`` and ``emails`` (``email``
    is the primary one).

    A phone is a Phone row, a number, or a (number, label) pair; a number whose
    key another contact has links that phone, as the site does. An address is
    a city (a new address there), an Address row, or an (either, label) pair.
    A label is this contact's, on its link.
    """
    contact = Contact.objects.create(name=name, **fields)
    for i, address in enumerate([email, *emails] if email else emails):
        contact.emails.create(address=address, primary=i == 0)
    for phone in phones:
        phone, label = phone if isinstance(phone, tuple) else (phone, Phone.Label.MOBILE)
        if not isinstance(phone, Phone):
            phone, _ = Phone.objects.get_or_create(
                digits=phone_key(phone), defaults={"number": phone}
            )
        contact.phones.add(phone, through_defaults={"label": label})
    for address in addresses:
        address, label = address if isinstance(address, tuple) else (address, Address.Label.HOME)
        if not isinstance(address, Address):
            address = Address.objects.create(city=address, street="1 Main Street")
        contact.addresses.add(address, through_defaults={"label": label})
    contact_search_refresh(ids=[contact.pk])
    return contact


def make_relationship_types(*names):
    """Create relationship types called ``names``; return them by name."""
    return {
        name: RelationshipType.objects.get_or_create(slug=name.lower(), defaults={"name": name})[0]
        for name in names
    }


def make_contacts(count, *, phones_each=0, prefix="Person"):
    """Create ``count`` contacts in bulk, each with ``phones_each`` phones of its own."""
    contacts = Contact.objects.bulk_create(
        Contact(name=f"{prefix} {i:04d}", sort_name=sort_key(f"{prefix} {i:04d}"))
        for i in range(count)
    )
    if phones_each:
        numbers = [f"+1 (555) {i:04d}-{j:02d}" for i in range(count) for j in range(phones_each)]
        phones = Phone.objects.bulk_create(Phone.typed(n) for n in numbers)
        Through = Contact.phones.through
        Through.objects.bulk_create(
            Through(contact=contact, phone=phones[i * phones_each + j])
            for i, contact in enumerate(contacts)
            for j in range(phones_each)
        )
    contact_search_refresh(ids=[contact.pk for contact in contacts])
    return contacts
