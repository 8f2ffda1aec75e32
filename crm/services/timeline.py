"""
Workflows of the timeline: add, change and delete entries, close a follow-up.

Each write locks the rows of the entry's contacts (old and new participants,
in id order, as every write to a contact does), then its own row, and keeps
``Contact.last_interaction`` of those contacts right in the same
transaction: two entries added at once to the same contacts run one after
the other, so the second reads the first's. Only an entry's author changes
or deletes it. Each change is recorded in the history of every contact the
entry is (or was) on, as ``("entry", its id)``, through the source
"timeline" (``crm.services.history``).
"""

import datetime
from collections.abc import Iterable

from django.db.models import OuterRef, Subquery

from ..exceptions import ConcurrentChange, EntryGone
from ..models import Contact, Entry, Participation
from .history import changed, source
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
    # The base manager: a contact in the trash keeps its timeline right too.
    contacts = Contact._base_manager.filter(pk__in=sorted(set(ids)))
    contacts.update(last_interaction=Subquery(latest))


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
    ids = [contact.pk for contact in contacts]
    with source("timeline", author=author):
        entry = Entry.objects.create(
            kind=kind, at=at, author=author, text=text, follow_up=follow_up
        )
        Participation.objects.bulk_create(
            Participation(entry=entry, contact_id=pk, at=at) for pk in ids
        )
        contacts_remember(ids=ids)
        _record(entry, ids, after=entry.history_values())
    return entry


def _record(entry: Entry, ids: Iterable[int], *, before=None, after=None) -> None:
    """Record the change of ``entry`` on the contacts ``ids``: only the values that differ."""
    if before is not None and after is not None:
        names = [name for name in after if before.get(name) != after[name]]
        if not names:
            return
        before = {name: before.get(name) for name in names}
        after = {name: after[name] for name in names}
    changed(contacts=sorted(ids), kind="entry", key=str(entry.pk), before=before, after=after)


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
    old = entry.history_values()
    if follow_up != entry.follow_up:
        entry.follow_up_done = False
    entry.kind, entry.at, entry.text, entry.follow_up = kind, at, text, follow_up
    after = {contact.pk for contact in contacts}
    with source("timeline", author=author):
        entry.save()
        entry.contact_links.exclude(contact__in=after).delete()
        entry.contact_links.update(at=at)
        Participation.objects.bulk_create(
            Participation(entry=entry, contact_id=pk, at=at) for pk in sorted(after - before)
        )
        contacts_remember(ids=before | after)
        new = entry.history_values()
        _record(entry, before & after, before=old, after=new)
        _record(entry, before - after, before=old)
        _record(entry, after - before, after=new)
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
    with source("timeline", author=author):
        _record(entry, participants, before=entry.history_values())
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
        with source("timeline", author=author):
            entry.save(update_fields=["follow_up_done", "updated"])
            _record(
                entry,
                _participants(entry),
                before={"follow_up_done": False},
                after={"follow_up_done": True},
            )
    return entry
