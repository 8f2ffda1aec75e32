"""What the JSON API keeps between requests: the answers of idempotent creates."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """
    The answer a create sent for a client's ``Idempotency-Key``, so that a
    retry with the same key by the same user gets the same answer and
    creates nothing more (crm.api.idempotency).

    ``fingerprint`` is a digest of what was asked (the operation and its
    body): the same key with another body is refused.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request, in hex.")
    status = models.PositiveSmallIntegerField(help_text="The answer's HTTP status.")
    # Text, not JSON: a replay sends the very bytes sent first (jsonb reorders keys).
    body = models.TextField(help_text="The answer's JSON body, as sent.")
    headers = models.JSONField(default=dict, help_text="The answer's headers to send again.")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Two requests racing with one key: the second insert waits for the
            # first's transaction, then fails and reads its answer.
            models.UniqueConstraint(fields=["user", "key"], name="crm_idempotency_user_key"),
        ]
        indexes = [
            # The purge of expired keys.
            models.Index(fields=["created"], name="crm_idempotency_created"),
        ]

    def __str__(self):
        return self.key
