"""
The contact list through the API: the web list's search, filters and sort
(``crm.forms.listing.ContactListForm`` reads them, in the same meanings as
the list's URL) and its keyset pages (``crm.queries.pages``), named by
opaque cursors; never an OFFSET.

A page costs the capped count, the page's ids and one query for the
records, whatever its size.
"""

import base64
import binascii
import json
from typing import Literal

from django.http import QueryDict
from ninja import Schema
from ninja.errors import ValidationError
from pydantic import Field

from ..forms.listing import HAS, SORT_CHOICES, ContactListForm
from ..models import Contact
from ..queries import pages
from ..queries.pages import MAX_CURSOR_LENGTH
from ..visibility import sees_all
from .schemas import ContactOut, records

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
Sort = Literal[tuple(value for value, _ in SORT_CHOICES)]
Has = Literal[tuple(HAS)]
ID_OR_NONE = r"^([1-9][0-9]{0,17}|none)$"
# A day as the list's URL writes it; the form says when there is no such day.
DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


class ListParams(Schema):
    q: str = Field(
        "",
        max_length=20_000,
        description="Words, each found in some field of the contact, in any order, "
        "ignoring case and accents (only the first 10 are searched).",
    )
    sort: Sort = Field("name", description="The order: a field, reversed with a leading '-'.")
    tag: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Tag slugs: the contacts with every tag given.",
    )
    has: list[Has] = Field(
        default_factory=list,
        max_length=3,
        description="The contacts with an email, a phone, an address.",
    )
    owner: str | None = Field(
        None, pattern=ID_OR_NONE, description="A user's id, or 'none': contacts without an owner."
    )
    team: str | None = Field(
        None, pattern=ID_OR_NONE, description="A team's id, or 'none': contacts without a team."
    )
    created_from: str | None = Field(
        None,
        pattern=DAY,
        json_schema_extra={"format": "date"},
        description="Created on this day or after (YYYY-MM-DD, the site's time zone).",
    )
    created_to: str | None = Field(
        None,
        pattern=DAY,
        json_schema_extra={"format": "date"},
        description="Created on this day or before (YYYY-MM-DD, the site's time zone).",
    )
    cursor: str | None = Field(
        None,
        max_length=MAX_CURSOR_LENGTH * 2,
        description="The page: a `next` or `previous` of an earlier answer, for the same "
        "search, filters and sort; none for the first page.",
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Contacts a page.")


class ContactPage(Schema):
    items: list[ContactOut] = Field(description="The page's contacts, in the list's order.")
    next: str | None = Field(description="The cursor of the next page; null on the last.")
    previous: str | None = Field(description="The cursor of the page before; null on the first.")
    count: int = Field(description="How many contacts match, counted up to 1,000.")
    count_exact: bool = Field(description="False when more than `count` match.")


def _refuse(field, message):
    return ValidationError([{"loc": ("query", field), "msg": message, "type": "value_error"}])


def _cursor(direction, sort, inner):
    text = json.dumps([direction, sort, inner], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _read_cursor(cursor, sort):
    """Return ("after" or "before", the list's cursor); refuse a cursor this API did not give."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        direction, cursor_sort, inner = json.loads(text)
    except (binascii.Error, ValueError, TypeError):
        raise _refuse("cursor", "This is not a cursor this list gave.") from None
    if direction not in ("after", "before") or not isinstance(inner, str):
        raise _refuse("cursor", "This is not a cursor this list gave.")
    if cursor_sort != sort:
        raise _refuse("cursor", "This cursor is of another sort: ask for the first page again.")
    return direction, inner


def _form(request, params):
    """Return the web list's form of ``params``; refuse (422) a value it refuses."""
    data = QueryDict(mutable=True)
    for name in ("q", "sort", "owner", "team", "created_from", "created_to"):
        value = getattr(params, name)
        if value:
            data[name] = str(value)
    data.setlist("tag", params.tag)
    data.setlist("has", params.has)
    form = ContactListForm(data, user=request.user)
    if not form.is_valid():
        raise ValidationError(
            [
                {"loc": ("query", field), "msg": message, "type": "value_error"}
                for field, messages in form.errors.items()
                for message in messages
            ]
        )
    return form


def contact_page(request, params: ListParams) -> dict:
    """Return the ``ContactPage`` that ``params`` ask for, of the contacts the user sees."""
    form = _form(request, params)
    sort = form.sort_key
    direction, inner = _read_cursor(params.cursor, sort) if params.cursor else ("after", "")
    contacts = form.contacts()
    # As the web list does (crm.views.contacts.contact_page): a search, a
    # filter or a team's share of the book that counted few is sorted by itself.
    narrowed = form.filtered or not sees_all(request.user)
    count = pages.contact_count(contacts, filtered=narrowed)
    few = narrowed and count.exact
    # Unfiltered and many, a walk along the sort's index: each row looked up
    # among the shares (crm.visibility.visible()), as the web list does.
    walk = not form.filtered and not few
    page = pages.contact_page(
        form.contacts(row_by_row=True) if walk else contacts,
        sort=sort,
        per_page=params.limit,
        after=inner if direction == "after" else "",
        before=inner if direction == "before" else "",
        few=few,
        filtered=form.filtered,
    )
    pks = [contact.pk for contact in page.contacts]
    return {
        "items": records(Contact.objects.all(), pks),
        "next": _cursor("after", sort, page.next_cursor) if page.has_next else None,
        "previous": _cursor("before", sort, page.previous_cursor) if page.has_previous else None,
        "count": count.number,
        "count_exact": count.exact,
    }
