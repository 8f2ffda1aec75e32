"""Workflows of contacts: saving one with its phones and addresses (deleting: ``trash.py``)."""

from collections.abc import Iterable, Mapping, Sequence

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Value
from django.db.models.functions import Lower
from django.utils.text import slugify

from ..models import ADDRESS_FIELDS, Address, Contact, ContactAddress, Email, Phone, Tag, Team
from ..phones import phone_key
from .history import watching
from .locks import concurrent_change_guard, lock_contacts, phones_locked
from .search import contact_search_refresh
from .webhooks import CREATED, UPDATED, contacts_changed


@phones_locked
def phone_link_or_create(*, number: str) -> Phone:
    """
    Return the Phone with the key of ``number``, creating it when there is none.

    A number another contact already has links the same row (a shared office
    line); an existing phone keeps its number. The phone table is locked
    until the transaction ends, so the phone cannot be created twice, nor
    deleted as unused before the caller links it.
    """
    return _phone_for(number)


def _phone_for(number: str) -> Phone:
    """`phone_link_or_create` for a caller that holds ``phones_locked``."""
    phone = Phone.objects.filter(digits=phone_key(number)).first()
    if phone is None:
        phone = Phone.objects.create(number=number)
    return phone


def _set_links(links, key: str, labels: Mapping[int, str]) -> None:
    """
    Make the contact's ``links`` (a related manager) exactly ``labels``: {row pk: label}.

    A link kept keeps its row, so its place in the list; only its label changes.
    """
    existing = {getattr(link, key): link for link in links.all()}
    if gone := set(existing) - set(labels):
        links.filter(**{f"{key}__in": gone}).delete()
    relabelled, new = [], []
    for pk, label in labels.items():
        link = existing.get(pk)
        if link is None:
            new.append(links.model(contact=links.instance, label=label, **{key: pk}))
        elif link.label != label:
            link.label = label
            relabelled.append(link)
    links.model.objects.bulk_update(relabelled, ["label"])
    links.model.objects.bulk_create(new)


def _delete_unused(model, pks: Iterable[int]) -> None:
    """
    Delete the rows among ``pks`` of ``model`` that no contact uses any more.

    Phones only under ``phones_locked``: not while someone links one of them.
    """
    pks = list(pks)
    if pks:
        model.objects.filter(pk__in=pks, contacts=None).delete()


