"""
Writing an import's rows to the contact book in bulk, and taking them back.

The same rules as the contact form's save (``crm.services.contacts``), a
batch at a time instead of a contact at a time: a number another contact
has links its ``Phone`` (which keeps its number as first typed), an address
is a new row of its own, tags are found ignoring case and created on first
use (``tag_get_or_create``), the first email of a new contact is its
primary one, and the search text is kept true. The callers hold
``phones_locked`` and the contacts' row locks (``crm.imports.commit``).

Each batch costs the same few queries whatever its size: one ``INSERT`` per
table for the new contacts, as ``crm_demo`` seeds them, with their search
text computed as ``contact_search_refresh()`` would read it back; updates
are one ``UPDATE`` of the contacts, the inserts of what they gain, and a
``contact_search_refresh()``.
"""

from collections.abc import Iterable
from itertools import chain

from django.db.models.functions import Lower
from django.utils import timezone

from ..models import (
    ADDRESS_FIELDS,
    ADDRESS_LINE,
    Address,
    Contact,
    ContactAddress,
    ContactDate,
    ContactPhone,
    Email,
    Phone,
    Tag,
    Url,
)
from ..search import address_words, phone_words, search_text
from ..services.contacts import _delete_unused, tag_get_or_create
from ..services.search import contact_search_refresh
from .normalise import OWN_FIELDS

BATCH = 1000
TagLink = Contact.tags.through
# What a contact's update writes: its own fields, those derived from them, the time.
UPDATED_FIELDS = sorted({*OWN_FIELDS, *Contact.DERIVED, "updated"})


def phones_for(rows: Iterable[list]) -> dict[str, Phone]:
    """
    Return {key: Phone} for the phone rows ``rows`` ([number, label, key,
    e164]), inserting the numbers nobody has yet: two queries. A phone found
    keeps its number as stored. Only under ``phones_locked``, which keeps
    another writer from inserting the same key meanwhile.
    """
    typed = {row[2]: row for row in rows}
    found = {
        phone.digits: phone
        for phone in Phone.objects.filter(digits__in=list(typed)).only("digits", "number")
    }
    new = [Phone(number=r[0], digits=k, e164=r[3]) for k, r in typed.items() if k not in found]
    Phone.objects.bulk_create(new, batch_size=BATCH)
    found.update((phone.digits, phone) for phone in new)
    return found


def tags_for(names: Iterable[str], known: dict[str, Tag]) -> dict[str, Tag]:
    """
    Return {folded name: Tag} for ``names``, found ignoring case or created;
    ``known`` remembers them from batch to batch.
    """
    wanted = {name.casefold(): name for name in names if name.casefold() not in known}
    if wanted:
        lower = [name.lower() for name in wanted.values()]
        for tag in Tag.objects.annotate(key=Lower("name")).filter(key__in=lower):
            known[tag.name.casefold()] = tag
        for key, name in wanted.items():
            if key not in known:  # new, or its case folds differently in SQL
                known[key] = tag_get_or_create(name=name)
    return known


