"""Applications that send log records, and their secrets."""

import hashlib
import hmac
import secrets

from django.db import models

# A secret is a long random token, so a fast digest is enough to store it: a
# password hasher's deliberate slowness would cap ingestion at a few records a
# second, because the stock handler authenticates every record.
SECRET_PREFIX = "rl_"  # noqa: S105  (a marker for secret scanners, not a secret)


def secret_digest(secret):
    """Return the hex SHA-256 digest stored for ``secret``."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def secret_matches(secret, digest):
    """Return whether ``secret`` has the stored ``digest``, in constant time."""
    return hmac.compare_digest(secret_digest(secret), digest or "")


class Application(models.Model):
    """A program allowed to send log records under its own slug and secret."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(
        max_length=50, unique=True, help_text="In the URL and the user name of the credentials."
    )
    secret_digest = models.CharField(max_length=64, blank=True, editable=False)
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive applications are refused (401)."
    )
    is_open = models.BooleanField(
        "open",
        default=False,
        help_text="Accept records without credentials. Only for trusted networks.",
    )
    retention_days = models.PositiveIntegerField(
        default=90,
        null=True,
        blank=True,
        help_text="remotelog_purge deletes older records; empty keeps them forever.",
    )
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name

    def set_new_secret(self):
        """Give the application a new secret, store its digest, and return it (unsaved)."""
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        self.secret_digest = secret_digest(secret)
        return secret

    def check_secret(self, secret):
        """Return whether ``secret`` is the application's secret, in constant time."""
        return secret_matches(secret, self.secret_digest)
