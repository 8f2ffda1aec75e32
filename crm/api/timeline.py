"""
A contact's timeline: its notes and interactions newest first, and adding,
changing, deleting and closing the follow-up of one's own entries, through
the timeline's workflows (``crm.services.timeline``). As on the site, only
an entry's author changes or deletes it: anyone else is answered 404.
"""

import datetime
from typing import Annotated

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import AfterValidator

from .. import permissions
from ..models import Contact, Entry, Participation
from ..queries.timeline import contacts_of
from ..services import timeline as services
from ..visibility import visible_contact_or_404
from . import pagination
from .access import require
from .problems import ERRORS, Problem, problem
from .references import ContactId, ContactRef, EntryId, Text, UserRef

router = Router(tags=["timeline"])

MAX_TEXT = 20_000
MAX_PARTICIPANTS = 100

Kind = Entry.Kind


class EntryOut(Schema):
    """A note on contacts, or an interaction with them, in their timelines."""

    id: int = Field(description="The entry's id.")
    kind: Kind = Field(description="A note, or the kind of interaction.")
    at: datetime.datetime = Field(description="When it happened.")
    author: UserRef | None = Field(description="Who wrote it; null for a former user.")
    text: str = Field(description="What was said or noted, as written (plain text).")
    participants: list[ContactRef] = Field(
        description="The other contacts who took part, by name; those you cannot see last, "
        'as {"id": null, "name": "a contact you cannot see"}.'
    )
    follow_up: datetime.date | None = Field(description="The author's follow-up date, if any.")
    follow_up_done: bool = Field(description="Whether the follow-up is done.")
    mine: bool = Field(description="Whether you wrote it, so may change or delete it.")


class EntryPage(pagination.Page):
    items: list[EntryOut] = Field(description="Entries, newest first.")


def _moment(value: datetime.datetime) -> datetime.datetime:
    """Return ``value`` in the site's time zone when naive; refuse one no database stores."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    try:
        value.astimezone(datetime.UTC)
    except OverflowError:
        raise ValueError("That moment is out of range.") from None
    return value


Moment = Annotated[datetime.datetime, AfterValidator(_moment)]


class EntryChange(Schema):
    """What an entry is; for a change, only the values given change."""

    kind: Kind | None = Field(None, description="A note, or the kind of interaction.")
    at: Moment | None = Field(
        None, description="When it happened; without an offset, in the site's time zone."
    )
    text: Text | None = Field(None, max_length=MAX_TEXT, description="What was said or noted.")
    follow_up: datetime.date | None = Field(
        None, description="A day to follow up on (your own reminder); null for none."
    )
    participants: list[int] | None = Field(
        None,
        max_length=MAX_PARTICIPANTS,
        description="The ids of the other contacts who took part, each one you can see; the "
        "contact of the path always does. On a change, those you cannot see stay.",
    )


class EntryIn(EntryChange):
    kind: Kind = Field(Kind.NOTE, description="A note, or the kind of interaction.")
    text: Text = Field("", max_length=MAX_TEXT, description="What was said or noted.")


def _out(entry, user) -> EntryOut:
    return EntryOut(
        id=entry.pk,
        kind=entry.kind,
        at=entry.at,
        author=UserRef.of(entry.author),
        text=entry.text,
        participants=[ContactRef.of(c["pk"], c["name"]) for c in contacts_of(entry)],
        follow_up=entry.follow_up,
        follow_up_done=entry.follow_up_done,
        mine=entry.author_id is not None and entry.author_id == user.pk,
    )


def _entries(user, contact_id):
    return Entry.objects.select_related("author").with_contacts(user=user, but=contact_id)


@router.get(
    "/contacts/{contact_id}/timeline",
    response={200: EntryPage, **ERRORS},
    summary="List a contact's timeline",
)
def entry_list(request, contact_id: ContactId, query: Query[pagination.PageQuery]):
    """The contact's entries, newest first, in one query a page whatever they hold."""
    require(request, permissions.VIEW)
    contact = visible_contact_or_404(request.user, contact_id)
    # The page from the participation index (contact, at, entry), one range of it.
    keys = ("-at", "-entry")
    links = Participation.objects.filter(contact=contact.pk)
    page = pagination.past(links, keys, query.cursor).values("entry")[: query.limit + 1]
    entries = list(_entries(request.user, contact.pk).filter(pk__in=page).order_by("-at", "-pk"))
    rows, next_cursor = pagination.page(entries, query.limit, lambda entry: [entry.at, entry.pk])
    return {"items": [_out(entry, request.user) for entry in rows], "next": next_cursor}


