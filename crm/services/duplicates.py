"""
Merging duplicates: one contact takes over another's phones, addresses and relationships.

A merge rewrites every row of the duplicate, including the mirror rows that
belong to third contacts. It locks the two contacts' rows first, as every
relationship write and contact edit does: whoever touches either contact
meanwhile waits, then finds the duplicate gone; so does a second merge of the
same pair. Rows of third contacts need no lock of their own: any writer of a
pair that includes either contact holds one of the two locks we hold.
"""

from ..exceptions import SelfRelationship
from ..models import Contact
from .locks import concurrent_change_guard, lock_contacts
from .relationships import both_rows, rows_by_other, set_types


@concurrent_change_guard
def contact_merge(
    *,
    keep: Contact,
    duplicate: Contact,
    name: str | None = None,
    email: str | None = None,
    notes: str | None = None,
) -> Contact:
    """
    Merge ``duplicate`` into ``keep`` and delete ``duplicate``, in one transaction.

    ``keep`` takes ``name``, ``email`` and ``notes`` when given, and every
    phone, address and relationship of ``duplicate`` (each with the label it
    had, keep's where both have it). A relationship between
    the two disappears (it would relate ``keep`` to itself); one to a contact
    both are related to keeps the types of both. Return the kept contact.
    Raise ContactGone when either was deleted, or merged, meanwhile.
    """
    if keep.pk == duplicate.pk:
        raise SelfRelationship("A contact cannot be merged with itself.")
    lock_contacts(keep, duplicate)
    keep = Contact.objects.get(pk=keep.pk)
    duplicate = Contact.objects.get(pk=duplicate.pk)

    # The duplicate's links move to keep with their labels, except to a phone
    # or address keep has already: keep's link, and its label, wins.
    for links, key in [("phone_links", "phone_id"), ("address_links", "address_id")]:
        kept = getattr(keep, links).values(key)
        getattr(duplicate, links).exclude(**{f"{key}__in": kept}).update(contact=keep)

    theirs, ours = rows_by_other(duplicate, keep), rows_by_other(keep, duplicate)
    for other, rows in theirs.items():
        types = {t for row in rows for t in row.types.all()}
        if other in ours:
            # Both were related to this contact: one relationship, all the types.
            # The duplicate's rows go with it.
            rows = ours[other]
            types |= {t for row in rows for t in row.types.all()}
        else:
            # Re-point the duplicate's rows to keep; their types stay with them.
            for row in rows:
                end = "from_contact" if row.from_contact_id == duplicate.pk else "to_contact"
                setattr(row, f"{end}_id", keep.pk)
                row.save(update_fields=[end])
        set_types(both_rows(rows, keep.pk, other), types)

    for field, value in [("name", name), ("email", email), ("notes", notes)]:
        if value is not None:
            setattr(keep, field, value)
    keep.save()
    # Deletes what is left of the duplicate: its rows to and from keep, the
    # relationships now held by keep, and its links to phones and addresses.
    duplicate.delete()
    return keep
