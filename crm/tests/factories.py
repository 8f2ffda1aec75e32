"""Small helpers that make contact-book data for tests."""

from crm.models import Address, Contact, Phone, sort_key
from crm.phones import normalize_phone


def make_contact(name="Ada Lovelace", *, phones=(), addresses=(), **fields):
    """Create a contact with ``phones`` (numbers or Phone rows) and ``addresses`` (cities)."""
    contact = Contact.objects.create(name=name, **fields)
    for phone in phones:
        if isinstance(phone, str):
            phone = Phone.objects.create(number=phone)
        contact.phones.add(phone)
    for city in addresses:
        contact.addresses.add(Address.objects.create(city=city, street="1 Main Street"))
    return contact


def make_contacts(count, *, phones_each=0, prefix="Person"):
    """Create ``count`` contacts in bulk, each with ``phones_each`` phones of its own."""
    contacts = Contact.objects.bulk_create(
        Contact(name=f"{prefix} {i:04d}", sort_name=sort_key(f"{prefix} {i:04d}"))
        for i in range(count)
    )
    if phones_each:
        numbers = [f"+1 (555) {i:04d}-{j:02d}" for i in range(count) for j in range(phones_each)]
        phones = Phone.objects.bulk_create(
            Phone(number=n, digits=normalize_phone(n), label=Phone.Label.MOBILE) for n in numbers
        )
        Through = Contact.phones.through
        Through.objects.bulk_create(
            Through(contact=contact, phone=phones[i * phones_each + j])
            for i, contact in enumerate(contacts)
            for j in range(phones_each)
        )
    return contacts
