"""
How the contact book's workflows stay race-free: the locks they take, and the last word.

Writes to a contact lock its row first (SELECT ... FOR UPDATE, in primary key
order when there are two), so that edits, relationship changes, merges and
deletes of the same contacts run one after the other. Linking a typed number
takes a table lock instead, since a new number has no row yet to lock.
crm/README.md has the table of every write path and its lock.
"""

import functools
from collections.abc import Iterable

from django.db import IntegrityError, OperationalError, transaction

from locking import require_lock

from ..exceptions import ConcurrentChange, ContactGone
from ..models import Contact, Phone


def concurrent_change_guard(func):
    """
    Run ``func`` in a transaction; turn an IntegrityError, even at commit,
    or a deadlock PostgreSQL broke, into ConcurrentChange.

    The constraints are the last word: what a race still gets past the locks
    is reported to the user as "try again", never as a 500. The locks are
    taken in one order (contacts by id, then the phone table), so a deadlock
    means a path that does not yet; its transaction is rolled back whole.
    """

    @functools.wraps(func)
    def guarded(*args, **kwargs):
        try:
            with transaction.atomic():
                return func(*args, **kwargs)
        except (IntegrityError, OperationalError) as exc:
            if isinstance(exc, OperationalError) and not _deadlock(exc):
                raise
            raise ConcurrentChange(
                "Someone changed these contacts at the same moment; nothing was saved. "
                "Please try again."
            ) from exc

    return guarded


def _deadlock(error):
    """Whether ``error`` is PostgreSQL breaking a deadlock (SQLSTATE 40P01)."""
    return getattr(error.__cause__, "pgcode", None) == "40P01"


def lock_contacts(*contacts: Contact, others: Iterable[int] = ()) -> None:
    """
    Lock the rows of ``contacts`` until the transaction ends; fail if one is gone.

    The contacts of the ids ``others`` are locked with them, in one id
    order, when they still exist.
    """
    pks = {contact.pk for contact in contacts}
    locked = set(
        Contact.objects.select_for_update()
        .filter(pk__in=sorted(pks | set(others)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if gone := [contact for contact in contacts if contact.pk not in locked]:
        raise ContactGone(f"{gone[0].name} no longer exists: it was deleted or merged meanwhile.")


# SHARE ROW EXCLUSIVE is the weakest mode that conflicts both with itself and
# with the ROW EXCLUSIVE lock of every INSERT, UPDATE and DELETE: two linkers,
# or a linker and the deletion of unused phones, run one after the other, while
# readers never wait. Waiting longer than the timeout raises LockNotAvailable:
# a "busy, try again" page.
PHONE_LOCK_TIMEOUT = 10
phones_locked = require_lock(Phone, mode="SHARE ROW EXCLUSIVE", timeout=PHONE_LOCK_TIMEOUT)
