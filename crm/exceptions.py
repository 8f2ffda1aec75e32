"""Errors of the contact book's workflows; ``str()`` of each is a message for the user."""


class ContactBookError(Exception):
    """A write that cannot be done as asked; nothing was changed."""


class ContactGone(ContactBookError):
    """A contact the write needs was deleted (or merged away) meanwhile."""


class NotRelated(ContactBookError):
    """The two contacts are not related (any more)."""


class SelfRelationship(ContactBookError):
    """A contact cannot be related to itself."""


class ConcurrentChange(ContactBookError):
    """Someone changed the same records at the same moment; trying again will work."""


class EntryGone(ContactBookError):
    """A timeline entry the write needs was deleted meanwhile."""
