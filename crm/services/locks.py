"""
How the contact book's workflows stay race-free: the locks they take, and the last word.

Writes to a contact lock its row first (SELECT ... FOR UPDATE, in primary key
order when there are two), so that edits, relationship changes, merges and
deletes of the same contacts run one after the other. Linking a typed number
takes a table lock instead, since a new number has no row yet to lock.
crm/README.md has the table of every write path and its lock.
"""

import functools

from django.db import IntegrityError, transaction

from locking import require_lock

from ..exceptions import ConcurrentChange, ContactGone
from ..models import Contact, Phone


def concurrent_change_guard(func):
    """
    Run ``func`` in a transaction; turn an IntegrityError, even at commit, into ConcurrentChange.

    The constraints are the last word: what a race still gets past the locks
    is reported to the user as "try again", never as a 500.
    """

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


def lock_contacts(*contacts: Contact) -> None:
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


# SHARE ROW EXCLUSIVE is the weakest mode that conflicts both with itself and
# with the ROW EXCLUSIVE lock of every INSERT, UPDATE and DELETE: two linkers,
# or a linker and the deletion of unused phones, run one after the other, while
# readers never wait. Waiting longer than the timeout raises LockNotAvailable:
# a "busy, try again" page.
PHONE_LOCK_TIMEOUT = 10
phones_locked = require_lock(Phone, mode="SHARE ROW EXCLUSIVE", timeout=PHONE_LOCK_TIMEOUT)
