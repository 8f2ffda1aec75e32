"""
Explicit table locks for read-then-write code paths.

``require_lock(Model, mode=...)`` takes ``LOCK TABLE ... IN <mode> MODE`` inside
a transaction on PostgreSQL, and relies on SQLite's database-wide write lock
there. A lock that cannot be had raises ``LockNotAvailable``, which
``locking.middleware.LockNotAvailableMiddleware`` turns into a "busy, try
again" page. ``locking.testing.test_concurrently`` runs a test body in many
threads at once to prove such paths are race-free.
"""

from .exceptions import LockNotAvailable
from .locks import LOCK_MODES, require_lock

__all__ = ["LOCK_MODES", "LockNotAvailable", "require_lock"]
