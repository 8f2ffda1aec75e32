"""
The trash through the API: the contacts deleted that the user could see,
newest first, a page at a time by keyset, and their restore.
"""

import base64
import binascii
import json

from django.db.models import Q
from django.http import HttpResponse
from django.utils.dateparse import parse_datetime
from ninja import Query, Router, Schema
from ninja.errors import ValidationError
from pydantic import Field

from ..models import Contact
from ..permissions import RESTORE, VIEW
from ..services.trash import contact_restore
from ..visibility import visible_contact_or_404
from . import problems
from .access import require
from .listing import DEFAULT_LIMIT, MAX_LIMIT
from .schemas import ContactId, ContactOut, TrashedContactOut, etag, read, records

router = Router(tags=["trash"])


class TrashParams(Schema):
    q: str = Field("", max_length=20_000, description="Words, searched as the list searches.")
    cursor: str | None = Field(
        None,
        max_length=200,
        description="The `next` of an earlier answer; none for the first page.",
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Contacts a page.")


class TrashPage(Schema):
    items: list[TrashedContactOut] = Field(
        description="The page's contacts, newest in the trash first."
    )
    next: str | None = Field(description="The cursor of the next page; null on the last.")


def _cursor(contact):
    text = json.dumps([contact["trashed"].isoformat(), contact["id"]])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _after(cursor):
    """Return the filter of the rows after ``cursor``; refuse one this API did not give."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        when, pk = json.loads(text)
        when = parse_datetime(when)
        if when is None or not isinstance(pk, int) or not 0 < pk < 2**63:
            raise ValueError
    except (binascii.Error, ValueError, TypeError):
        raise ValidationError(
            [
                {
                    "loc": ("query", "cursor"),
                    "msg": "This is not a cursor this list gave.",
                    "type": "value_error",
                }
            ]
        ) from None
    return Q(trashed__lt=when) | Q(trashed=when, pk__lt=pk)


ERRORS = {status: problems.Problem for status in (401, 403, 429)}


@router.get(
    "/", response={200: TrashPage, 422: problems.Problem, **ERRORS}, summary="List the trash"
)
def trash_list(request, params: Query[TrashParams]):
    """
    List the contacts in the trash that the user could see, newest first,
    searched with ``q`` as the list is (those a merge trashed are not listed:
    undo the merge instead).
    """
    require(request, VIEW)
    trashed = (
        Contact.all_objects.in_trash().visible_to(request.user).search(" ".join(params.q.split()))
    )
    if params.cursor:
        trashed = trashed.filter(_after(params.cursor))
    pks = list(trashed.values_list("pk", flat=True)[: params.limit + 1])
    items = records(Contact.all_objects.all(), pks[: params.limit])
    more = len(pks) > params.limit and items
    return {"items": items, "next": _cursor(items[-1]) if more else None}


@router.post(
    "/{int:contact_id}/restore",
    response={
        200: ContactOut,
        404: problems.Problem,
        409: problems.Problem,
        422: problems.Problem,
        **ERRORS,
    },
    summary="Restore a contact from the trash",
)
def trash_restore(request, contact_id: ContactId, response: HttpResponse):
    """Take a contact out of the trash, with everything it held; answer it."""
    require(request, RESTORE)
    contact = visible_contact_or_404(request.user, contact_id, Contact.all_objects.in_trash())
    contact_restore(contact=contact)
    values = read(Contact.objects.all(), contact_id)
    response["ETag"] = etag(values)
    return values
