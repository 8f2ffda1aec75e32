"""
One pass of the alert worker: evaluate every active rule, then deliver what
is due: the alerts, then the rows of each outbox in REMOTELOG_OUTBOXES.
"""

from django.utils import timezone
from django.utils.module_loading import import_string

from ..conf import settings
from ..groups import tallies_fold
from ..models import AlertRule
from .delivery import deliver_due
from .evaluate import evaluate


def notify_pass(*, now=None):
    """
    Fold the groups' tallies, make the notifications owed at ``now`` (default:
    now) and deliver those due.

    Return ``{"notifications": made, "sent": n, "pending": n, "failed": n}``,
    the last three counting this pass's attempts, of every outbox.
    """
    now = now or timezone.now()
    # The rules read the groups' counts and last seen: bring them up to date.
    tallies_fold()
    made = 0
    for rule in AlertRule.objects.filter(is_active=True).select_related("application"):
        made += evaluate(rule, now=now)
    delivered = deliver_due(now=now)
    for outbox in outboxes():
        for status, count in outbox().deliver_due(now=now).items():
            delivered[status] = delivered.get(status, 0) + count
    return {
        "notifications": made,
        **{status: delivered.get(status, 0) for status in ("sent", "pending", "failed")},
    }


def outboxes():
    """
    Return the `Outbox` classes REMOTELOG_OUTBOXES names, imported.

    A setting rather than a registry filled by other apps' AppConfig.ready():
    remotelog imports none of them, the site's settings say in one line what
    its worker delivers, and a test or a site without the contact book
    changes that line, not the apps it installs.
    """
    return [import_string(path) for path in settings.OUTBOXES]
