"""Signal receivers of the messaging app."""

from .storage import MessageStorage


def keep_messages_through_logout(sender, request, **kwargs):
    """
    Keep the visitor's pending messages when logging out flushes the session.

    ``logout()`` sends ``user_logged_out`` just before it empties the session,
    where messages too long for the cookie are kept.
    """
    storage = getattr(request, "_messages", None)
    if isinstance(storage, MessageStorage):
        storage.keep_through_flush()
