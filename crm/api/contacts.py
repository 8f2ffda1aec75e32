"""
Contacts through the API: the list (the web list's search, filters, sort,
keyset cursors), create, read, replace, change, move to the trash, merge.

Each operation asks the permission of its web page (crm.permissions), sees
what its user sees (crm.visibility: another's contact is 404) and writes
through the services, so the locks and the history come with them.
"""

from django.db import transaction
from django.http import Http404, HttpResponse
from ninja import Query, Router, Status

from ..models import Contact
from ..permissions import ADD, CHANGE, DELETE, MERGE, VIEW
from ..services.duplicates import contact_merge
from ..services.trash import contact_trash
from ..visibility import visible_contact_or_404
from . import idempotency, listing, problems
from .access import require
from .editing import ContactIn, ContactPatch, editor, patched
from .merging import MergeIn, merge_choices
from .schemas import ContactId, ContactOut, etag, read

router = Router(tags=["contacts"])


def errors(*statuses):
    """Return the problem responses an operation may answer, for ``response=``."""
    return {status: problems.Problem for status in statuses}


COMMON = (401, 403, 429)


def _record(user, pk):
    """Return the record of contact ``pk`` if ``user`` sees it; raise Http404 otherwise."""
    try:
        return read(Contact.objects.visible_to(user), pk)
    except Contact.DoesNotExist:
        raise Http404("No contact matches the given query.") from None


def _locked(user, pk):
    """
    Lock the row of contact ``pk`` (404 unless ``user`` sees it), then
    return it and its record: what If-Match compares with is then what the
    write changes, whoever else waits for the lock.
    """
    contact = visible_contact_or_404(user, pk, Contact.objects.select_for_update())
    return contact, read(Contact.objects.all(), pk)


def _answer(response: HttpResponse, values: dict):
    response["ETag"] = etag(values)
    return values


def _precondition(request, values: dict):
    """
    Return a 412 problem when ``If-Match`` names another version than
    ``values``'s, else None. ``*`` matches any version.
    """
    header = request.headers.get("If-Match")
    if header is None:
        return None
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags or etag(values) in tags:
        return None
    return problems.problem(
        412,
        "The contact changed since you read it (If-Match names another version): "
        "read it again, then send your change.",
        headers={"ETag": etag(values)},
    )


@router.get(
    "/",
    response={200: listing.ContactPage, **errors(400, 422, *COMMON)},
    summary="List contacts",
    url_name="contact_list",
)
def contact_list(request, params: Query[listing.ListParams]):
    """
    List the contacts the user sees, a page at a time, with the web list's
    word search (``q``), filters and sort, in the same meanings as the
    list's URL. ``next`` and ``previous`` are cursors for the pages either
    side (null at an end); ``count`` is exact up to 1,000, then
    ``count_exact`` is false and there are more.
    """
    require(request, VIEW)
    return listing.contact_page(request, params)


@router.post(
    "/",
    response={201: ContactOut, **errors(400, 409, 422, *COMMON)},
    summary="Create a contact",
)
def contact_create(request, payload: ContactIn, response: HttpResponse):
    """
    Create a contact; answer it, with its URL (``Location``) and ``ETag``.

    With an ``Idempotency-Key`` header (up to 255 characters), a retry with
    the same key gets the same answer and creates nothing more, for 24 hours;
    the same key with another body is refused (422).
    """
    require(request, ADD)
    user, values = request.user, payload.model_dump()
    try:
        key = idempotency.key_of(request)
        with transaction.atomic():
            if key is not None:
                digest = idempotency.fingerprint(request, values)
                stored = idempotency.claim(user=user, key=key, digest=digest)
                if stored is not None:
                    return idempotency.replay(stored)
            contact = editor(values, payload.model_fields_set, contact=None, user=user)
            contact.save()
            created = read(Contact.objects.all(), contact.contact.pk)
            headers = {"Location": created["url"], "ETag": etag(created)}
            if key is not None:
                body = idempotency.as_sent(ContactOut.model_validate(created).model_dump())
                idempotency.store(user=user, key=key, status=201, body=body, headers=headers)
    except idempotency.Refused as refused:
        return refused.response
    for name, value in headers.items():
        response[name] = value
    return Status(201, created)


