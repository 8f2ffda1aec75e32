"""Workflows of the contact book that touch several models."""

import functools
from collections.abc import Iterable, Mapping, Sequence

from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from locking import require_lock

from .exceptions import ConcurrentChange, ContactGone, NotRelated, SelfRelationship
from .models import Address, Contact, ContactRelationship, Phone, RelationshipType
from .phones import normalize_phone

ADDRESS_FIELDS = ("label", "street", "city", "region", "postal_code", "country")

# Concurrency: each write below says which lock keeps it race-free and why.
# Writes to a contact lock its row first (SELECT ... FOR UPDATE, in primary key
# order when there are two), so that edits, relationship changes, merges and
# deletes of the same contacts run one after the other. The database's
# constraints remain the last word; an IntegrityError they still raise (even
# at commit, where PostgreSQL checks foreign keys) is reported to the user as
# ConcurrentChange, never as a 500.


def _integrity_error_is_concurrent_change(func):
    """Turn an IntegrityError, even one raised at commit, into ConcurrentChange."""

    @functools.wraps(func)
    def guarded(*args, **kwargs):
        try:
            with transaction.atomic():
                return func(*args, **kwargs)
        except IntegrityError as exc:
            raise ConcurrentChange(
                "Someone changed these contacts at the same moment; nothing was saved. "
                "Please try again."
            ) from exc

    return guarded


