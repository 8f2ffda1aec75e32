"""Workflows of the contact book that touch several models."""

from collections.abc import Iterable, Mapping, Sequence

from django.db import transaction
from django.db.models import Count

from .models import Address, Contact, Phone, normalize_phone

ADDRESS_FIELDS = ("label", "street", "city", "region", "postal_code", "country")


def phone_link_or_create(*, number: str, label: str) -> Phone:
    """
    Return the Phone with the digits of ``number``, creating it when there is none.

    A number another contact already has links the same row (a shared office
    line): the digits are unique, and get_or_create() recovers from the
    IntegrityError of a concurrent insert of the same digits by reading the
    row that won. An existing phone keeps its number and label.
    """
    phone, _ = Phone.objects.get_or_create(
        digits=normalize_phone(number), defaults={"number": number, "label": label}
    )
    return phone


def _delete_orphans(model, pks: Iterable[int]) -> None:
    """Delete the rows among ``pks`` of ``model`` that no contact uses any more."""
    pks = list(pks)
    if pks:
        model.objects.filter(pk__in=pks, contacts=None).delete()


@transaction.atomic
def contact_save(
    *,
    contact: Contact,
    phones: Sequence[tuple[str, str]],
    addresses: Sequence[Mapping[str, object]],
) -> list[Phone]:
    """
    Save ``contact`` with exactly ``phones`` ((number, label) pairs) and
    ``addresses`` (dicts of address fields, with the ``id`` of one of the
    contact's addresses to change it, without to add a new one).

    Phones and addresses no longer used by anyone are deleted. A phone only
    this contact uses takes the number and label as typed; a shared one keeps
    its own. Return the phones newly linked that other contacts have too.
    """
    is_new = contact.pk is None
    contact.save()
    old_phones = set() if is_new else set(contact.phones.values_list("pk", flat=True))
    old_addresses = {} if is_new else {a.pk: a for a in contact.addresses.all()}

    typed = {}
    for number, label in phones:
        typed[phone_link_or_create(number=number, label=label).pk] = (number, label)
    contact.phones.set(list(typed))
    shared = []
    for phone in Phone.objects.filter(pk__in=list(typed)).annotate(users=Count("contacts")):
        if phone.users > 1:
            if phone.pk not in old_phones:
                shared.append(phone)
        elif (phone.number, phone.label) != typed[phone.pk]:
            phone.number, phone.label = typed[phone.pk]
            phone.save(update_fields=["number", "label", "digits"])
    _delete_orphans(Phone, old_phones - set(typed))

    kept = []
    for row in addresses:
        values = {field: row.get(field) or "" for field in ADDRESS_FIELDS}
        address = old_addresses.get(row.get("id"))
        if address is None:
            address = Address.objects.create(**values)
        elif any(getattr(address, field) != value for field, value in values.items()):
            # A shared address (an office building) changes for everyone using it.
            for field, value in values.items():
                setattr(address, field, value)
            address.save()
        kept.append(address)
    contact.addresses.set(kept)
    _delete_orphans(Address, set(old_addresses) - {a.pk for a in kept})
    return sorted(shared, key=lambda phone: phone.digits)


@transaction.atomic
def contact_delete(*, contact: Contact) -> None:
    """Delete ``contact`` and the phones and addresses nobody else uses."""
    phones = list(contact.phones.values_list("pk", flat=True))
    addresses = list(contact.addresses.values_list("pk", flat=True))
    contact.delete()
    _delete_orphans(Phone, phones)
    _delete_orphans(Address, addresses)
