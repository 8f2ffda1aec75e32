"""
The trash: deleting a contact moves it there, whole; from there it is
restored, or deleted for good, by hand or ``CRM_TRASH_DAYS`` later by
``manage.py crm_purge_trash``.

A contact in the trash is its row with ``trashed`` set, holding every
email, phone, address, tag and relationship it had: ``Contact.objects``
leaves it out, so every page, search, export and duplicate check does, and
a restore is one UPDATE. Each write locks the contact's row first, as
every writer of a contact does: an edit, a merge, a restore and a
deletion for good of one contact run one after the other.
"""

import datetime
from collections.abc import Callable

from django.db.models import Q, QuerySet
from django.utils import timezone

from ..exceptions import ContactGone
from ..models import Contact, ContactRelationship
from .bulk import BATCH, _batches, contacts_delete, locked_pks
from .history import source, watching
from .locks import concurrent_change_guard, lock_contacts
from .search import contact_search_refresh
from .webhooks import DELETED, RESTORED, contacts_changed


@concurrent_change_guard
def contact_trash(*, contact: Contact, by=None) -> None:
    """
    Move ``contact`` to the trash, put there ``by`` a user (or nobody: a command).

    Raise ContactGone when it was deleted, trashed or merged meanwhile.
    """
    lock_contacts(contact)
    with source("trash"), watching([contact.pk]):
        Contact.objects.filter(pk=contact.pk).update(trashed=timezone.now(), trashed_by=by)
    contacts_changed(DELETED, [contact.pk])


@concurrent_change_guard
def contacts_trash(*, contacts: QuerySet, by=None) -> int:
    """
    Move ``contacts`` to the trash; return how many went.

    Those trashed, deleted or merged meanwhile are not counted: they are
    gone as asked. A thousand contacts a statement, and their history a
    thousand at a time, as one operation.
    """
    pks = locked_pks(contacts)
    now, count = timezone.now(), 0
    with source("trash"):
        for batch in _batches(pks):
            with watching(batch):
                # trashed IS NULL read again under the locks: one trashed meanwhile stays as it is.
                live = Contact.objects.filter(pk__in=batch)
                count += live.update(trashed=now, trashed_by=by)
            contacts_changed(DELETED, batch)
    return count


def contact_trash_merged(*, contact: Contact, into: Contact) -> None:
    """
    Move ``contact``, merged into ``into``, to the trash (in the merge's
    transaction, under its locks), with what it still holds: the rows
    ``into`` had already, and its relationships, which ``into`` now has.

    It is not listed in the trash: undoing the merge brings it back.
    """
    ContactRelationship.objects.filter(Q(from_contact=contact) | Q(to_contact=contact)).delete()
    for rows in (contact.phone_links, contact.address_links, contact.emails, contact.urls):
        rows.all().delete()
    contact.dates.all().delete()
    contact.tags.clear()
    Contact.all_objects.filter(pk=contact.pk).update(trashed=timezone.now(), merged_into=into)


def _lock_trashed(contact: Contact) -> None:
    """Lock ``contact``'s row; raise ContactGone unless it is in the trash."""
    locked = Contact.all_objects.select_for_update().filter(pk=contact.pk, trashed__isnull=False)
    if not locked.exists():
        raise ContactGone(
            f"{contact.name} is no longer in the trash: "
            "it was restored or deleted for good meanwhile."
        )


@concurrent_change_guard
def contact_restore(*, contact: Contact) -> None:
    """
    Take ``contact`` out of the trash, with every row it holds.

    Raise ContactGone when it was restored, or deleted for good, meanwhile.
    """
    _lock_trashed(contact)
    with source("restore"), watching([contact.pk]):
        restored = Contact.all_objects.filter(pk=contact.pk)
        restored.update(trashed=None, trashed_by=None, merged_into=None)
    contacts_changed(RESTORED, [contact.pk])
    # Its rows may have changed meanwhile (an address it shares).
    contact_search_refresh(ids=[contact.pk])


@concurrent_change_guard
def contact_destroy(*, contact: Contact) -> None:
    """
    Delete ``contact``, in the trash, for good, with the phones and
    addresses nobody else uses (those of other contacts in the trash are
    used: they may come back).

    Raise ContactGone when it was restored, or deleted for good, meanwhile.
    """
    _lock_trashed(contact)
    contacts_delete(contacts=Contact.all_objects.filter(pk=contact.pk, trashed__isnull=False))


def trash_expired(*, days: int) -> QuerySet:
    """Return the contacts in the trash for more than ``days`` days (merged-away ones too)."""
    return Contact.all_objects.filter(trashed__lt=timezone.now() - datetime.timedelta(days=days))


def trash_purge(*, days: int, progress: Callable[[int, int], None] | None = None) -> int:
    """
    Delete for good the contacts in the trash for more than ``days`` days,
    with the phones and addresses nobody else uses; return how many.

    ``BATCH`` contacts a transaction, so a big purge holds no lock for
    long; ``progress(done, total)`` is called after each. A contact
    restored meanwhile is left out.
    """
    expired = trash_expired(days=days)
    total, done, last = expired.count(), 0, 0
    ids = expired.order_by("pk").values_list("pk", flat=True)
    while pks := list(ids.filter(pk__gt=last)[:BATCH]):
        done += contacts_delete(contacts=expired.filter(pk__in=pks))
        last = pks[-1]
        if progress:
            progress(done, total)
    return done
