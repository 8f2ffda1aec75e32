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


class NoTeam(ContactBookError):
    """
    In "team" visibility, a user in no team who cannot see every contact
    would create contacts they could not see: they may not create any.
    """


class TeamNotEmpty(ContactBookError):
    """A team that still has contacts cannot be removed."""
