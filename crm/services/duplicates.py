"""
Merging duplicates: one contact takes over everything of another.

A merge rewrites every row of the duplicate, including the mirror rows that
belong to third contacts. It locks the two contacts' rows first, as every
relationship write and contact edit does: whoever touches either contact
meanwhile waits, then finds the duplicate gone; so does a second merge of the
same pair. Rows of third contacts need no lock of their own: any writer of a
pair that includes either contact holds one of the two locks we hold.
"""

from django.db.models import Value
from django.db.models.functions import Lower
from django.utils.text import Truncator

from ..exceptions import ConcurrentChange, SelfRelationship
from ..models import NAME_PARTS, Contact, ContactDate, Entry
from .history import changed, source, watching
from .locks import concurrent_change_guard, lock_contacts
from .relationships import both_rows, rows_by_other, set_types
from .search import contact_search_refresh
from .timeline import contacts_remember
from .trash import contact_trash_merged
from .webhooks import MERGED, contacts_changed

# The values of which a merged contact has one: where both contacts have a
# different one, the user chooses (the merge screen asks).
CHOSEN_FIELDS = (
    "name",
    *NAME_PARTS,
    "honorific_suffix",
    "nickname",
    "organization",
    "job_title",
    "notes",
)


@concurrent_change_guard
def contact_merge(
    *,
    keep: Contact,
    duplicate: Contact,
    primary_email: str | None = None,
    **chosen: str,
) -> Contact:
    """
    Merge ``duplicate`` into ``keep`` and move ``duplicate`` to the trash
    (``merged_into`` keep), in one transaction.

    ``chosen`` gives the values of CHOSEN_FIELDS the merged contact takes
    (``name="Ada Lovelace"``); a field not given keeps keep's value, or takes
    the duplicate's when keep's is empty. ``primary_email`` is one of the
    addresses of either (keep's primary when not given).

    Nothing else is lost: keep takes every email (an address both have, in
    any case, once: keep's, with its label), URL, date, tag, phone, address,
    relationship and timeline entry of ``duplicate``; see ``_take_dates()`` for a birthday
    both have. A relationship between the two disappears (it would relate
    ``keep`` to itself); one to a contact both are related to keeps the
    types of both. Return the kept contact. Raise ContactGone when either
    was deleted, or merged, meanwhile, ConcurrentChange when
    ``primary_email`` is no longer an address of either.
    """
    if unknown := set(chosen) - set(CHOSEN_FIELDS):
        raise TypeError(f"contact_merge() got unexpected fields: {', '.join(sorted(unknown))}")
    if keep.pk == duplicate.pk:
        raise SelfRelationship("A contact cannot be merged with itself.")
    lock_contacts(keep, duplicate)
    # The duplicate's relationships move: their other ends change too.
    others = duplicate.relationships.values_list("to_contact", flat=True)
    with source("merge", ref=duplicate.pk), watching([keep.pk, duplicate.pk, *others]):
        kept = _merge(keep, duplicate, primary_email, chosen)
    contacts_changed(MERGED, [kept.pk], merged_id=duplicate.pk)
    return kept


def _merge(keep: Contact, duplicate: Contact, primary_email: str | None, chosen) -> Contact:
    """`contact_merge` once the contacts are locked and watched."""
    keep = Contact.objects.get(pk=keep.pk)
    duplicate = Contact.objects.get(pk=duplicate.pk)

    _take_links(keep, duplicate)
    _take_relationships(keep, duplicate)
    _take_emails(keep, duplicate, primary_email)
    duplicate.urls.exclude(url__in=keep.urls.values("url")).update(contact=keep)
    _take_dates(keep, duplicate)
    keep.tags.add(*duplicate.tags.all())
    _take_entries(keep, duplicate)

    for field in CHOSEN_FIELDS:
        value = chosen.get(field)
        if value is None:
            value = getattr(keep, field) or getattr(duplicate, field)
        setattr(keep, field, value)
    keep.save()
    # What is left of the duplicate goes (its rows to and from keep, the
    # relationships now held by keep, the links, emails, URLs and dates keep
    # had already) and the duplicate to the trash, for an undo of the merge.
    contact_trash_merged(contact=duplicate, into=keep)
    contact_search_refresh(ids=[keep.pk, duplicate.pk])
    return keep


def _take_links(keep: Contact, duplicate: Contact) -> None:
    """
    Move the duplicate's links to phones and addresses to keep, with their labels.

    A phone or address keep has already keeps keep's link, and its label.
    """
    for links, key in [("phone_links", "phone_id"), ("address_links", "address_id")]:
        kept = getattr(keep, links).values(key)
        getattr(duplicate, links).exclude(**{f"{key}__in": kept}).update(contact=keep)