def _add_rows(pairs, phones, tags, *, primary_free=None) -> dict[int, list]:
    """
    Insert the rows of ``pairs`` ((contact id, change or values)); return
    the rows inserted by contact id: emails, URLs, dates, and links to
    phones, addresses and tags, each with its phone, address or tag.
    ``primary_free`` (contact ids): contacts without an email, whose first
    added email is primary; None: all of them (new contacts).
    """
    emails, urls, dates, phone_links, address_links, tag_links = [], [], [], {}, [], []
    for pk, values in pairs:
        free = primary_free is None or pk in primary_free
        for i, (address, label) in enumerate(values.get("emails", ())):
            emails.append(
                Email(contact_id=pk, address=address, label=label, primary=free and not i)
            )
        urls.extend(
            Url(contact_id=pk, url=url, label=label) for url, label in values.get("urls", ())
        )
        dates.extend(
            ContactDate(contact_id=pk, kind=k, label=lb, year=y, month=m, day=d)
            for k, lb, y, m, d in values.get("dates", ())
        )
        for _, label, key, _ in values.get("phones", ()):
            phone = phones[key]
            phone_links.setdefault(
                (pk, phone.pk), ContactPhone(contact_id=pk, phone=phone, label=label)
            )
        address_links.extend(
            ContactAddress(
                contact_id=pk,
                address=Address(**{name: row[name] for name in ADDRESS_FIELDS}),
                label=row["label"],
            )
            for row in values.get("addresses", ())
        )
        tag_links.extend(
            TagLink(contact_id=pk, tag=tags[name.casefold()]) for name in values.get("tags", ())
        )
    for model, rows in [(Email, emails), (Url, urls), (ContactDate, dates)]:
        model.objects.bulk_create(rows, batch_size=BATCH)
    ContactPhone.objects.bulk_create(phone_links.values(), batch_size=BATCH)
    Address.objects.bulk_create([link.address for link in address_links], batch_size=BATCH)
    ContactAddress.objects.bulk_create(address_links, batch_size=BATCH)
    TagLink.objects.bulk_create(tag_links, batch_size=BATCH, ignore_conflicts=True)
    written = {}
    for row in chain(emails, urls, dates, phone_links.values(), address_links, tag_links):
        written.setdefault(row.contact_id, []).append(row)
    return written


# What an update's undo takes back of each row it added (``before["added"]``):
# the row itself, or the shared phone, address or tag it links to.
ADDED = {
    Email: ("emails", "pk"),
    Url: ("urls", "pk"),
    ContactDate: ("dates", "pk"),
    ContactPhone: ("phones", "phone_id"),
    ContactAddress: ("addresses", "address_id"),
    TagLink: ("tags", "tag_id"),
}


def _added(rows: list) -> dict[str, list[int]]:
    """Return the ids an update's undo removes for ``rows``, by kind: {"emails": [ids], ...}."""
    added = {}
    for row in rows:
        kind, attname = ADDED[type(row)]
        added.setdefault(kind, []).append(getattr(row, attname))
    return added


def create_contacts(
    values: list[dict], tags: dict[str, Tag], *, owner=None, team=None
) -> list[tuple[Contact, list]]:
    """
    Create a contact for each of ``values`` (an ``ImportRow``'s), owned by
    ``owner`` in ``team``; return, in order, each contact created and the rows
    inserted for it (see ``_add_rows()``).
    """
    phones = phones_for(row for v in values for row in v.get("phones", ()))
    tags_for((name for v in values for name in v.get("tags", ())), tags)
    contacts = []
    for v in values:
        contact = Contact(**v.get("contact", {}), owner=owner, team=team)
        contact.derive()  # bulk_create() does not call save()
        words = [address for address, _ in v.get("emails", ())]
        for _, _, key, _ in v.get("phones", ()):
            words.extend(phone_words(phones[key].number, key))
        for row in v.get("addresses", ()):
            words.extend(address_words({part: row[part] for part in ADDRESS_LINE}))
        words.extend(tags[name.casefold()].name for name in v.get("tags", ()))
        own = [getattr(contact, name) for name in Contact.SEARCHED_FIELDS]
        contact.search_text = search_text(own, words)
        contacts.append(contact)
    Contact.objects.bulk_create(contacts, batch_size=BATCH)
    written = _add_rows([(c.pk, v) for c, v in zip(contacts, values, strict=True)], phones, tags)
    return [(contact, written.get(contact.pk, [])) for contact in contacts]


