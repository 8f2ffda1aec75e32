"""
Keeping each contact's search text true (``Contact.search_text``, see ``crm.search``).

``Contact.save()`` keeps the words of a contact's own fields. The words of
its rows (emails, phones, addresses, tags) are recomputed from the database
by ``contact_search_refresh()``, which every write of rows calls once, in
its transaction: the contact form's save, a merge, the admin, bulk tagging,
an import. A shared phone or address changed changes the text of every
contact that has it. Writes that bypass the services (raw SQL, a restored
dump) are followed by ``manage.py crm_search_index``, which rebuilds all.

Explicit calls rather than signals on the row models: a ``post_delete``
receiver would make Django fetch every email and link of the contacts a
cascade deletes, where it now deletes them in one statement, and signals
would refresh once per row where one call refreshes once per save.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from django.db import transaction

from ..models import ADDRESS_LINE, Contact
from ..search import address_words, phone_words, search_text

# Contacts recomputed per round of queries.
BATCH = 1000


def contact_search_refresh(*, ids: Iterable[int]) -> int:
    """
    Recompute the search text of the contacts ``ids`` from the database.

    Call it after writing what a contact's search text holds by any other
    way than ``Contact.save()``: its emails, phones, addresses or tags (a
    shared phone's number or address for every contact that has it: pass
    all their ids), or its own fields with ``QuerySet.update()``. Ids of
    contacts that no longer exist are ignored; ``ids`` may be a QuerySet of
    ids. Each thousand contacts cost six queries, in one transaction; the
    contacts' rows are locked first, so that a concurrent refresh of the
    same contact reads what the other committed. Return how many search
    texts changed.
    """
    changed = 0
    with transaction.atomic():
        for batch in _batches(iter(ids), BATCH):
            changed += _refresh(Contact, batch)
    return changed


def contact_search_rebuild(
    *,
    model: type[Contact] = Contact,
    batch: int = BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """
    Recompute the search text of every contact, in primary-key batches of
    ``batch``, each in its own transaction; ``progress(done, total)`` is
    called after each. ``model`` is a migration's historical Contact, when
    called from one. Return how many search texts changed.
    """
    contacts = model._base_manager.order_by("pk").values_list("pk", flat=True)
    total = model._base_manager.count()
    done = changed = last = 0
    while ids := list(contacts.filter(pk__gt=last)[:batch]):
        with transaction.atomic():
            changed += _refresh(model, ids)
        done, last = done + len(ids), ids[-1]
        if progress:
            progress(done, total)
    return changed


def _batches(ids: Iterator[int], size: int) -> Iterator[list[int]]:
    while batch := list(islice(ids, size)):
        yield batch


def _refresh(model: type[Contact], ids: list[int]) -> int:
    """Recompute and store the search text of the contacts ``ids``, in six queries."""
    contacts = (
        model._base_manager.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "search_text", *Contact.SEARCHED_FIELDS)
    )
    rows = _row_words(model, ids)
    stale = []
    for pk, old, *own in contacts:
        text = search_text(own, rows[pk])
        if text != old:
            stale.append(model(pk=pk, search_text=text))
    model._base_manager.bulk_update(stale, ["search_text"])
    return len(stale)


def _row_words(model: type[Contact], ids: list[int]) -> dict[int, list[str]]:
    """Return what the rows of the contacts ``ids`` put in their search text, by contact."""
    words = defaultdict(list)
    Email = model.emails.field.model
    for pk, address in _of(Email, ids, "address"):
        words[pk].append(address)
    for pk, number, key in _of(model.phones.through, ids, "phone__number", "phone__digits"):
        words[pk].extend(phone_words(number, key))
    for pk, *parts in _of(model.addresses.through, ids, *(f"address__{p}" for p in ADDRESS_LINE)):
        words[pk].extend(address_words(dict(zip(ADDRESS_LINE, parts, strict=True))))
    for pk, name in _of(model.tags.through, ids, "tag__name"):
        words[pk].append(name)
    return words


def _of(rows, ids, *fields):
    return rows.objects.filter(contact_id__in=ids).order_by().values_list("contact_id", *fields)
