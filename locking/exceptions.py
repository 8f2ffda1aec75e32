from django.db import OperationalError


class LockNotAvailable(OperationalError):
    """
    A table lock could not be taken in time (``nowait``, ``timeout``, or
    SQLite's busy timeout). Nothing was written: the transaction or savepoint
    that asked for the lock has been rolled back.
    """