def _free_slug(name: str) -> str:
    """Return a slug for a new tag called ``name`` that no tag has yet."""
    base = slugify(name)[: Tag._meta.get_field("slug").max_length - 10] or "tag"
    taken = set(Tag.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def tag_get_or_create(*, name: str) -> Tag:
    """
    Return the tag called ``name`` ignoring case, creating it when there is none.

    Two saves creating the same new tag at once: the unique constraint on
    LOWER(name) makes the second insert wait for the first and fail, and the
    retry finds the first's tag. A second failure is a real conflict.
    """
    for attempt in range(2):
        tag = Tag.objects.alias(key=Lower("name")).filter(key=Lower(Value(name))).first()
        if tag is not None:
            return tag
        try:
            with transaction.atomic():  # a savepoint: the save goes on after a failure
                return Tag.objects.create(name=name, slug=_free_slug(name))
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


@concurrent_change_guard
def contact_save(
    *,
    contact: Contact,
    phones: Sequence[tuple[str, str]],
    addresses: Sequence[Mapping[str, object]],
    tags: Sequence[str] | None = None,
    emails: Sequence[Mapping[str, object]] | None = None,
    urls: Sequence[Mapping[str, object]] | None = None,
    dates: Sequence[Mapping[str, object]] | None = None,
    shared_with: Sequence[Team] | None = None,
) -> list[Phone]:
    """
    Save ``contact`` with exactly ``phones`` ((number, label) pairs) and
    ``addresses`` (dicts of address fields, with the ``id`` of one of the
    contact's addresses to change it, without to add a new one).

    With ``emails`` (dicts of ``address``, ``label`` and ``primary``),
    ``urls`` (``url``, ``label``) or ``dates`` (``kind``, ``label``, ``year``,
    ``month``, ``day``), the contact has exactly those, in that order; the
    first email is the primary one unless another says it is. With
    ``shared_with`` (teams), the contact is shared with exactly those.

    Phones and addresses no longer used by anyone are deleted. Labels are
    this contact's own, on its links. A phone only this contact uses takes
    the number as typed; a shared one keeps its number. With ``tags`` (names),
    the contact has exactly those tags, missing ones created (ignoring case).
    The search text of the contact, and of every contact sharing an address
    it changed, is recomputed. Return the phones newly linked that other
    contacts have too.
    """
    is_new = contact.pk is None
    sharing = [] if is_new else _sharing_addresses_with(contact)
    if not is_new:
        # Lock the row, as relationship writes and merges do: saving a contact
        # merged or deleted meanwhile would otherwise insert it again. With it,
        # in id order, the contacts sharing its addresses, whose search text
        # an address changed here rewrites: two colleagues saved at once would
        # otherwise each hold their own row and wait for the other's.
        lock_contacts(contact, others=sharing)
    # Those colleagues' addresses are what an address changed here changes.
    with watching([] if is_new else [contact.pk, *sharing]) as watch:
        contact.save()
        if is_new:
            watch.created([contact.pk])
        if shared_with is not None:
            contact.shared_with.set(shared_with)
        shared = _save_rows(contact, is_new, phones, addresses, tags, emails, urls, dates)
    contacts_changed(CREATED if is_new else UPDATED, [contact.pk])
    return shared


def _save_rows(contact, is_new, phones, addresses, tags, emails, urls, dates) -> list[Phone]:
    """`contact_save` once the contact is saved: its phones, addresses, tags, emails..."""
    old_phones = set() if is_new else set(contact.phones.values_list("pk", flat=True))
    old_addresses = {} if is_new else {a.pk: a for a in contact.addresses.all()}

    with phones_locked:  # once for the whole save: link, then drop the unused
        shared = _save_phones(contact, phones, old_phones)
    changed = _save_addresses(contact, addresses, old_addresses)
    if tags is not None:
        contact.tags.set([tag_get_or_create(name=name) for name in tags])
    if emails is not None:
        _save_emails(contact, emails)
    for rows, related, fields in [
        (urls, contact.urls, ["url", "label"]),
        (dates, contact.dates, ["kind", "label", "year", "month", "day"]),
    ]:
        if rows is not None:
            _replace(related, [{field: row.get(field) for field in fields} for row in rows])
    # No query when no address changed: an empty IN finds nothing unasked.
    sharing = ContactAddress.objects.filter(address__in=changed).values_list("contact", flat=True)
    contact_search_refresh(ids={contact.pk, *sharing})
    return shared


def _sharing_addresses_with(contact: Contact) -> list[int]:
    """Return the ids of the other contacts linked to one of ``contact``'s addresses."""
    mine = ContactAddress.objects.filter(contact=contact).values("address")
    others = ContactAddress.objects.filter(address__in=mine).exclude(contact=contact)
    return list(others.values_list("contact", flat=True).distinct())


def _replace(related, rows) -> None:
    """Make the rows of ``related`` (a contact's related manager) exactly ``rows``, in order."""
    related.all().delete()
    related.model.objects.bulk_create(
        related.model(contact=related.instance, **row) for row in rows
    )


def _save_emails(contact, emails) -> None:
    """Give ``contact`` exactly ``emails``, one of them primary."""
    rows = [{"address": e["address"], "label": e.get("label") or Email.Label.HOME} for e in emails]
    primary = next((i for i, e in enumerate(emails) if e.get("primary")), 0)
    for i, row in enumerate(rows):
        row["primary"] = i == primary
    _replace(contact.emails, rows)


def _save_phones(contact, phones, old_phones) -> list[Phone]:
    """Link exactly ``phones`` to ``contact``; return the new ones others have too."""
    typed = {_phone_for(number).pk: (number, label) for number, label in phones}
    _set_links(contact.phone_links, "phone_id", {pk: label for pk, (_, label) in typed.items()})
    shared = []
    # Shared with a contact in the trash: not said (it is nobody's now), yet
    # not retyped either (it comes back with its number as it had it).
    users = Count("contacts", filter=Q(contacts__trashed=None))
    found = Phone.objects.filter(pk__in=list(typed)).annotate(users=users, links=Count("contacts"))
    for phone in found:
        if phone.users > 1:
            if phone.pk not in old_phones:
                shared.append(phone)
        elif phone.links == 1 and phone.number != typed[phone.pk][0]:
            phone.number = typed[phone.pk][0]
            phone.save(update_fields=["number"])
    _delete_unused(Phone, old_phones - set(typed))
    return sorted(shared, key=lambda phone: phone.digits)


def _save_addresses(contact, addresses, old_addresses) -> set[int]:
    """
    Link exactly ``addresses`` to ``contact``, changing or adding rows as
    typed; return the ids of the addresses changed.
    """
    kept, changed = {}, set()
    for row in addresses:
        values = {field: row.get(field) or "" for field in ADDRESS_FIELDS}
        address = old_addresses.get(row.get("id"))
        if address is None:
            address = Address.objects.create(**values)
        elif any(getattr(address, field) != value for field, value in values.items()):
            # A shared address (an office building) changes for everyone using
            # it; its label is this contact's alone.
            for field, value in values.items():
                setattr(address, field, value)
            address.save()
            changed.add(address.pk)
        kept[address.pk] = row.get("label") or ContactAddress.label.field.default
    _set_links(contact.address_links, "address_id", kept)
    _delete_unused(Address, set(old_addresses) - set(kept))
    return changed
