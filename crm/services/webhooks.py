"""
Webhook events written in the change's own transaction: an outbox.

Every workflow that creates, changes, trashes, restores or merges contacts
calls ``contacts_changed()`` inside its transaction, after its writes: the
events are rows like the change itself, so a change rolled back sends
nothing and one committed is never lost. The alert worker delivers them
later (crm.outbox); nothing is sent from a web request.

The cost on a write path: nothing for no contact, one query reading the
active subscriptions otherwise, and with some, a few queries per
subscription owner (what they see) and the inserts, never one per contact.
"""

import uuid
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ..conf import settings
from ..models import Contact, Webhook, WebhookEvent
from ..models.webhooks import new_secret
from ..permissions import MANAGE_WEBHOOKS, VIEW
from ..queries.ids import ids_subquery
from ..visibility import sees_all

# Events written per INSERT.
BATCH = 1000

CREATED, UPDATED, DELETED, RESTORED, MERGED = Webhook.Event.values


def contacts_changed(event: str, ids: Iterable[int], *, merged_id: int | None = None) -> int:
    """
    Write the event ``event`` (a ``Webhook.Event``) about each of the
    contacts ``ids`` for each active subscription that wants it and whose
    owner sees the contact; return how many events were written.

    ``merged_id`` is the contact merged away (``contact.merged``, about the
    contact kept). Call it inside the change's transaction, after it.
    """
    if event not in Webhook.Event.values:
        raise ValueError(f"Unknown webhook event {event!r}: one of {Webhook.Event.values}.")
    ids = sorted({pk for pk in ids if pk is not None})
    if not ids:
        return 0
    for attempt in range(2):
        wanting = Webhook.objects.filter(is_active=True).select_related("owner")
        subscriptions = [webhook for webhook in wanting if event in webhook.events]
        if not subscriptions:
            return 0
        try:
            # A savepoint: a subscription deleted since it was read fails the
            # insert (its foreign key), and only the insert; read them again.
            with transaction.atomic():
                return _write_events(subscriptions, event, ids, merged_id)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def _write_events(subscriptions, event: str, ids: list[int], merged_id: int | None) -> int:
    """Write ``event`` about the contacts ``ids`` for ``subscriptions``; return how many."""
    contacts = Contact.all_objects.filter(pk__in=ids_subquery(ids))
    names = dict(contacts.values_list("pk", "name"))
    now, seen, rows = timezone.now(), {}, []
    for webhook in subscriptions:
        owner = webhook.owner
        if owner.pk not in seen:
            seen[owner.pk] = _seen_by(owner, contacts, names)
        for pk in seen[owner.pk]:
            rows.append(_event(webhook, event, now, pk, names[pk], merged_id))
    WebhookEvent.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _seen_by(owner, contacts, names) -> list[int]:
    """
    Return the ids among ``names`` that ``owner`` sees now: none when they
    may no longer read the book or manage webhooks (their role changed).
    """
    if not (owner.is_active and owner.has_perm(VIEW) and owner.has_perm(MANAGE_WEBHOOKS)):
        return []
    if sees_all(owner):
        return sorted(names)
    return sorted(contacts.visible_to(owner).values_list("pk", flat=True))


def contact_links(pk: int) -> dict:
    """Return the site and API addresses of the contact ``pk``, as events give them."""
    site = settings.SITE_URL.rstrip("/")
    return {
        "url": site + reverse("crm:contact_detail", args=[pk]),
        "api_url": f"{site}/api/contacts/{pk}",
    }


def _event(webhook, event, now, pk, name, merged_id) -> WebhookEvent:
    event_id = uuid.uuid4()
    payload = {
        "id": str(event_id),
        "type": event,
        "occurred_at": now.isoformat(),
        "contact": {"id": pk, "name": name, **contact_links(pk)},
    }
    if event == MERGED:
        payload["merged_id"] = merged_id
    return WebhookEvent(
        event_id=event_id,
        webhook=webhook,
        type=event,
        contact_id=pk,
        payload=payload,
        created=now,
        next_attempt_at=now,
    )


def webhook_test(*, webhook: Webhook) -> WebhookEvent:
    """Queue a test event (``webhook.test``, no contact) for ``webhook``: the worker sends it."""
    now, event_id = timezone.now(), uuid.uuid4()
    payload = {
        "id": str(event_id),
        "type": Webhook.TEST,
        "occurred_at": now.isoformat(),
        "contact": None,
    }
    return WebhookEvent.objects.create(
        event_id=event_id,
        webhook=webhook,
        type=Webhook.TEST,
        payload=payload,
        created=now,
        next_attempt_at=now,
    )


def webhook_secret_renew(*, webhook: Webhook) -> str:
    """Give ``webhook`` a new secret and return it; events not sent yet are signed with it."""
    with transaction.atomic():
        webhook.secret = new_secret()
        webhook.save(update_fields=["secret"])
    return webhook.secret


def webhook_remove(*, webhook: Webhook) -> None:
    """
    Delete ``webhook`` with its events. An event a change wrote meanwhile
    (committed once the deletion collected the events) fails the deletion's
    foreign key: collect them again.
    """
    for attempt in range(3):
        try:
            with transaction.atomic():
                webhook.delete()
                return
        except IntegrityError:
            if attempt == 2:
                raise