@router.get(
    "/{int:contact_id}",
    response={200: ContactOut, 304: None, **errors(400, 404, 422, *COMMON)},
    summary="Read a contact",
    url_name="contact_read",
)
def contact_read(request, contact_id: ContactId, response: HttpResponse):
    """
    Read a contact with everything it holds. Its ``ETag`` changes whenever
    anything it holds does; send it as ``If-Match`` to change it safely, or
    as ``If-None-Match`` to be told (304) that it did not change.
    """
    require(request, VIEW)
    values = _record(request.user, contact_id)
    response["ETag"] = tag = etag(values)
    if tag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        return Status(304, None)
    return values


def _save(request, contact_id, response, change):
    """
    Lock the contact, check ``If-Match`` against it, apply ``change(record)``
    (the ``ContactIn`` values and the fields given) and answer the new record.
    """
    require(request, CHANGE)
    user = request.user
    with transaction.atomic():
        contact, current = _locked(user, contact_id)
        if (stale := _precondition(request, current)) is not None:
            return stale
        values, given = change(current)
        editor(values, given, contact=contact, user=user).save()
        return _answer(response, read(Contact.objects.all(), contact_id))


WRITE_ERRORS = errors(400, 404, 409, 412, 422, *COMMON)


@router.put(
    "/{int:contact_id}", response={200: ContactOut, **WRITE_ERRORS}, summary="Replace a contact"
)
def contact_replace(request, contact_id: ContactId, payload: ContactIn, response: HttpResponse):
    """
    Replace a contact with the body: what it leaves out is emptied (the
    owner and teams stay as they are). With ``If-Match``, a contact changed
    since that version is left alone (412).
    """
    return _save(
        request,
        contact_id,
        response,
        lambda current: (payload.model_dump(), set(payload.model_fields_set)),
    )


@router.patch(
    "/{int:contact_id}", response={200: ContactOut, **WRITE_ERRORS}, summary="Change a contact"
)
def contact_change(request, contact_id: ContactId, payload: ContactPatch, response: HttpResponse):
    """
    Change the fields the body gives, and only those; a list given (emails,
    phones, tags...) replaces the whole list. With ``If-Match``, a contact
    changed since that version is left alone (412).
    """
    return _save(request, contact_id, response, lambda current: patched(current, payload))


@router.delete(
    "/{int:contact_id}",
    response={204: None, **errors(400, 404, 409, 412, 422, *COMMON)},
    summary="Move a contact to the trash",
)
def contact_delete(request, contact_id: ContactId):
    """
    Move a contact to the trash, whole, as the site's delete does (restore
    it with ``POST /api/trash/{contact_id}/restore``). ``If-Match`` is honoured.
    """
    require(request, DELETE)
    with transaction.atomic():
        contact, current = _locked(request.user, contact_id)
        if (stale := _precondition(request, current)) is not None:
            return stale
        contact_trash(contact=contact, by=request.user)
    return Status(204, None)


@router.post(
    "/{int:contact_id}/merge",
    response={200: ContactOut, **errors(400, 404, 409, 422, *COMMON)},
    summary="Merge a duplicate into a contact",
)
def contact_merge_into(request, contact_id: ContactId, payload: MergeIn, response: HttpResponse):
    """
    Merge the contact ``duplicate_id`` into this one, as the site's merge
    does: nothing is lost, and the duplicate goes to the trash. Where both
    have a different value of a field, the body chooses whose (``keep``,
    the default, or ``duplicate``; notes also ``both``); ``primary_email``
    is one of either's addresses.
    """
    require(request, MERGE)
    keep, duplicate, chosen = merge_choices(request.user, contact_id, payload)
    kept = contact_merge(keep=keep, duplicate=duplicate, **chosen)
    return _answer(response, read(Contact.objects.all(), kept.pk))