def _take_relationships(keep: Contact, duplicate: Contact) -> None:
    """Move the duplicate's relationships to keep, uniting the types of a shared one."""
    theirs, ours = rows_by_other(duplicate, keep), rows_by_other(keep, duplicate)
    for other, rows in theirs.items():
        types = {t for row in rows for t in row.types.all()}
        if other in ours:
            # Both were related to this contact: one relationship, all the types.
            # The duplicate's rows go with it.
            rows = ours[other]
            types |= {t for row in rows for t in row.types.all()}
        else:
            # Re-point the duplicate's rows to keep; their types stay with them.
            for row in rows:
                end = "from_contact" if row.from_contact_id == duplicate.pk else "to_contact"
                setattr(row, f"{end}_id", keep.pk)
                row.save(update_fields=[end])
        set_types(both_rows(rows, keep.pk, other), types)


def _take_entries(keep: Contact, duplicate: Contact) -> None:
    """
    Put keep in the duplicate's timeline entries in its place (once in an
    entry both took part in), and keep's last interaction up to date.
    """
    links = duplicate.entry_links.all()
    shared = set(keep.entry_links.values_list("entry", flat=True))
    for entry in Entry.objects.filter(contact_links__contact=duplicate).order_by("pk"):
        values = entry.history_values()
        changed(contacts=[duplicate.pk], kind="entry", key=str(entry.pk), before=values)
        if entry.pk not in shared:
            changed(contacts=[keep.pk], kind="entry", key=str(entry.pk), after=values)
    links.filter(entry__in=shared).delete()
    links.update(contact=keep)
    contacts_remember(ids=[keep.pk, duplicate.pk])


def _take_emails(keep: Contact, duplicate: Contact, primary: str | None) -> None:
    """
    Move the duplicate's emails that keep has not (ignoring case) to keep,
    and make ``primary`` keep's primary email.
    """
    kept = keep.emails.annotate(key=Lower("address")).values("key")
    moved = duplicate.emails.alias(key=Lower("address")).exclude(key__in=kept)
    # Moved as secondary: keep has a primary email already, or gets one below.
    moved.update(contact=keep, primary=False)
    if primary is None:
        if keep.emails.filter(primary=True).exists():
            return
        chosen = keep.emails.order_by("pk").first()
        if chosen is None:
            return
    else:
        chosen = keep.emails.alias(key=Lower("address")).filter(key=Lower(Value(primary)))
        chosen = chosen.first()
        if chosen is None:
            raise ConcurrentChange(
                f"{primary} is no longer an email of either contact: nothing was merged. "
                "Please choose again."
            )
    # The old primary first: at most one primary per contact, at every statement.
    keep.emails.filter(primary=True).exclude(pk=chosen.pk).update(primary=False)
    keep.emails.filter(pk=chosen.pk).update(primary=True)


def _take_dates(keep: Contact, duplicate: Contact) -> None:
    """
    Move the duplicate's dates to keep, each date keep has already once.

    A date keep has already is dropped, its year kept when keep's has none.
    A contact has one birthday and one anniversary: when both have a
    different one, keep's stays, and the duplicate's becomes another date,
    "Birthday (from <duplicate's name>)".
    """
    kept = list(keep.dates.all())
    for date in duplicate.dates.all():
        if date.kind != ContactDate.Kind.OTHER and _same_kind(kept, date):
            date.label = _from_label(date.get_kind_display(), duplicate.name)
            date.kind = ContactDate.Kind.OTHER
        same = next((mine for mine in kept if _same_date(mine, date)), None)
        if same is None:
            date.contact = keep
            date.save()
            kept.append(date)
        elif same.year is None and date.year is not None:
            same.year = date.year
            same.save(update_fields=["year"])


def _same_kind(dates: list[ContactDate], date: ContactDate) -> bool:
    """Return whether ``dates`` have one of the kind of ``date`` on another day."""
    return any(mine.kind == date.kind and not _same_date(mine, date) for mine in dates)


def _same_date(mine: ContactDate, theirs: ContactDate) -> bool:
    """
    Return whether two dates are one: the same kind (and label, for another
    date) and day, and the same year unless either has none.
    """
    labels = {date.label.casefold() for date in (mine, theirs)}
    return (
        (mine.kind, mine.month, mine.day) == (theirs.kind, theirs.month, theirs.day)
        and (mine.kind != ContactDate.Kind.OTHER or len(labels) == 1)
        and (mine.year == theirs.year or None in (mine.year, theirs.year))
    )


def _from_label(title: str, name: str) -> str:
    """Return "<title> (from <name>)", the name shortened to fit a date's label."""
    room = ContactDate._meta.get_field("label").max_length - len(f"{title} (from )")
    return f"{title} (from {Truncator(name).chars(room)})"