def _lock_contacts(*contacts: Contact) -> None:
    """Lock the rows of ``contacts`` until the transaction ends; fail if one is gone."""
    pks = sorted({contact.pk for contact in contacts})
    locked = list(
        Contact.objects.select_for_update()
        .filter(pk__in=pks)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if locked != pks:
        gone = [contact for contact in contacts if contact.pk not in locked]
        raise ContactGone(f"{gone[0].name} no longer exists: it was deleted or merged meanwhile.")


# Linking a typed number to its Phone is an insert-if-absent: when the number
# is new there is no row yet to lock, so the honest tool is a table lock.
# SHARE ROW EXCLUSIVE is the weakest mode that conflicts both with itself and
# with the ROW EXCLUSIVE lock that every INSERT, UPDATE and DELETE takes: two
# linkers, or a linker and the deletion of orphaned phones, run one after the
# other, while readers (the contact list, search, the contact page) never wait.
# The unique constraint on the digits would stop a duplicate insert, but not
# the other race: a linker finding a phone that another transaction is about
# to delete as orphaned, whose link then fails at commit. Taken inside an
# outer transaction, the lock is held until it ends. Waiting longer than
# PHONE_LOCK_TIMEOUT seconds raises LockNotAvailable: a "busy" page.
PHONE_LOCK_TIMEOUT = 10
phones_locked = require_lock(Phone, mode="SHARE ROW EXCLUSIVE", timeout=PHONE_LOCK_TIMEOUT)


@phones_locked
def phone_link_or_create(*, number: str, label: str) -> Phone:
    """
    Return the Phone with the digits of ``number``, creating it when there is none.

    A number another contact already has links the same row (a shared office
    line); an existing phone keeps its number and label. The phone table is
    locked until the transaction ends, so the phone cannot be created twice,
    nor deleted as unused before the caller links it.
    """
    return _phone_for(number, label)


def _phone_for(number: str, label: str) -> Phone:
    """`phone_link_or_create` for a caller that holds ``phones_locked``."""
    digits = normalize_phone(number)
    phone = Phone.objects.filter(digits=digits).first()
    if phone is None:
        phone = Phone.objects.create(number=number, label=label)
    return phone


def _delete_unused(model, pks: Iterable[int]) -> None:
    """
    Delete the rows among ``pks`` of ``model`` that no contact uses any more.

    Phones only under ``phones_locked``: not while someone links one of them.
    """
    pks = list(pks)
    if pks:
        model.objects.filter(pk__in=pks, contacts=None).delete()


@_integrity_error_is_concurrent_change
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
    if not is_new:
        # Lock the row, as relationship writes and merges do: saving a contact
        # merged or deleted meanwhile would otherwise insert it again.
        _lock_contacts(contact)
    contact.save()
    old_phones = set() if is_new else set(contact.phones.values_list("pk", flat=True))
    old_addresses = {} if is_new else {a.pk: a for a in contact.addresses.all()}

    with phones_locked:  # once for the whole save: link, then drop the unused
        shared = _save_phones(contact, phones, old_phones)
    _save_addresses(contact, addresses, old_addresses)
    return shared


def _save_phones(contact, phones, old_phones) -> list[Phone]:
    """Link exactly ``phones`` to ``contact``; return the new ones others have too."""
    typed = {_phone_for(number, label).pk: (number, label) for number, label in phones}
    contact.phones.set(list(typed))
    shared = []
    for phone in Phone.objects.filter(pk__in=list(typed)).annotate(users=Count("contacts")):
        if phone.users > 1:
            if phone.pk not in old_phones:
                shared.append(phone)
        elif (phone.number, phone.label) != typed[phone.pk]:
            phone.number, phone.label = typed[phone.pk]
            phone.save(update_fields=["number", "label", "digits"])
    _delete_unused(Phone, old_phones - set(typed))
    return sorted(shared, key=lambda phone: phone.digits)


def _save_addresses(contact, addresses, old_addresses) -> None:
    """Link exactly ``addresses`` to ``contact``, changing or adding rows as typed."""
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
    _delete_unused(Address, set(old_addresses) - {a.pk for a in kept})


@_integrity_error_is_concurrent_change
def contact_delete(*, contact: Contact) -> None:
    """
    Delete ``contact`` and the phones and addresses nobody else uses.

    Raise ContactGone when it was deleted (or merged) meanwhile.
    """
    # Lock the row first, so that nobody relates the contact between the
    # collection of its relationships and its deletion.
    _lock_contacts(contact)
    phones = list(contact.phones.values_list("pk", flat=True))
    addresses = list(contact.addresses.values_list("pk", flat=True))
    contact.delete()
    with phones_locked:
        _delete_unused(Phone, phones)
    _delete_unused(Address, addresses)


# Relationships
#
# A relationship is two rows, A->B and B->A, with the same types. Every write
# to a pair first locks both contacts' rows (SELECT ... FOR UPDATE, in primary
# key order so that two writers never wait for each other in a circle). The
# contacts exist, so a row lock is enough: it serializes exactly the writers of
# this pair (and a merge or delete of either contact), while other pairs are
# edited in parallel; a table lock would queue every relationship edit on the
# site. Having the lock, a writer reads the pair and writes both rows knowing
# nobody else can. On SQLite, FOR UPDATE is a no-op and BEGIN IMMEDIATE
# serializes all writers instead.
#
# The unique and not-self constraints remain the last word. The one
# IntegrityError that can still happen is a relationship type deleted in the
# admin while it is being given to a pair (PostgreSQL checks the foreign key at
# commit): it becomes ConcurrentChange, never a 500.


def _lock_pair(contact: Contact, other: Contact) -> None:
    if contact.pk == other.pk:
        raise SelfRelationship("A contact cannot be related to itself.")
    _lock_contacts(contact, other)


def _pair_rows(contact: Contact, other: Contact) -> list[ContactRelationship]:
    pair = [contact.pk, other.pk]
    return list(
        ContactRelationship.objects.filter(from_contact__in=pair, to_contact__in=pair)
        .prefetch_related("types")
        .order_by("pk")
    )


def _pairs_by_other(contact: Contact, but: Contact) -> dict[int, list[ContactRelationship]]:
    """Return the relationship rows of ``contact`` (both directions) by the other contact."""
    rows = (
        ContactRelationship.objects.filter(Q(from_contact=contact) | Q(to_contact=contact))
        .exclude(from_contact=but)
        .exclude(to_contact=but)
        .prefetch_related("types")
    )
    pairs = {}
    for row in rows:
        other = row.to_contact_id if row.from_contact_id == contact.pk else row.from_contact_id
        pairs.setdefault(other, []).append(row)
    return pairs


def _both_rows(rows: list[ContactRelationship], a: int, b: int) -> list[ContactRelationship]:
    """Return ``rows`` of the pair ``a``, ``b`` with the missing direction created, if any."""
    have = {row.from_contact_id for row in rows}
    return rows + [
        ContactRelationship.objects.create(from_contact_id=x, to_contact_id=y)
        for x, y in [(a, b), (b, a)]
        if x not in have
    ]


def _set_types(rows: list[ContactRelationship], types: Iterable[RelationshipType]) -> None:
    types = list(types)
    for row in rows:
        row.types.set(types)


@_integrity_error_is_concurrent_change
def relationship_add(
    *, contact: Contact, other: Contact, types: Iterable[RelationshipType] = ()
) -> tuple[ContactRelationship, bool]:
    """
    Relate ``contact`` and ``other`` with ``types``, in both directions.

    When they are related already, add ``types`` to the ones they have.
    Return the row from ``contact`` to ``other`` and whether the relationship
    is new. Raise SelfRelationship, or ContactGone when either contact was
    deleted meanwhile.
    """
    _lock_pair(contact, other)
    rows = _pair_rows(contact, other)
    created = not rows
    kept = {t for row in rows for t in row.types.all()}
    # Both rows; this also repairs the missing half of a pair broken by hand.
    rows = _both_rows(rows, contact.pk, other.pk)
    _set_types(rows, kept | set(types))
    return next(row for row in rows if row.from_contact_id == contact.pk), created


@_integrity_error_is_concurrent_change
def relationship_remove(*, contact: Contact, other: Contact) -> bool:
    """
    Remove the relationship between ``contact`` and ``other``: both rows.

    Return whether there was one; removing it twice is harmless.
    """
    if contact.pk == other.pk:
        return False
    _lock_contacts(contact, other)
    pair = [contact.pk, other.pk]
    deleted, _ = ContactRelationship.objects.filter(
        from_contact__in=pair, to_contact__in=pair
    ).delete()
    return deleted > 0


@_integrity_error_is_concurrent_change
def relationship_set_types(
    *, contact: Contact, other: Contact, types: Iterable[RelationshipType]
) -> ContactRelationship:
    """
    Give the relationship between ``contact`` and ``other`` exactly ``types``,
    on both rows. Raise NotRelated when they are not related (any more).
    """
    _lock_pair(contact, other)
    rows = _pair_rows(contact, other)
    if not rows:
        raise NotRelated(f"{contact.name} and {other.name} are not related any more.")
    rows = _both_rows(rows, contact.pk, other.pk)
    _set_types(rows, types)
    return next(row for row in rows if row.from_contact_id == contact.pk)


# Merging duplicates
#
# A merge rewrites every row of the duplicate: phones, addresses, and the
# relationships of both directions, including the mirror rows that belong to
# third contacts. It locks the two contacts' rows first (FOR UPDATE, pk order),
# as every relationship write and contact edit does: whoever touches either
# contact meanwhile waits, then finds the duplicate gone. A second merge of the
# same pair waits the same way and gets ContactGone instead of merging rows
# that no longer exist. Rows of third contacts need no lock of their own: any
# writer of a pair that includes the duplicate or the kept contact holds one of
# the two locks we hold.


@_integrity_error_is_concurrent_change
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
    phone, address and relationship of ``duplicate``. A relationship between
    the two disappears (it would relate ``keep`` to itself); one to a contact
    both are related to keeps the types of both. Return the kept contact.
    Raise ContactGone when either was deleted, or merged, meanwhile.
    """
    if keep.pk == duplicate.pk:
        raise SelfRelationship("A contact cannot be merged with itself.")
    _lock_contacts(keep, duplicate)
    keep = Contact.objects.get(pk=keep.pk)
    duplicate = Contact.objects.get(pk=duplicate.pk)

    keep.phones.add(*duplicate.phones.all())
    keep.addresses.add(*duplicate.addresses.all())

    theirs, ours = _pairs_by_other(duplicate, keep), _pairs_by_other(keep, duplicate)
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
        _set_types(_both_rows(rows, keep.pk, other), types)

    for field, value in [("name", name), ("email", email), ("notes", notes)]:
        if value is not None:
            setattr(keep, field, value)
    keep.save()
    # Deletes what is left of the duplicate: its rows to and from keep, the
    # relationships now held by keep, and its links to phones and addresses.
    duplicate.delete()
    return keep
