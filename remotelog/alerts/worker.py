"""One pass of the alert worker: evaluate every active rule, then deliver what is due."""

from django.utils import timezone

from ..groups import tallies_fold
from ..models import AlertRule
from .delivery import deliver_due
from .evaluate import evaluate


def notify_pass(*, now=None):
    """
    Fold the groups' tallies, make the notifications owed at ``now`` (default:
    now) and deliver those due.

    Return ``{"notifications": made, "sent": n, "pending": n, "failed": n}``,
    the last three counting this pass's attempts.
    """
    now = now or timezone.now()
    # The rules read the groups' counts and last seen: bring them up to date.
    tallies_fold()
    made = 0
    for rule in AlertRule.objects.filter(is_active=True).select_related("application"):
        made += evaluate(rule, now=now)
    delivered = deliver_due(now=now)
    return {
        "notifications": made,
        **{status: delivered.get(status, 0) for status in ("sent", "pending", "failed")},
    }
