"""
The log admin: applications, their log messages, groups of similar records and alerts.

One module per model admin; importing them registers them.
"""

from . import alerts, applications, groups, messages  # noqa: F401
