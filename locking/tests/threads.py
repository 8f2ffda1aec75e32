"""Helpers for tests that need a second database connection: another thread."""

import threading
import time

import pytest
from django.db import connection, connections

from locking import require_lock

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's table locks"
)
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock")


def run_in_another_thread(func, timeout=30):
    """Run ``func`` on another thread's connection; return its result or raise its exception."""
    outcome = {}

    def run():
        try:
            outcome["result"] = func()
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"{func!r} did not finish within {timeout} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


class LockHeldElsewhere:
    """Hold ``require_lock(*models, mode=...)`` in another thread for the ``with`` block."""

    def __init__(self, *models, mode="ACCESS EXCLUSIVE"):
        self.lock = require_lock(*models, mode=mode)
        self.held = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self):
        try:
            with self.lock:
                self.held.set()
                self.release.wait(30)
        finally:
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        assert self.held.wait(30), "the other thread never got the lock"
        return self

    def __exit__(self, *exc_info):
        self.release.set()
        self.thread.join(30)


def wait_until(condition, timeout=15):
    """Poll ``condition`` until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{condition!r} never became true"
        time.sleep(0.02)


def waiting_lock_count(model):
    """Return how many PostgreSQL sessions wait for a lock on ``model``'s table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE relation = %s::regclass AND NOT granted",
            [connection.ops.quote_name(model._meta.db_table)],
        )
        return cursor.fetchone()[0]


def held_lock_modes(model):
    """Return the lock modes this session holds on ``model``'s table, as pg_locks names them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT mode FROM pg_locks WHERE relation = %s::regclass AND granted "
            "AND pid = pg_backend_pid()",
            [connection.ops.quote_name(model._meta.db_table)],
        )
        return {row[0] for row in cursor.fetchall()}
