"""
The webhook events' delivery, by the remote log's alert worker
(``manage.py remotelog_notify``, listed in REMOTELOG_OUTBOXES): the same
claim, lease and backoff as the alerts (remotelog.alerts.outbox), the same
signed POST (remotelog.alerts.webhooks) under the contact book's headers.
"""

from remotelog.alerts import webhooks
from remotelog.alerts.outbox import Outbox

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
