"""
Workflows of many contacts at once: tag, untag and delete a selection.

Each is one transaction that locks the selected rows first, in primary key
order as ``lock_contacts`` does, so it runs after (or before) every other
writer of those contacts and never deadlocks with another bulk action.
Rows are then written a batch of ids at a time, the same few queries for
every ``BATCH`` contacts, so that "all 100,000 matching" costs about a
hundred queries, never one per contact. A contact deleted meanwhile is
simply not locked, so not counted: nothing fails because of it.
"""

from collections.abc import Iterator, Sequence

from django.db.models import QuerySet, Value
from django.db.models.functions import Lower

from ..models import Address, Contact, Phone, Tag
from .contacts import _delete_unused, tag_get_or_create
from .locks import concurrent_change_guard, phones_locked

# Ids a query carries: well under SQLite's 32,766 variables, and a batch of
# PostgreSQL rows that stays quick to insert.
BATCH = 1000


def _locked_pks(contacts: QuerySet) -> list[int]:
    """
    Lock the rows of ``contacts`` until the transaction ends; return their ids, in order.

    PostgreSQL locks rows after sorting them, so two bulk actions on
    overlapping selections take their locks in the same order. The filter is
    a subquery, so that only contact rows are locked, whatever joins the
    selection needs.
    """
    selected = Contact.objects.filter(pk__in=contacts.order_by().values("pk"))
    return list(selected.select_for_update().order_by("pk").values_list("pk", flat=True))


def _batches(pks: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(pks), BATCH):
        yield pks[start : start + BATCH]


def _search_text_refresh(pks: Sequence[int]) -> None:
    """
    Refresh the search text of the contacts ``pks``, whose tags changed.

    SEARCH HOOK, wired at merge: call the search helper's service here,
    ``contact_search_refresh(ids=batch)`` for each batch of ``pks``.
    """


@concurrent_change_guard
def contacts_tag(*, contacts: QuerySet, tag: str) -> int:
    """
    Give ``contacts`` the tag called ``tag`` (created when there is none,
    ignoring case); return how many contacts were tagged.

    Contacts that already have it keep it; those deleted meanwhile are left out.
    """
    pks = _locked_pks(contacts)
    if not pks:
        return 0
    # After the contact locks, as a contact's save finds its tags.
    tag = tag_get_or_create(name=tag)
    Through = Contact.tags.through
    for batch in _batches(pks):
        Through.objects.bulk_create(
            [Through(contact_id=pk, tag_id=tag.pk) for pk in batch], ignore_conflicts=True
        )
    _search_text_refresh(pks)
    return len(pks)


@concurrent_change_guard
def contacts_untag(*, contacts: QuerySet, tag: str) -> int:
    """
    Take the tag called ``tag`` (ignoring case) off ``contacts``; return how
    many contacts had it. An unknown tag is on no contact.
    """
    pks = _locked_pks(contacts)
    # The key of the tag's unique constraint, as tag_get_or_create() finds it.
    tag = Tag.objects.alias(key=Lower("name")).filter(key=Lower(Value(tag.strip()))).first()
    if not pks or tag is None:
        return 0
    untagged = 0
    for batch in _batches(pks):
        untagged += Contact.tags.through.objects.filter(contact_id__in=batch, tag=tag).delete()[0]
    _search_text_refresh(pks)
    return untagged


@concurrent_change_guard
def contacts_delete(*, contacts: QuerySet) -> int:
    """
    Delete ``contacts`` and the phones and addresses nobody else uses, as
    ``contact_delete`` does for one; return how many were deleted.

    Contacts deleted (or merged) meanwhile are not counted: they are gone
    as asked.
    """
    # Locked first, so that nobody relates a contact between the collection
    # of its relationships and its deletion.
    pks = _locked_pks(contacts)
    phones, addresses = set(), set()
    for batch in _batches(pks):
        selected = Contact.objects.filter(pk__in=batch)
        phones.update(selected.values_list("phones", flat=True))
        addresses.update(selected.values_list("addresses", flat=True))
        selected.delete()
    phones.discard(None)
    addresses.discard(None)
    with phones_locked:
        for batch in _batches(sorted(phones)):
            _delete_unused(Phone, batch)
    for batch in _batches(sorted(addresses)):
        _delete_unused(Address, batch)
    return len(pks)
