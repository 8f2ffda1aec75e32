"""Workflows of the contact book that touch several models."""

import functools
from collections.abc import Iterable

from django.db import IntegrityError, transaction

from .exceptions import ConcurrentChange, ContactGone, NotRelated, SelfRelationship
from .models import Contact, ContactRelationship, RelationshipType

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


def _set_types(rows: list[ContactRelationship], types: Iterable[RelationshipType]) -> None:
    types = list(types)
    for row in rows:
        row.types.set(types)


@_integrity_error_is_concurrent_change
def contacts_relate(
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
    have = {row.from_contact_id for row in rows}
    kept = {t for row in rows for t in row.types.all()}
    for from_contact, to_contact in [(contact, other), (other, contact)]:
        # Both rows, or repair the missing half of a pair broken by hand.
        if from_contact.pk not in have:
            rows.append(
                ContactRelationship.objects.create(from_contact=from_contact, to_contact=to_contact)
            )
    _set_types(rows, kept | set(types))
    return next(row for row in rows if row.from_contact_id == contact.pk), created


@_integrity_error_is_concurrent_change
def contacts_unrelate(*, contact: Contact, other: Contact) -> bool:
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
    if len(rows) == 1:
        # Repair the missing half of a pair broken by hand.
        row = rows[0]
        rows.append(
            ContactRelationship.objects.create(
                from_contact_id=row.to_contact_id, to_contact_id=row.from_contact_id
            )
        )
    _set_types(rows, types)
    return next(row for row in rows if row.from_contact_id == contact.pk)