def update_contacts(updates: list[tuple[int, dict, dict]], tags: dict[str, Tag]) -> list[dict]:
    """
    Apply each change of ``updates`` ((contact id, change, current values),
    see ``crm.imports.plan.changes()``); return for each what the undo
    needs: ``{"contact": {field: value before}, "added": {kind: [ids]},
    "dates": [date rows replaced]}``.
    """
    pks = [pk for pk, _, _ in updates]
    contacts = Contact.objects.in_bulk(pks)
    now, befores = timezone.now(), []
    for pk, change, current in updates:
        contact = contacts[pk]
        fields = change.get("contact", {})
        replaced = set(change.get("replace_dates", ()))
        befores.append(
            {
                "contact": {name: getattr(contact, name) for name in fields},
                "dates": [row[:5] for row in current["dates"] if row[5] in replaced],
            }
        )
        for name, value in fields.items():
            setattr(contact, name, value)
        contact.derive()
        contact.updated = now  # bulk_update() leaves auto_now alone
    Contact.objects.bulk_update(contacts.values(), UPDATED_FIELDS, batch_size=BATCH)
    ContactDate.objects.filter(
        pk__in=[pk for _, change, _ in updates for pk in change.get("replace_dates", ())]
    ).delete()
    phones = phones_for(row for _, change, _ in updates for row in change.get("phones", ()))
    tags_for((name for _, change, _ in updates for name in change.get("tags", ())), tags)
    no_email = {pk for pk, _, current in updates if not current["emails"]}
    written = _add_rows(
        [(pk, change) for pk, change, _ in updates], phones, tags, primary_free=no_email
    )
    for (pk, _, _), before in zip(updates, befores, strict=True):
        before["added"] = _added(written.get(pk, []))
    contact_search_refresh(ids=pks)
    return befores


def _delete_links(model, field: str, rows: list[tuple[int, list[int]]]) -> None:
    """
    Delete the links of ``model`` from each contact of ``rows`` to its own
    list of ``field`` ids: read the candidates, keep the exact pairs, delete
    them by id (two queries; not one OR a pair, which SQLite's parser caps).
    """
    pairs = {(pk, i) for pk, ids in rows for i in ids}
    candidates = model.objects.filter(
        contact_id__in={pk for pk, _ in pairs}, **{f"{field}__in": {i for _, i in pairs}}
    ).values_list("pk", "contact_id", field)
    model.objects.filter(pk__in=[pk for pk, *pair in candidates if tuple(pair) in pairs]).delete()


def restore_contacts(restores: list[tuple[int, dict]]) -> None:
    """
    Take back updates: for each (contact id, before) of ``restores``, put
    back the fields' values before, remove the rows added (phones and
    addresses nobody else uses go), put back the dates replaced.
    """
    pks = [pk for pk, _ in restores]
    contacts = Contact.all_objects.in_bulk(pks)  # one in the trash comes back as it was
    now = timezone.now()
    for pk, before in restores:
        contact = contacts.get(pk)
        if contact is not None:
            for name, value in before.get("contact", {}).items():
                setattr(contact, name, value)
            contact.derive()
            contact.updated = now
    Contact.all_objects.bulk_update(contacts.values(), UPDATED_FIELDS, batch_size=BATCH)

    def added(kind):
        return [(pk, before.get("added", {}).get(kind, [])) for pk, before in restores]

    for model, kind in [(Email, "emails"), (Url, "urls"), (ContactDate, "dates")]:
        model.objects.filter(pk__in=[i for _, ids in added(kind) for i in ids]).delete()
    _delete_links(ContactPhone, "phone_id", added("phones"))
    _delete_links(ContactAddress, "address_id", added("addresses"))
    _delete_links(TagLink, "tag_id", added("tags"))
    _delete_unused(Phone, {i for _, ids in added("phones") for i in ids})
    _delete_unused(Address, {i for _, ids in added("addresses") for i in ids})
    # A birthday replaced twice (two rows of the file): the first one replaced comes back.
    dates = {
        (pk, k, i if k == ContactDate.Kind.OTHER else 0): (k, lb, y, m, d)
        for pk, before in restores
        if pk in contacts
        for i, (k, lb, y, m, d) in enumerate(before.get("dates", ()))
    }
    ContactDate.objects.bulk_create(
        ContactDate(contact_id=pk, kind=k, label=lb, year=y, month=m, day=d)
        for (pk, _, _), (k, lb, y, m, d) in dates.items()
    )
    contact_search_refresh(ids=pks)
