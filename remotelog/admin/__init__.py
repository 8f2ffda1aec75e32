"""
The log admin: applications, their log messages and groups of similar records.

One module per model admin; importing them registers them.
"""

from . import applications, groups, messages  # noqa: F401
