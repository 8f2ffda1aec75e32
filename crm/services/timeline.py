"""
Workflows of the timeline: add, change and delete entries, close a follow-up.

Each write locks the rows of the entry's contacts (old and new participants,
in id order, as every write to a contact does), then its own row, and keeps
``Contact.last_interaction`` of those contacts right in the same
transaction: two entries added at once to the same contacts run one after
the other, so the second reads the first's. Only an entry's author changes
or deletes it.
"""

import datetime
from collections.abc import Iterable

from django.db.models import OuterRef, Subquery

from ..exceptions import ConcurrentChange, EntryGone
from ..models import Contact, Entry, Participation
from .locks import concurrent_change_guard, lock_contacts

# The fields of an entry the user writes; the history records them.
FIELDS = ("kind", "at", "text", "follow_up")


def contacts_remember(*, ids: Iterable[int]) -> None:
    """
    Set ``last_interaction`` of the contacts ``ids`` to the latest ``at`` of
    their entries that are not notes (NULL without any), in one UPDATE.

    Call it with the contacts' rows locked, in the transaction that changed
    their entries.
    """
    latest = (
        Participation.objects.filter(contact=OuterRef("pk"))
        .exclude(entry__kind=Entry.Kind.NOTE)
        .order_by("-at")
        .values("at")[:1]
    )
    Contact.objects.filter(pk__in=sorted(set(ids))).update(last_interaction=Subquery(latest))


def _locked(entry: Entry, *, author) -> Entry:
    """Lock and return ``entry`` afresh; raise EntryGone when it or its author went."""
    found = Entry.objects.select_for_update().filter(pk=entry.pk, author=author).first()
    if found is None:
        raise EntryGone("That entry no longer exists: it was deleted meanwhile.")
    return found


def _participants(entry: Entry) -> set[int]:
    return set(entry.contact_links.values_list("contact_id", flat=True))


@concurrent_change_guard
def entry_add(
    *,
    contacts: Iterable[Contact],
    author,
    kind: str,
    at: datetime.datetime,
    text: str = "",
    follow_up: datetime.date | None = None,
) -> Entry:
    """
    Add an entry on ``contacts`` (each sees it in its timeline), written by
    ``author``; return it. Raise ContactGone when one was deleted or merged
    meanwhile.
    """
    contacts = list({contact.pk: contact for contact in contacts}.values())
    if not contacts:
        raise ValueError("An entry needs at least one contact.")
    lock_contacts(*contacts)
    entry = Entry.objects.create(kind=kind, at=at, author=author, text=text, follow_up=follow_up)
    Participation.objects.bulk_create(
        Participation(entry=entry, contact=contact, at=at) for contact in contacts
    )
    contacts_remember(ids=[contact.pk for contact in contacts])
    return entry


@concurrent_change_guard
def entry_change(
    *,
    entry: Entry,
    author,
    contacts: Iterable[Contact],
    kind: str,
    at: datetime.datetime,
    text: str = "",
    follow_up: datetime.date | None = None,
) -> Entry:
    """
    Give ``entry`` of ``author`` these values and exactly these ``contacts``;
    return it. A new follow-up date opens the follow-up again.

    Raise EntryGone when the entry was deleted meanwhile (or is not
    ``author``'s), ContactGone when a new participant was.
    """
    contacts = list({contact.pk: contact for contact in contacts}.values())
    if not contacts:
        raise ValueError("An entry needs at least one contact.")
    before = _participants(entry)
    lock_contacts(*contacts, others=before)
    entry = _locked(entry, author=author)
    if _participants(entry) != before:
        raise ConcurrentChange(
            "Someone changed who took part in this entry at the same moment; nothing was "
            "saved. Please try again."
        )
    if follow_up != entry.follow_up:
        entry.follow_up_done = False
    entry.kind, entry.at, entry.text, entry.follow_up = kind, at, text, follow_up
    entry.save()
    after = {contact.pk for contact in contacts}
    entry.contact_links.exclude(contact__in=after).delete()
    entry.contact_links.update(at=at)
    Participation.objects.bulk_create(
        Participation(entry=entry, contact_id=pk, at=at) for pk in sorted(after - before)
    )
    contacts_remember(ids=before | after)
    return entry


@concurrent_change_guard
def entry_delete(*, entry: Entry, author) -> None:
    """
    Delete ``entry`` of ``author`` from every timeline it is on. Deleting it
    twice is harmless.
    """
    before = _participants(entry)
    lock_contacts(others=before)
    try:
        entry = _locked(entry, author=author)
    except EntryGone:
        return
    participants = _participants(entry)
    entry.delete()
    contacts_remember(ids=before | participants)


@concurrent_change_guard
def entry_follow_up_done(*, entry: Entry, author) -> Entry:
    """
    Mark the follow-up of ``entry`` (``author``'s) done; return the entry.
    Raise EntryGone when it was deleted meanwhile.
    """
    entry = _locked(entry, author=author)
    if entry.follow_up is not None and not entry.follow_up_done:
        entry.follow_up_done = True
        entry.save(update_fields=["follow_up_done", "updated"])
    return entry
