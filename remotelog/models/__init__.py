"""
Applications that send log records, the records they sent, the groups they
fall into, and the alerts on them. One module per topic.
"""

from .alerts import AlertRule, Delivery, Notification, validate_recipients
from .applications import SECRET_PREFIX, Application, secret_digest, secret_matches
from .groups import LogGroup, LogGroupCount, LogGroupTally
from .messages import LogMessage

__all__ = [
    "SECRET_PREFIX",
    "AlertRule",
    "Application",
    "Delivery",
    "LogGroup",
    "LogGroupCount",
    "LogGroupTally",
    "LogMessage",
    "Notification",
    "secret_digest",
    "secret_matches",
    "validate_recipients",
]
