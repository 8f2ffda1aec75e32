"""Small helpers that make contact-book data for tests."""

from crm.models import Address, Contact, Phone, RelationshipType, sort_key
from crm.phones import phone_key


def make_contact(name="Ada Lovelace", *, phones=(), addresses=(), **fields):
    """
    Create a contact with ``phones`` and ``addresses`` (cities).

    A phone is a Phone row, a number, or a (number, label) pair; a number whose
    key another contact has links that phone, as the site does.
    """
    contact = Contact.objects.create(name=name, **fields)
    for phone in phones:
        if not isinstance(phone, Phone):
            number, label = (phone, Phone.Label.MOBILE) if isinstance(phone, str) else phone
            phone, _ = Phone.objects.get_or_create(
                digits=phone_key(number), defaults={"number": number, "label": label}
            )
        contact.phones.add(phone)
    for city in addresses:
        contact.addresses.add(Address.objects.create(city=city, street="1 Main Street"))
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
        phones = Phone.objects.bulk_create(
            Phone.typed(n, label=Phone.Label.MOBILE) for n in numbers
        )
        Through = Contact.phones.through
        Through.objects.bulk_create(
            Through(contact=contact, phone=phones[i * phones_each + j])
            for i, contact in enumerate(contacts)
            for j in range(phones_each)
        )
    return contacts
