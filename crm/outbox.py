"""
The webhook events' delivery, by the remote log's alert worker
(``manage.py remotelog_notify``, listed in REMOTELOG_OUTBOXES): the same
claim, lease and backoff as the alerts (remotelog.alerts.outbox), the same
signed POST (remotelog.alerts.webhooks) under the contact book's headers.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from remotelog.alerts import webhooks
from remotelog.alerts.outbox import Outbox

from .conf import settings
from .models import WebhookEvent

CRM = webhooks.Scheme("X-CRM-Signature", "X-CRM-Timestamp", "crm-webhooks")
EVENT_ID_HEADER = "X-CRM-Event-Id"
ANSWER_LENGTH = webhooks.ANSWER_LENGTH


class WebhookEvents(Outbox):
    """Each subscription's events, oldest due first."""

    model = WebhookEvent

    def due(self, now):
        return WebhookEvent.objects.due(now).select_related("webhook")

    def send(self, event, *, now):
        webhook = event.webhook
        if not settings.WEBHOOK_PRIVATE_ADDRESSES:
            refuse_private(webhook.url)
        answer = webhooks.post(
            webhook.url,
            event.payload,
            secret=webhook.secret,
            timestamp=int(now.timestamp()),
            scheme=CRM,
            headers={EVENT_ID_HEADER: str(event.event_id)},
        )
        return {"answer_status": answer.status, "answer": answer.body}

    def failure(self, event, error):
        answer = getattr(error, "answer", None)
        if answer is not None:
            return {"answer_status": answer.status, "answer": answer.body}
        return {"answer_status": None, "answer": f"{type(error).__name__}: {error}"[:ANSWER_LENGTH]}

    def describe(self, event):
        return f"Webhook {event.webhook_id}: event {event.event_id}"


def refuse_private(url: str) -> None:
    """
    Raise ValueError when the host of ``url`` resolves to a loopback,
    private, link-local or otherwise not global address (OSError when it
    does not resolve): what CRM_WEBHOOK_PRIVATE_ADDRESSES allows.
    """
    host, port = urlsplit(url).hostname or "", urlsplit(url).port
    for *_, address in socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP):
        if not ipaddress.ip_address(address[0]).is_global:
            raise ValueError(f"{host} is a private address: CRM_WEBHOOK_PRIVATE_ADDRESSES is off.")