def _others(request, contact, ids, *, entry=None):
    """
    Return the contacts of an entry on ``contact`` with the others ``ids``
    (those of ``entry`` the user cannot see kept), or a problem naming each
    id that is no contact the user sees.
    """
    visible = Contact.objects.visible_to(request.user)
    found = {c.pk: c for c in visible.filter(pk__in=set(ids) - {contact.pk})}
    errors = [
        {"field": f"body.participants.{i}", "message": f"No contact you can see has the id {pk}."}
        for i, pk in enumerate(ids)
        if pk != contact.pk and pk not in found
    ]
    if errors:
        return None, problem(422, "Some participants were refused: see errors.", errors=errors)
    hidden = []
    if entry is not None:
        seen = visible.values("pk")
        hidden = list(entry.contacts.exclude(pk=contact.pk).exclude(pk__in=seen))
    return [contact, *found.values(), *hidden], None


@router.post(
    "/contacts/{contact_id}/timeline",
    response={201: EntryOut, 409: Problem, **ERRORS},
    summary="Add an entry to a contact's timeline",
)
def entry_create(request, contact_id: ContactId, payload: EntryIn):
    """Add a note or an interaction, written by you, on the contact and the others who took part."""
    require(request, permissions.ADD_ENTRY)
    contact = visible_contact_or_404(request.user, contact_id)
    contacts, refused = _others(request, contact, payload.participants or [])
    if refused is not None:
        return refused
    entry = services.entry_add(
        contacts=contacts,
        author=request.user,
        kind=payload.kind,
        at=payload.at or timezone.now(),
        text=payload.text,
        follow_up=payload.follow_up,
    )
    return Status(201, _out(_entries(request.user, contact.pk).get(pk=entry.pk), request.user))


def _own_entry(request, contact_id, entry_id):
    """Return the contact and its entry ``entry_id``; 404 unless the user wrote it."""
    contact = visible_contact_or_404(request.user, contact_id)
    entry = get_object_or_404(
        Entry, pk=entry_id, author=request.user, contact_links__contact=contact.pk
    )
    return contact, entry


@router.patch(
    "/contacts/{contact_id}/timeline/{entry_id}",
    response={200: EntryOut, 409: Problem, **ERRORS},
    summary="Change an entry of yours",
)
def entry_update(request, contact_id: ContactId, entry_id: EntryId, payload: EntryChange):
    """Change the values given of an entry you wrote; anyone else's is not found (404)."""
    require(request, permissions.CHANGE_ENTRY)
    contact, entry = _own_entry(request, contact_id, entry_id)
    given = payload.model_dump(exclude_unset=True)
    if "participants" in given:
        contacts, refused = _others(request, contact, payload.participants or [], entry=entry)
        if refused is not None:
            return refused
    else:
        contacts = [contact, *entry.contacts.all()]
    values = {name: getattr(entry, name) for name in services.FIELDS}
    values.update({name: given[name] for name in services.FIELDS if name in given})
    for name in ("kind", "at", "text"):
        if values[name] is None:
            values[name] = getattr(entry, name)
    services.entry_change(entry=entry, author=request.user, contacts=contacts, **values)
    return _out(_entries(request.user, contact.pk).get(pk=entry.pk), request.user)


@router.delete(
    "/contacts/{contact_id}/timeline/{entry_id}",
    response={204: None, 409: Problem, **ERRORS},
    summary="Delete an entry of yours",
)
def entry_delete(request, contact_id: ContactId, entry_id: EntryId):
    """Delete an entry you wrote from every timeline it is on; anyone else's is not found."""
    require(request, permissions.DELETE_ENTRY)
    _, entry = _own_entry(request, contact_id, entry_id)
    services.entry_delete(entry=entry, author=request.user)
    return Status(204, None)


@router.post(
    "/contacts/{contact_id}/timeline/{entry_id}/done",
    response={200: EntryOut, 409: Problem, **ERRORS},
    summary="Mark the follow-up of an entry of yours done",
)
def entry_done(request, contact_id: ContactId, entry_id: EntryId):
    """Mark the follow-up done (once done, it stays so); 409 when the entry has none."""
    require(request, permissions.CHANGE_ENTRY)
    contact, entry = _own_entry(request, contact_id, entry_id)
    if entry.follow_up is None:
        return problem(409, "This entry has no follow-up.")
    services.entry_follow_up_done(entry=entry, author=request.user)
    return _out(_entries(request.user, contact.pk).get(pk=entry.pk), request.user)
