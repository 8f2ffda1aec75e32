"""
Workflows of many contacts at once: tag, untag and delete a selection
(moving it to the trash is ``crm.services.trash.contacts_trash``).

Each is one transaction that locks the selected rows first, in primary key
order as ``lock_contacts`` does, so it runs after (or before) every other
writer of those contacts and never deadlocks with another bulk action. A
contact deleted meanwhile is simply not locked, so not counted: nothing
fails because of it. Tagging and untagging then cost one statement whatever
the number of contacts; deleting, a few queries for every ``BATCH``.
"""

from collections.abc import Iterator, Sequence

from django.db import connection
from django.db.models import QuerySet, Value
from django.db.models.functions import Lower

from ..models import Address, Contact, Entry, Phone, Tag
from ..queries.ids import ids_subquery
from .contacts import _delete_unused, tag_get_or_create
from .history import changed
from .locks import concurrent_change_guard, phones_locked
from .search import contact_search_refresh
from .webhooks import UPDATED, contacts_changed

# Contacts deleted a batch at a time: Django's deletion reads their
# relationships first, and a list of ids stays well under SQLite's 32,766
# variables.
BATCH = 1000


def locked_pks(contacts: QuerySet) -> list[int]:
    """
    Lock the rows of ``contacts`` until the transaction ends; return their ids, in order.

    PostgreSQL locks rows after sorting them, so two bulk actions on
    overlapping selections take their locks in the same order. The filter is
    a subquery, so that only contact rows are locked, whatever joins the
    selection needs; it is the caller's (the live contacts, or those in the
    trash to delete for good).
    """
    selected = Contact.all_objects.filter(pk__in=contacts.order_by().values("pk"))
    return list(selected.select_for_update().order_by("pk").values_list("pk", flat=True))


def _batches(pks: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(pks), BATCH):
        yield pks[start : start + BATCH]


def links_insert(related, *, target: int, pks: Sequence[int]) -> list[int]:
    """
    Link the contacts ``pks`` that are not linked yet to the row ``target``
    of the many-to-many ``related`` (``Contact.tags``, ``Contact.shared_with``),
    in one INSERT ... SELECT, which Django's ORM cannot write; return their ids.
    """
    links = related.through._meta
    other = related.field.m2m_reverse_field_name()
    table, contact, target_column = (
        connection.ops.quote_name(name)
        for name in (links.db_table, *(links.get_field(f).column for f in ("contact", other)))
    )
    selected = ids_subquery(pks)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({contact}, {target_column}) SELECT id, %s"  # noqa: S608 - names from _meta
            # WHERE: SQLite would read ON CONFLICT as the join's ON otherwise.
            f" FROM ({selected.sql}) AS selected WHERE 1 = 1 ON CONFLICT DO NOTHING"
            f" RETURNING {contact}",
            [target, *selected.params],
        )
        return [pk for (pk,) in cursor.fetchall()]


@concurrent_change_guard
def contacts_tag(*, contacts: QuerySet, tag: str) -> int:
    """
    Give ``contacts`` the tag called ``tag`` (created when there is none,
    ignoring case); return how many contacts were tagged.

    Contacts that already have it keep it; those deleted meanwhile are left out.
    """
    pks = locked_pks(contacts)
    if not pks:
        return 0
    # After the contact locks, as a contact's save finds its tags.
    tag = tag_get_or_create(name=tag)
    tagged = links_insert(Contact.tags, target=tag.pk, pks=pks)
    changed(contacts=tagged, kind="tag", key=str(tag.pk), after={"name": tag.name})
    contact_search_refresh(ids=pks)
    contacts_changed(UPDATED, tagged)
    return len(pks)


@concurrent_change_guard
def contacts_untag(*, contacts: QuerySet, tag: str) -> int:
    """
    Take the tag called ``tag`` (ignoring case) off ``contacts``; return how
    many contacts had it. An unknown tag is on no contact.
    """
    pks = locked_pks(contacts)
    # The key of the tag's unique constraint, as tag_get_or_create() finds it.
    tag = Tag.objects.alias(key=Lower("name")).filter(key=Lower(Value(tag.strip()))).first()
    if not pks or tag is None:
        return 0
    links = Contact.tags.through.objects.filter(tag=tag, contact_id__in=ids_subquery(pks))
    had = list(links.values_list("contact", flat=True))
    links.delete()
    changed(contacts=had, kind="tag", key=str(tag.pk), before={"name": tag.name})
    contact_search_refresh(ids=pks)
    contacts_changed(UPDATED, had)
    return len(had)


@concurrent_change_guard
def contacts_delete(*, contacts: QuerySet) -> int:
    """
    Delete ``contacts`` for good, with the phones, addresses and timeline
    entries nobody else has; return how many were deleted. (Deleting on the site moves to the
    trash, ``crm.services.trash``: this is its purge's, and an import's undo.)

    Contacts deleted (or merged, or restored from the trash) meanwhile are
    not counted: the selection is read again under the locks.
    """
    # Locked first, so that nobody relates a contact between the collection
    # of its relationships and its deletion.
    pks = locked_pks(contacts)
    phones, addresses, entries, deleted = set(), set(), set(), 0
    for batch in _batches(pks):
        selected = contacts.filter(pk__in=batch)
        phones.update(selected.values_list("phones", flat=True))
        addresses.update(selected.values_list("addresses", flat=True))
        entries.update(selected.values_list("entries", flat=True))
        # Django collects the contacts to delete, with their relationships:
        # their ids are all it needs.
        _, by_model = selected.only("pk").delete()
        deleted += by_model.get(Contact._meta.label, 0)
    phones.discard(None)
    addresses.discard(None)
    with phones_locked:
        for batch in _batches(sorted(phones)):
            _delete_unused(Phone, batch)
    for batch in _batches(sorted(addresses)):
        _delete_unused(Address, batch)
    # A timeline entry nobody took part in any more goes with its last contact.
    entries.discard(None)
    for batch in _batches(sorted(entries)):
        Entry.objects.filter(pk__in=batch, contacts=None).delete()
    return deleted
