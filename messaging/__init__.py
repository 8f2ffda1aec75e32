"""
Flash messages for the site, on top of ``django.contrib.messages``.

Views call ``messaging.success(request, "Contact saved.")`` (or ``debug``,
``info``, ``warning``, ``error``). These are the ``django.contrib.messages``
functions themselves, so messages an app adds through
``django.contrib.messages`` land in the same list. See ``storage.py`` for what
changes: only the messages actually displayed are removed.
"""

from django.contrib.messages.api import add_message, debug, error, info, success, warning

__all__ = ["add_message", "debug", "error", "info", "success", "warning"]
