"""
Delivery of notifications by e-mail and webhook, retried with exponential
backoff: the claim, lease and schedule are the outbox's (``outbox.py``).
"""

from django.core.mail import send_mail

from ..models import Delivery
from . import webhooks
from .outbox import BACKOFF, LEASE, MAX_ATTEMPTS, Outbox

__all__ = ["BACKOFF", "LEASE", "MAX_ATTEMPTS", "AlertDeliveries", "deliver_due", "send"]

_ERROR_LENGTH = 1000


class AlertDeliveries(Outbox):
    """The notifications' deliveries, one per rule channel."""

    model = Delivery

    def due(self, now):
        return Delivery.objects.due(now).select_related("notification__rule__application")

    def send(self, delivery, *, now):
        send(delivery, now=now)
        return {"last_error": ""}

    def failure(self, delivery, error):
        return {"last_error": f"{type(error).__name__}: {error}"[:_ERROR_LENGTH]}

    def describe(self, delivery):
        return f"Alert rule {delivery.notification.rule_id}: {delivery.channel}"


def deliver_due(*, now):
    """Attempt the deliveries due at ``now``; return {status: how many} of those attempted."""
    return AlertDeliveries().deliver_due(now=now)


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
