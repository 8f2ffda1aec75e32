"""The ``require_lock`` decorator and context manager."""

import functools
import threading
from datetime import timedelta

from django.db import NotSupportedError, OperationalError, connections, models, router, transaction

from .exceptions import LockNotAvailable

# PostgreSQL's eight table lock modes, weakest first.
# https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES
LOCK_MODES = (
    "ACCESS SHARE",
    "ROW SHARE",
    "ROW EXCLUSIVE",
    "SHARE UPDATE EXCLUSIVE",
    "SHARE",
    "SHARE ROW EXCLUSIVE",
    "EXCLUSIVE",
    "ACCESS EXCLUSIVE",
)

# SQLSTATE lock_not_available: raised by NOWAIT and by lock_timeout.
PG_LOCK_NOT_AVAILABLE = "55P03"


class require_lock:  # noqa: N801 (used like a function: @require_lock(...))
    """
    Lock the tables of ``models`` for the rest of a transaction.

    Use as a decorator or a context manager::

        @require_lock(Phone, mode="SHARE ROW EXCLUSIVE")
        def phone_get_or_create(...): ...

        with require_lock(Phone, mode="SHARE ROW EXCLUSIVE"):
            ...

    It opens ``transaction.atomic()`` itself, so it works with or without an
    outer transaction (then it is a savepoint) and with ``ATOMIC_REQUESTS``.
    The lock is held until the outermost transaction ends: commit or rollback.

    On PostgreSQL it issues one ``LOCK TABLE <tables> IN <mode> MODE``, with
    ``NOWAIT`` when ``nowait`` is true. ``timeout`` (seconds or a
    ``timedelta``) bounds the wait through ``lock_timeout``, set for this
    transaction only and restored once the lock is held. Choose the weakest
    ``mode`` that conflicts with the writes you must keep out; ``mode`` is one
    of ``LOCK_MODES`` (case and spacing are forgiven), and an unknown one
    raises ``ValueError`` here, when the decorator is created.

    On SQLite there are no table locks, and none are needed: a write
    transaction holds the database-wide write lock, so writers run one after
    another. With the site's ``transaction_mode: IMMEDIATE`` the lock is taken
    by ``BEGIN IMMEDIATE`` when the outermost ``atomic()`` starts, before
    anything is read, so a read-then-write in the block cannot race another
    writer (readers are never blocked, as with PostgreSQL's weaker modes).
    In other transaction modes a no-op ``DELETE`` takes the write lock at the
    start of the block. ``nowait`` and ``timeout`` replace SQLite's busy
    timeout while the transaction begins. Every mode thus behaves like
    ``EXCLUSIVE``: stronger than asked, never weaker.

    A lock that cannot be had raises ``LockNotAvailable`` after rolling back
    the block.
    """

    def __init__(self, *models, mode="ACCESS EXCLUSIVE", nowait=False, timeout=None, using=None):
        self.models = _concrete_models(models)
        self.mode = _lock_mode(mode)
        if nowait and timeout is not None:
            raise ValueError("require_lock() takes nowait or timeout, not both.")
        self.nowait = bool(nowait)
        self.timeout_ms = None if timeout is None else _milliseconds(timeout)
        self.using = using
        # One instance may be entered again while it is held (and from several
        # threads): keep each entry's atomic block on a per-thread stack.
        self._local = threading.local()

    def __repr__(self):
        names = ", ".join(model._meta.label for model in self.models)
        return f"<require_lock {names} IN {self.mode} MODE>"

    def __call__(self, func):
        @functools.wraps(func)
        def locked(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return locked

    def __enter__(self):
        using = self.using or router.db_for_write(self.models[0])
        connection = connections[using]
        atomic = transaction.atomic(using=using)
        if connection.vendor == "postgresql":
            atomic.__enter__()
            try:
                self._lock_postgresql(connection)
            except BaseException as exc:
                atomic.__exit__(type(exc), exc, exc.__traceback__)
                if _is_pg_lock_not_available(exc):
                    raise LockNotAvailable(f"{self!r} not available: {exc}") from exc
                raise
        elif connection.vendor == "sqlite":
            self._begin_sqlite(connection, atomic)
        else:
            raise NotSupportedError(f"require_lock() does not support {connection.vendor}.")
        self._atomics().append(atomic)
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        return self._atomics().pop().__exit__(exc_type, exc_value, traceback)

    def _atomics(self):
        if not hasattr(self._local, "atomics"):
            self._local.atomics = []
        return self._local.atomics

    def _lock_postgresql(self, connection):
        tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in self.models)
        sql = f"LOCK TABLE {tables} IN {self.mode} MODE{' NOWAIT' if self.nowait else ''}"
        with connection.cursor() as cursor:
            if self.timeout_ms is None:
                cursor.execute(sql)
                return
            # set_config(..., true) is SET LOCAL: it ends with the transaction
            # at the latest. Restore the previous value once the lock is held,
            # so that the timeout bounds this wait and no other statement.
            cursor.execute(
                "SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)",
                [f"{self.timeout_ms}ms"],
            )
            previous = cursor.fetchone()[0]
            cursor.execute(sql)
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])

    def _begin_sqlite(self, connection, atomic):
        outermost = not connection.in_atomic_block
        previous_busy_timeout = None
        if outermost and (self.nowait or self.timeout_ms is not None):
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout")
                previous_busy_timeout = cursor.fetchone()[0]
                cursor.execute(f"PRAGMA busy_timeout = {0 if self.nowait else self.timeout_ms}")
        try:
            # With transaction_mode IMMEDIATE, this BEGIN takes the write lock.
            atomic.__enter__()
        except OperationalError as exc:
            if _is_sqlite_busy(exc):
                raise LockNotAvailable(f"{self!r} not available: {exc}") from exc
            raise
        finally:
            if previous_busy_timeout is not None:
                with connection.cursor() as cursor:
                    cursor.execute(f"PRAGMA busy_timeout = {int(previous_busy_timeout)}")
        if getattr(connection, "transaction_mode", None) in ("IMMEDIATE", "EXCLUSIVE"):
            return
        # A deferred transaction takes the write lock at its first write:
        # make one that changes nothing, now, before the block reads.
        try:
            with connection.cursor() as cursor:
                table = connection.ops.quote_name(self.models[0]._meta.db_table)
                cursor.execute(f"DELETE FROM {table} WHERE 0 = 1")  # noqa: S608
        except BaseException as exc:
            atomic.__exit__(type(exc), exc, exc.__traceback__)
            if isinstance(exc, OperationalError) and _is_sqlite_busy(exc):
                raise LockNotAvailable(f"{self!r} not available: {exc}") from exc
            raise


def _lock_mode(mode):
    normalized = " ".join(str(mode).upper().split())
    if normalized not in LOCK_MODES:
        raise ValueError(f"Unknown lock mode {mode!r}; use one of: {', '.join(LOCK_MODES)}.")
    return normalized


def _concrete_models(candidates):
    if not candidates:
        raise TypeError("require_lock() needs at least one model.")
    for candidate in candidates:
        if not (isinstance(candidate, type) and issubclass(candidate, models.Model)):
            raise TypeError(f"require_lock() locks models' tables; got {candidate!r}.")
    return tuple(dict.fromkeys(model._meta.concrete_model for model in candidates))


def _milliseconds(timeout):
    if isinstance(timeout, timedelta):
        timeout = timeout.total_seconds()
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ValueError(
            f"require_lock() timeout must be a positive number of seconds; got {timeout!r}."
        )
    return max(1, round(timeout * 1000))


def _is_pg_lock_not_available(exc):
    cause = exc.__cause__ or exc
    return getattr(cause, "pgcode", None) == PG_LOCK_NOT_AVAILABLE


def _is_sqlite_busy(exc):
    return "database is locked" in str(exc)
