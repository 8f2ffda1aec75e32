"""Alert rules, and the notifications and deliveries they make."""

import logging
import secrets

from django.core.validators import URLValidator, validate_email
from django.db import models
from django.utils import timezone

from .applications import Application
from .groups import LogGroup


def _webhook_secret():
    return secrets.token_urlsafe(32)


def _recipients(value):
    """Return the addresses of a comma- or newline-separated list, without blanks."""
    return [address.strip() for address in value.replace("\n", ",").split(",") if address.strip()]


def validate_recipients(value):
    """Refuse a recipient list holding anything but e-mail addresses."""
    for address in _recipients(value):
        validate_email(address)


class AlertRule(models.Model):
    """
    When to tell someone about an application's records, and how (e-mail, webhook or both).

    remotelog/alerts/ evaluates the rules and delivers their notifications,
    outside any ingest request (`manage.py remotelog_notify`).
    """

    class Kind(models.TextChoices):
        NEW_GROUP = "new_group", "a new group appears"
        REOPENED = "reopened", "a resolved group reopens"
        THRESHOLD = "threshold", "N records at level L or above within M minutes"

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="alert_rules"
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind)
    is_active = models.BooleanField("active", default=True)
    min_level = models.PositiveIntegerField(
        "level or above",
        default=logging.ERROR,
        help_text="Threshold rules count records at this level number or above (40: ERROR).",
    )
    threshold = models.PositiveIntegerField(
        "records (N)", null=True, blank=True, help_text="Threshold rules only."
    )
    window_minutes = models.PositiveIntegerField(
        "within minutes (M)", null=True, blank=True, help_text="Threshold rules only."
    )
    email_to = models.TextField(
        "e-mail recipients",
        blank=True,
        validators=[validate_recipients],
        help_text="Addresses separated by commas or new lines.",
    )
    webhook_url = models.URLField(
        blank=True,
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Receives a JSON POST signed with the rule's secret.",
    )
    webhook_secret = models.CharField(
        max_length=64,
        default=_webhook_secret,
        editable=False,
        help_text="Key of the X-Remotelog-Signature HMAC; give it to the receiver.",
    )
    # Groups with a higher id are looked at by the next pass (new-group rules);
    # set when the rule is made, so that older groups are never announced.
    group_watermark = models.BigIntegerField(default=0, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(email_to="", webhook_url=""),
                name="remotelog_alert_has_channel",
                violation_error_message="Give e-mail recipients, a webhook URL or both.",
            ),
            models.CheckConstraint(
                # NULL would pass a CHECK (unknown is not false): refused explicitly.
                condition=~models.Q(kind="threshold")
                | models.Q(
                    threshold__isnull=False,
                    window_minutes__isnull=False,
                    threshold__gte=1,
                    window_minutes__gte=1,
                ),
                name="remotelog_alert_threshold_complete",
                violation_error_message="A threshold rule needs N and M of at least 1.",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self._state.adding and not self.group_watermark:
            # Groups made before the rule are never announced as new.
            top = LogGroup.objects.filter(application_id=self.application_id).aggregate(
                top=models.Max("id")
            )
            self.group_watermark = top["top"] or 0
        super().save(*args, **kwargs)

    @property
    def recipients(self):
        """Return the e-mail recipients as a list."""
        return _recipients(self.email_to)

    @property
    def channels(self):
        """Return the channels the rule delivers by, as `Delivery.Channel` values."""
        return [
            channel
            for channel, wanted in [
                (Delivery.Channel.EMAIL, bool(self.recipients)),
                (Delivery.Channel.WEBHOOK, bool(self.webhook_url)),
            ]
            if wanted
        ]


class Notification(models.Model):
    """
    One thing a rule announces: a group's appearance or reopening, or a window's records.

    Its row is made before anything is sent, and (rule, key) is unique: two
    workers evaluating the same rule at once make it once, so it is sent once.
    """

    rule = models.ForeignKey(
        AlertRule,
        on_delete=models.CASCADE,
        related_name="notifications",
        # The unique (rule, key) index serves the foreign key.
        db_index=False,
    )
    group = models.ForeignKey(
        LogGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    key = models.CharField(
        max_length=100,
        help_text="The group and period (new, reopening number, or window) announced.",
    )
    reopening = models.PositiveIntegerField(
        null=True, blank=True, help_text="Which reopening of the group it announces."
    )
    subject = models.CharField(max_length=255)
    payload = models.JSONField(help_text="What the e-mail says and the webhook sends.")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "key"], name="remotelog_unique_notification"),
        ]

    def __str__(self):
        return self.subject


class DeliveryQuerySet(models.QuerySet):
    def due(self, now):
        """Return the pending deliveries whose next attempt is due at ``now``."""
        return self.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)


class Delivery(models.Model):
    """A notification sent by one channel: its attempts, and how the last one went."""

    class Channel(models.TextChoices):
        EMAIL = "email", "e-mail"
        WEBHOOK = "webhook", "webhook"

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        SENT = "sent", "sent"
        FAILED = "failed", "failed (gave up)"

    notification = models.ForeignKey(
        Notification,
        on_delete=models.CASCADE,
        related_name="deliveries",
        # The unique (notification, channel) index serves the foreign key.
        db_index=False,
    )
    channel = models.CharField(max_length=7, choices=Channel)
    status = models.CharField(max_length=7, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-next_attempt_at", "-id"]
        indexes = [
            # The worker's question: which pending deliveries are due.
            models.Index(fields=["status", "next_attempt_at"], name="remotelog_delivery_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="remotelog_unique_delivery"
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()}: {self.notification}"
