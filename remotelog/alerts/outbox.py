"""
Rows the worker delivers, retried with exponential backoff: the alerts'
deliveries, and those of any outbox the site lists in
``REMOTELOG_OUTBOXES`` (the contact book's webhook events).

A worker first claims a due row with one conditional UPDATE (it must still
be pending with the attempt count and due time the worker read), which also
moves its next attempt a lease ahead: of two workers, one claims it, and a
worker that dies mid-send leaves it to be retried once the lease ends.

A row has ``status`` ("pending", "sent", "failed"), ``attempts``,
``next_attempt_at`` and ``sent_at``; an ``Outbox`` subclass says which rows
are due, how one is sent and what an attempt leaves on it.
"""

import datetime
import logging

from django.db.models import F

logger = logging.getLogger("remotelog.alerts.delivery")

# The first retry waits this long; each further one twice the one before.
BACKOFF = datetime.timedelta(seconds=30)
# Attempts before a row is given up as failed (30 s to about an hour apart).
MAX_ATTEMPTS = 8
# How long a claimed row is left to its worker before another may retry it.
LEASE = datetime.timedelta(minutes=5)
# Rows one pass attempts at most, per outbox.
PER_PASS = 200

PENDING, SENT, FAILED = "pending", "sent", "failed"


def retry_at(attempts: int, now: datetime.datetime) -> datetime.datetime:
    """Return when to try again a row whose ``attempts``-th attempt failed at ``now``."""
    return now + BACKOFF * 2 ** (attempts - 1)


class Outbox:
    """
    The delivery of one model's rows. Subclasses set ``model`` and fill in
    ``send``, ``failure`` and ``describe``; ``deliver_due`` does the rest.
    """

    model = None

    def due(self, now):
        """Return the rows due at ``now``, with what ``send`` reads."""
        return self.model._default_manager.filter(status=PENDING, next_attempt_at__lte=now)

    def send(self, row, *, now) -> dict:
        """
        Send ``row`` once; return the fields to store on it ({name: value}).
        Raise OSError or ValueError when it fails.
        """
        raise NotImplementedError

    def failure(self, row, error) -> dict:
        """Return the fields to store on ``row`` after ``error`` (no secret in them)."""
        raise NotImplementedError

    def describe(self, row) -> str:
        """Return how the log names ``row`` ("Alert rule 3: webhook")."""
        raise NotImplementedError

    def deliver_due(self, *, now) -> dict:
        """Attempt the rows due at ``now``; return {status: how many} of those attempted."""
        outcome = {}
        due = self.due(now).order_by("next_attempt_at", "pk")[:PER_PASS]
        for row in list(due):
            if self._claim(row, now):
                status = self._attempt(row, now)
                outcome[status] = outcome.get(status, 0) + 1
        return outcome

    def _claim(self, row, now) -> bool:
        claimed = self.model._base_manager.filter(
            pk=row.pk,
            status=PENDING,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
        ).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
        row.attempts += 1
        return claimed == 1

    def _attempt(self, row, now) -> str:
        """Send ``row`` once; record the outcome and return its status."""
        try:
            fields = self.send(row, now=now)
        except (OSError, ValueError) as error:
            return self._failed(row, now, error)
        fields = {**fields, "status": SENT, "sent_at": now}
        self._store(row, fields)
        return SENT

    def _failed(self, row, now, error) -> str:
        fields = self.failure(row, error)
        # Neither the secret nor the body is in the message: urllib and
        # smtplib name the status or the socket error.
        message = f"{type(error).__name__}: {error}"
        if row.attempts >= MAX_ATTEMPTS:
            fields["status"] = FAILED
            logger.error(
                "%s gave up after %d attempts: %s", self.describe(row), row.attempts, message
            )
        else:
            fields["next_attempt_at"] = retry_at(row.attempts, now)
            logger.warning("%s attempt %d failed: %s", self.describe(row), row.attempts, message)
        self._store(row, fields)
        return fields.get("status", PENDING)

    def _store(self, row, fields) -> None:
        for name, value in fields.items():
            setattr(row, name, value)
        # An UPDATE that may find nothing: a row deleted mid-send (its rule or
        # subscription removed) is simply gone, where save() would raise.
        self.model._base_manager.filter(pk=row.pk).update(**fields)
