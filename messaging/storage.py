"""
Message storage that removes only the messages actually displayed.

Django's ``FallbackStorage`` keeps messages in a signed cookie and puts what
does not fit in the session. Once iterated, it forgets every message it holds.
``MessageStorage`` keeps that storage and changes one rule: a message is gone
only once it has been handed out (iterated or indexed, which is what rendering
does); everything else is stored again, in order, for the next request.
"""

from django.contrib.messages.storage.fallback import FallbackStorage


class MessageStorage(FallbackStorage):
    """
    Store messages in a cookie, then the session; forget only the ones shown.

    Nothing is read from the cookie or the session until the messages are
    used: ``len()``, truthiness, ``in``, iteration or indexing. Iterating and
    indexing mark the messages they return as displayed; ``len()`` and
    truthiness do not.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # id() of each Message handed out; the objects live as long as self.
        self._displayed = set()
        self._keep_all = False

    def __iter__(self):
        # New messages join the loaded ones, as in BaseStorage, so that a
        # second loop shows them in order too.
        if self._queued_messages:
            self._loaded_messages.extend(self._queued_messages)
            self._queued_messages = []
        for message in self._loaded_messages:
            # Marked as it is handed out: a loop that stops early (a template
            # slice, a ``break``) leaves the rest stored.
            self.mark_displayed(message)
            yield message

    def __getitem__(self, index):
        messages = self._all_messages()[index]
        for message in messages if isinstance(index, slice) else [messages]:
            self.mark_displayed(message)
        return messages

    def __bool__(self):
        return len(self) > 0

    def _all_messages(self):
        return self._loaded_messages + self._queued_messages

    def pending(self):
        """Return the messages not displayed yet, oldest first, without marking them."""
        return [m for m in self._all_messages() if id(m) not in self._displayed]

    def mark_displayed(self, message):
        """Mark ``message``, one of this storage's messages, as shown to the user."""
        self._displayed.add(id(message))

    def forget_displayed(self):
        """Count no message as displayed after all; all are stored again."""
        self._displayed.clear()

    def keep_through_flush(self):
        """
        Read every stored message now and store them all again at the end.

        The session may be emptied during the request (logging out flushes
        it); what was read before survives in memory and is written back.
        """
        self._loaded_messages  # noqa: B018 (reading loads them)
        self._keep_all = True

    def update(self, response):
        """
        Store the messages not displayed and return any that could not be stored.

        When nothing was displayed or added, the storage is left untouched, so
        a request that never uses messages costs no cookie or session write.
        """
        if not (self._displayed or self.added_new or self._keep_all):
            return []
        messages = self.pending()
        self._prepare_messages(messages)
        return self._store(messages, response)
