"""
Workflows of relationships: relate two contacts, unrelate them, change the types.

A relationship is two rows, A->B and B->A, with the same types. Every write to
a pair first locks both contacts' rows: that serializes exactly the writers of
this pair (and a merge or delete of either contact), while other pairs are
edited in parallel. On SQLite, BEGIN IMMEDIATE serializes all writers instead.
"""

from collections.abc import Iterable

from django.db.models import Q

from ..exceptions import NotRelated, SelfRelationship
from ..models import Change, Contact, ContactRelationship, RelationshipType
from .history import record
from .locks import concurrent_change_guard, lock_contacts


def _lock_pair(contact: Contact, other: Contact) -> None:
    if contact.pk == other.pk:
        raise SelfRelationship("A contact cannot be related to itself.")
    lock_contacts(contact, other)


def _pair_rows(contact: Contact, other: Contact) -> list[ContactRelationship]:
    pair = [contact.pk, other.pk]
    return list(
        ContactRelationship.objects.filter(from_contact__in=pair, to_contact__in=pair)
        .prefetch_related("types")
        .order_by("pk")
    )


def rows_by_other(contact: Contact, but: Contact) -> dict[int, list[ContactRelationship]]:
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


def both_rows(rows: list[ContactRelationship], a: int, b: int) -> list[ContactRelationship]:
    """Return ``rows`` of the pair ``a``, ``b`` with the missing direction created, if any."""
    have = {row.from_contact_id for row in rows}
    return rows + [
        ContactRelationship.objects.create(from_contact_id=x, to_contact_id=y)
        for x, y in [(a, b), (b, a)]
        if x not in have
    ]


def set_types(rows: list[ContactRelationship], types: Iterable[RelationshipType]) -> None:
    types = list(types)
    for row in rows:
        row.types.set(types)


def _record(contact: Contact, other: Contact, before, after) -> None:
    """
    Record on both contacts that their relationship's types went from
    ``before`` to ``after`` (types or their names; None: not related), as
    the history's snapshots show a relationship.
    """
    names = [None if types is None else sorted(str(t) for t in types) for types in (before, after)]
    if names[0] == names[1]:
        return
    changes = []
    for mine, theirs in [(contact, other), (other, contact)]:
        old, new = ({"name": theirs.name, "types": n} if n is not None else None for n in names)
        if old is not None and new is not None:
            old, new = {"types": old["types"]}, {"types": new["types"]}
        changes.append(
            Change(
                contact_id=mine.pk, kind="relationship", key=str(theirs.pk), before=old, after=new
            )
        )
    record(changes)


@concurrent_change_guard
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
    rows = both_rows(rows, contact.pk, other.pk)
    set_types(rows, kept | set(types))
    _record(contact, other, None if created else kept, kept | set(types))
    return next(row for row in rows if row.from_contact_id == contact.pk), created


@concurrent_change_guard
def relationship_remove(*, contact: Contact, other: Contact) -> bool:
    """
    Remove the relationship between ``contact`` and ``other``: both rows.

    Return whether there was one; removing it twice is harmless.
    """
    if contact.pk == other.pk:
        return False
    lock_contacts(contact, other)
    pair = [contact.pk, other.pk]
    rows = ContactRelationship.objects.filter(from_contact__in=pair, to_contact__in=pair)
    had = list(rows.filter(from_contact=contact).values_list("types__name", flat=True))
    deleted, _ = rows.delete()
    if deleted:
        _record(contact, other, {name for name in had if name is not None}, None)
    return deleted > 0


@concurrent_change_guard
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
    kept = {t for row in rows for t in row.types.all()}
    rows = both_rows(rows, contact.pk, other.pk)
    set_types(rows, types)
    _record(contact, other, kept, types)
    return next(row for row in rows if row.from_contact_id == contact.pk)


@concurrent_change_guard
def relationship_set(
    *, contact: Contact, other: Contact, types: Iterable[RelationshipType]
) -> tuple[ContactRelationship, bool]:
    """
    Relate ``contact`` and ``other`` with exactly ``types``, whether they are
    related already or not (the API's PUT); return the row from ``contact``
    to ``other`` and whether the relationship is new.

    Decided under the pair's locks, so two at once end with one pair and the
    types of whichever came last, recorded once each.
    """
    _lock_pair(contact, other)
    types = list(types)
    pair = [contact.pk, other.pk]
    if ContactRelationship.objects.filter(from_contact__in=pair, to_contact__in=pair).exists():
        return relationship_set_types(contact=contact, other=other, types=types), False
    return relationship_add(contact=contact, other=other, types=types)
