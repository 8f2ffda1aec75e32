"""
The API's webhooks: a user's own subscriptions (the pages' /contacts/webhooks/),
their secret and recent deliveries. Managing them needs crm.manage_webhooks.
"""

import datetime
import uuid
from typing import Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from ninja import Path, Router, Schema, Status
from pydantic import Field

from ..converters import MAX_ID
from ..models import Webhook, WebhookEvent
from ..permissions import MANAGE_WEBHOOKS
from ..services.webhooks import webhook_remove, webhook_secret_renew
from .access import require
from .problems import ERRORS, problem

router = Router(tags=["webhooks"])

EventType = Literal[
    "contact.created", "contact.updated", "contact.deleted", "contact.restored", "contact.merged"
]
URL_LENGTH = Webhook._meta.get_field("url").max_length
# A webhook's id in a path: a number no row can have is refused (422) before any query.
WebhookId = Path(..., ge=1, le=MAX_ID, description="The webhook's id.")
# Deliveries one answer lists at most, newest first.
DELIVERIES_LIMIT = 100


class WebhookIn(Schema):
    url: str = Field(
        max_length=URL_LENGTH,
        pattern="^https?://",
        description="An http or https URL receiving events.",
    )
    events: list[EventType] = Field(
        min_length=1, max_length=5, description="The events it receives, at least one."
    )
    is_active: bool = Field(True, description="False pauses it: it receives no new events.")


class WebhookPatch(Schema):
    url: str | None = Field(
        None, max_length=URL_LENGTH, pattern="^https?://", description="A new http or https URL."
    )
    events: list[EventType] | None = Field(
        None, min_length=1, max_length=5, description="The new events, at least one."
    )
    is_active: bool | None = Field(None, description="Pause (false) or resume (true).")


class WebhookOut(Schema):
    id: int = Field(description="The webhook's id.")
    url: str = Field(description="The URL receiving events.")
    events: list[str] = Field(description="The events it receives.")
    is_active: bool = Field(description="Whether it receives new events.")
    secret: str = Field(description="The key of the X-CRM-Signature HMAC-SHA256.")
    created: datetime.datetime = Field(description="When it was registered.")


class DeliveryOut(Schema):
    event_id: uuid.UUID = Field(description="The event's id, X-CRM-Event-Id.")
    type: str = Field(description="The event: contact.created, ... or webhook.test.")
    contact_id: int | None = Field(description="The contact the event is about.")
    created: datetime.datetime = Field(description="When the change happened.")
    status: Literal["pending", "sent", "failed"] = Field(description="Where its delivery is.")
    attempts: int = Field(description="Attempts made so far (at most 8).")
    next_attempt_at: datetime.datetime = Field(description="When a pending one is tried next.")
    sent_at: datetime.datetime | None = Field(description="When the receiver took it.")
    answer_status: int | None = Field(description="The HTTP status of the last answer.")
    answer: str = Field(description="The start of the last answer's body, or the error.")


def _own(request, webhook_id: int, *, lock: bool = False) -> Webhook:
    """Return the user's webhook (404 for anyone else's), locked until the write is done."""
    require(request, MANAGE_WEBHOOKS)
    webhooks = Webhook.objects.select_for_update() if lock else Webhook.objects
    return get_object_or_404(webhooks, pk=webhook_id, owner=request.user)


def _save(webhook: Webhook):
    """Save ``webhook`` once its fields validate; return the 422 problem otherwise."""
    try:
        webhook.full_clean(exclude=["owner", "secret"])
    except DjangoValidationError as error:
        errors = [
            {"field": f"body.{name}", "message": message}
            for name, messages in error.message_dict.items()
            for message in messages
        ]
        return problem(422, "The webhook was not saved.", errors=errors)
    webhook.save()
    return None


@router.get("/", response={200: list[WebhookOut], **ERRORS}, summary="List your webhooks")
def webhook_list(request):
    """Your webhooks, by URL (at most a few; nobody else's)."""
    require(request, MANAGE_WEBHOOKS)
    return list(Webhook.objects.filter(owner=request.user)[:1000])


@router.post("/", response={201: WebhookOut, **ERRORS}, summary="Register a webhook")
def webhook_create(request, payload: WebhookIn):
    """Register a URL for the events chosen; the answer holds its new secret."""
    require(request, MANAGE_WEBHOOKS)
    webhook = Webhook(owner=request.user, **payload.model_dump())
    webhook.events = [event for event in Webhook.Event.values if event in payload.events]
    return _save(webhook) or Status(201, webhook)


@router.get(
    "/{webhook_id}", response={200: WebhookOut, **ERRORS}, summary="Read one of your webhooks"
)
def webhook_read(request, webhook_id: int = WebhookId):
    """One of your webhooks, with its secret."""
    return _own(request, webhook_id)


@router.patch(
    "/{webhook_id}", response={200: WebhookOut, **ERRORS}, summary="Change one of your webhooks"
)
def webhook_change(request, payload: WebhookPatch, webhook_id: int = WebhookId):
    """Change the URL, events or active flag given; the others stay."""
    with transaction.atomic():
        webhook = _own(request, webhook_id, lock=True)
        for name, value in payload.model_dump(exclude_none=True).items():
            setattr(webhook, name, value)
        if payload.events is not None:
            webhook.events = [event for event in Webhook.Event.values if event in payload.events]
        return _save(webhook) or webhook


@router.delete("/{webhook_id}", response={204: None, **ERRORS}, summary="Delete a webhook")
def webhook_delete(request, webhook_id: int = WebhookId):
    """Delete one of your webhooks, with its events not sent yet and its deliveries."""
    with transaction.atomic():
        webhook_remove(webhook=_own(request, webhook_id, lock=True))
    return Status(204, None)


@router.post(
    "/{webhook_id}/secret", response={200: WebhookOut, **ERRORS}, summary="Make a new secret"
)
def webhook_secret(request, webhook_id: int = WebhookId):
    """Give the webhook a new secret at once; the answer holds it."""
    with transaction.atomic():
        webhook = _own(request, webhook_id, lock=True)
        webhook_secret_renew(webhook=webhook)
    return webhook


@router.get(
    "/{webhook_id}/deliveries",
    response={200: list[DeliveryOut], **ERRORS},
    summary="Recent deliveries of a webhook",
)
def webhook_deliveries(request, webhook_id: int = WebhookId):
    """The webhook's last 100 events, newest first, with how each delivery went."""
    webhook = _own(request, webhook_id)
    return list(WebhookEvent.objects.filter(webhook=webhook)[:DELIVERIES_LIMIT])
