"""Personal API tokens, and the API's request counters (crm.api.auth)."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

# What every token starts with, so that one pasted somewhere it should not
# be is recognised (by a person, or a secret scanner).
PREFIX = "crm_"
# How stale ``last_used`` may get: it is written at most this often per
# token, never once per request.
LAST_USED_PRECISION = timedelta(minutes=1)


def token_digest(secret: str) -> str:
    """
    Return the SHA-256 of ``secret``, hex: what is stored and looked up.
    A token is 32 random bytes, so a fast unsalted hash is enough; a slow
    password hash would guard against guessing that cannot happen.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        """Return the tokens not revoked."""
        return self.filter(revoked_at__isnull=True)

    def issue(self, *, user, name: str, scope: str):
        """Make a token for ``user``; return it and its secret, shown this once."""
        secret = PREFIX + secrets.token_urlsafe(32)
        token = self.create(
            user=user,
            name=name,
            scope=scope,
            prefix=secret[: len(PREFIX) + 6],
            digest=token_digest(secret),
        )
        return token, secret

    def authenticate(self, secret: str):
        """Return the active token whose secret is ``secret``, with its user, or None."""
        return self.active().select_related("user").filter(digest=token_digest(secret)).first()


class ApiToken(models.Model):
    """
    A personal token: its user's key to the API, with their role, teams and
    visibility, limited to reading or not. Only a digest of its secret is
    kept; the secret is shown once, when it is made.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Read and write"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, for its user.")
    scope = models.CharField(max_length=5, choices=Scope, default=Scope.WRITE)
    prefix = models.CharField(max_length=12, help_text="The secret's start, to recognise it.")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the secret, hex.")
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def writes(self) -> bool:
        """Whether the token may change the contact book, not only read it."""
        return self.scope == self.Scope.WRITE

    def used(self) -> None:
        """
        Note that the token was used now: written only when ``last_used`` is
        older than a minute, and then by one conditional UPDATE, so that a
        busy token costs no write per request and two servers do not both
        write it.
        """
        now = timezone.now()
        if self.last_used and now - self.last_used < LAST_USED_PRECISION:
            return
        stale = models.Q(last_used__isnull=True) | models.Q(last_used__lt=now - LAST_USED_PRECISION)
        ApiToken.objects.filter(stale, pk=self.pk).update(last_used=now)
        self.last_used = now

    def revoke(self) -> None:
        """Refuse the token from now on, on every server (its row says so)."""
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
                revoked_at=self.revoked_at
            )


class ApiRequestCount(models.Model):
    """
    How many requests one client (a token, or a signed-in user) sent in the
    current window of the rate limit: one row per client, counted by one
    upsert per request (crm.api.limits), so that every app server counts
    together.
    """

    client = models.CharField(max_length=40, unique=True, help_text='"token:<id>" or "user:<id>".')
    slot = models.BigIntegerField(help_text="The window: seconds since the epoch // its length.")
    hits = models.PositiveIntegerField()

    def __str__(self):
        return f"{self.client}: {self.hits}"
