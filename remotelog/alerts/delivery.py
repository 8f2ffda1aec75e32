"""
Delivery of notifications by e-mail and webhook, retried with exponential backoff.

A worker first claims a due delivery with one conditional UPDATE (it must
still be pending with the attempt count and due time the worker read), which
also moves its next attempt a lease ahead: of two workers, one claims it,
and a worker that dies mid-send leaves it to be retried once the lease ends.
"""

import datetime
import logging

from django.core.mail import send_mail
from django.db.models import F

from ..models import Delivery
from . import webhooks

logger = logging.getLogger(__name__)

# The first retry waits this long; each further one twice the one before.
BACKOFF = datetime.timedelta(seconds=30)
# Attempts before a delivery is given up as failed (30 s to about an hour apart).
MAX_ATTEMPTS = 8
# How long a claimed delivery is left to its worker before another may retry it.
LEASE = datetime.timedelta(minutes=5)
# Deliveries one pass attempts at most.
PER_PASS = 200
_ERROR_LENGTH = 1000


def deliver_due(*, now):
    """Attempt the deliveries due at ``now``; return {status: how many} of those attempted."""
    outcome = {}
    due = (
        Delivery.objects.due(now)
        .select_related("notification__rule__application")
        .order_by("next_attempt_at", "id")[:PER_PASS]
    )
    for delivery in list(due):
        if _claim(delivery, now):
            status = _attempt(delivery, now)
            outcome[status] = outcome.get(status, 0) + 1
    return outcome


def _claim(delivery, now):
    claimed = Delivery.objects.filter(
        pk=delivery.pk,
        status=Delivery.Status.PENDING,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    delivery.attempts += 1
    return claimed == 1


def _attempt(delivery, now):
    """Send ``delivery`` once; record the outcome and return its status."""
    try:
        send(delivery, now=now)
    except (OSError, ValueError) as error:
        # Neither the secret nor the body is in the message: urllib and
        # smtplib name the status or the socket error.
        return _failed(delivery, now, f"{type(error).__name__}: {error}"[:_ERROR_LENGTH])
    delivery.status, delivery.sent_at, delivery.last_error = Delivery.Status.SENT, now, ""
    delivery.save(update_fields=["status", "sent_at", "last_error"])
    return delivery.status


def _failed(delivery, now, error):
    rule = delivery.notification.rule
    delivery.last_error = error
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = Delivery.Status.FAILED
        logger.error(
            "Alert rule %s: %s gave up after %d attempts: %s",
            rule.pk,
            delivery.channel,
            delivery.attempts,
            error,
        )
    else:
        delivery.next_attempt_at = now + BACKOFF * 2 ** (delivery.attempts - 1)
        logger.warning(
            "Alert rule %s: %s attempt %d failed: %s",
            rule.pk,
            delivery.channel,
            delivery.attempts,
            error,
        )
    delivery.save(update_fields=["status", "last_error", "next_attempt_at"])
    return delivery.status


def send(delivery, *, now):
    """Send ``delivery``'s notification by its channel; raise OSError when that fails."""
    notification = delivery.notification
    rule = notification.rule
    if delivery.channel == Delivery.Channel.EMAIL:
        send_mail(notification.subject, email_body(notification), None, rule.recipients)
    else:
        webhooks.post(
            rule.webhook_url,
            notification.payload,
            secret=rule.webhook_secret,
            timestamp=int(now.timestamp()),
        )


def email_body(notification):
    """Return the plain-text e-mail announcing ``notification``."""
    payload = notification.payload
    lines = [
        f"Rule: {payload['rule']} ({payload['application']})",
        f"Event: {payload['event']}",
        f"Noticed at: {payload['noticed_at']}",
    ]
    group = payload.get("group")
    if group:
        lines += [
            "",
            f"{group['level']} {group['logger']}",
            group["template"],
            f"Exception: {group['exception'] or '-'}",
            f"Place: {group['place'] or '-'}",
            f"Records: {group['count']}, first seen {group['first_seen']}, "
            f"last seen {group['last_seen']}",
            f"Group id: {group['id']} (status: {group['status']})",
        ]
    return "\n".join(lines) + "\n"
