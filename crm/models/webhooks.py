"""
Webhooks: URLs told when contacts are created, changed, deleted, restored or merged.

A change writes one ``WebhookEvent`` per subscription that wants it, in the
change's own transaction (an outbox: crm.services.webhooks); the remote
log's worker delivers them afterwards (crm.outbox), never a web request.
"""

import secrets
import uuid

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone


def new_secret() -> str:
    """Return a fresh signing secret: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


class Webhook(models.Model):
    """
    A subscription: a user's URL that receives the events it chose about the
    contacts that user can see, each a JSON POST signed with its secret.
    """

    class Event(models.TextChoices):
        CREATED = "contact.created", "A contact is created"
        UPDATED = "contact.updated", "A contact is changed"
        DELETED = "contact.deleted", "A contact is moved to the trash"
        RESTORED = "contact.restored", "A contact is restored from the trash"
        MERGED = "contact.merged", "Two contacts are merged"

    # Sent by "Send a test event" only; no change of a contact makes one.
    TEST = "webhook.test"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="crm_webhooks"
    )
    url = models.URLField(
        "URL",
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Receives a JSON POST for each event, signed with the secret.",
    )
    secret = models.CharField(
        max_length=64,
        default=new_secret,
        editable=False,
        help_text="Key of the X-CRM-Signature HMAC; give it to the receiver.",
    )
    events = models.JSONField(default=list, help_text="The Event values it receives.")
    is_active = models.BooleanField("active", default=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["url", "id"]
        default_permissions = ()
        # What the Managers' role grants (crm.roles), checked per page (crm.permissions).
        permissions = [("manage_webhooks", "Can manage webhooks")]

    def __str__(self):
        return self.url

    def get_absolute_url(self):
        return reverse("crm:webhook_edit", args=[self.pk])

    def chosen_events(self) -> list[str]:
        """Return the chosen events in the order of ``Event``."""
        return [value for value in self.Event.values if value in self.events]


class WebhookEventQuerySet(models.QuerySet):
    def due(self, now):
        """Return the pending events due at ``now`` of the active subscriptions."""
        return self.filter(
            status=WebhookEvent.Status.PENDING, next_attempt_at__lte=now, webhook__is_active=True
        )


class WebhookEvent(models.Model):
    """
    One event for one subscription, and its delivery: the payload sent at
    every attempt, under the same ``event_id`` (the receiver's key to
    de-duplicate), and how the last attempt went.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        SENT = "sent", "sent"
        FAILED = "failed", "failed (gave up)"

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    webhook = models.ForeignKey(
        Webhook,
        on_delete=models.CASCADE,
        related_name="deliveries",
        # The (webhook, id) index serves the foreign key.
        db_index=False,
    )
    type = models.CharField(max_length=20)
    # Not a foreign key: the event outlives a contact deleted for good.
    contact_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(help_text="What each attempt sends, with its timestamp added.")
    created = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=7, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    answer_status = models.PositiveIntegerField(
        null=True, blank=True, help_text="The HTTP status of the last answer, if any."
    )
    answer = models.TextField(
        blank=True, help_text="The start of the last answer's body, or the error."
    )

    objects = WebhookEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The worker's question: which pending events are due.
            models.Index(fields=["status", "next_attempt_at"], name="crm_webhookevent_due"),
            # A subscription's recent deliveries, newest first.
            models.Index(fields=["webhook", "-id"], name="crm_webhookevent_recent"),
        ]

    def __str__(self):
        return f"{self.type} {self.event_id}"
