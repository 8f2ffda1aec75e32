"""Send log records to the CRM's remote log in batches, without blocking the program.

This module uses only the standard library: copy this one file into any program
that runs Python 3.9 or later, then::

    import logging
    from handlers import RemoteLogHandler

    logging.getLogger().addHandler(
        RemoteLogHandler("crm.example.org", "/remotelog/myapp/batch/",
                         secure=True, credentials=("myapp", "the-secret"))
    )

The logging call only copies the record into a bounded in-memory queue; a
background thread posts the queue as JSON batches to the batch endpoint,
retries with exponential backoff while the server is unreachable or answers
5xx, and flushes what is left when the interpreter exits. Every record carries
a random id made here, so the server stores a record exactly once however
often its batch is retried.
"""

import atexit
import base64
import collections
import contextlib
import http.client
import json
import logging
import math
import os
import random
import sys
import threading
import time
import uuid
import weakref

__all__ = ["RemoteLogHandler"]

# Answers worth another try: the server is overloaded, restarting or briefly broken.
RETRY_STATUSES = frozenset({408, 429}) | frozenset(range(500, 600))
# Answers that reject the batch as a whole; a smaller batch may get through.
SPLIT_STATUSES = frozenset({400, 413})
JSON_SCALARS = (str, int, float, bool, type(None))

_formatter = logging.Formatter()
_live_handlers = weakref.WeakSet()


class RemoteLogHandler(logging.Handler):
    """Post log records in JSON batches to ``/remotelog/<app_slug>/batch/``.

    ``host``, ``url``, ``secure``, ``credentials`` and ``context`` mean what
    they mean for :class:`logging.handlers.HTTPHandler`: ``host`` may carry a
    port (``"127.0.0.1:8000"``), ``credentials`` is the ``(app_slug, secret)``
    pair sent as HTTP Basic authentication (use it only with ``secure=True``
    outside a trusted network), ``context`` is an :class:`ssl.SSLContext`.

    At most ``capacity`` records wait in memory; records logged while the
    queue is full are counted in :attr:`dropped` instead. A batch holds at most
    ``batch_size`` records and ``max_batch_bytes`` of JSON (the server's
    defaults). Retries wait ``backoff`` seconds, doubling up to
    ``max_backoff``, with random jitter. :meth:`flush` and :meth:`close` wait
    at most ``flush_timeout`` seconds; at interpreter exit the handler closes
    itself.
    """

    def __init__(
        self,
        host,
        url,
        secure=False,
        credentials=None,
        context=None,
        *,
        capacity=10_000,
        batch_size=500,
        max_batch_bytes=1024 * 1024,
        timeout=10.0,
        backoff=0.5,
        max_backoff=30.0,
        flush_timeout=5.0,
    ):
        super().__init__()
        if not secure and context is not None:
            raise ValueError("context parameter only makes sense with secure=True")
        if capacity < 1 or batch_size < 1:
            raise ValueError("capacity and batch_size must be at least 1")
        self.host = host
        self.url = url
        self.secure = secure
        self.credentials = credentials
        self.context = context
        self.capacity = capacity
        self.batch_size = batch_size
        self.max_batch_bytes = max_batch_bytes
        self.timeout = timeout
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.flush_timeout = flush_timeout
        self._headers = {"Content-Type": "application/json", "User-Agent": "RemoteLogHandler/1"}
        if credentials:
            token = base64.b64encode("{}:{}".format(*credentials).encode()).decode("ascii")
            self._headers["Authorization"] = "Basic " + token
        self._reset()
        # At exit, deliver what is queued before the daemon thread is killed.
        # logging's own atexit hook runs after this one and finds us closed.
        self_ref = weakref.ref(self)

        def close_at_exit():
            handler = self_ref()
            if handler is not None:
                handler.close()

        self._close_at_exit = close_at_exit
        atexit.register(close_at_exit)
        _live_handlers.add(self)

    def _reset(self):
        """Start with an empty queue and no thread (also in a forked child)."""
        self._cond = threading.Condition(threading.Lock())
        self._queue = collections.deque()
        self._in_flight = 0
        self._thread = None
        self._connection = None
        self._closed = False
        self._deadline = None
        self._wakeup = threading.Event()
        self._reported = set()
        #: Records the server acknowledged.
        self.sent = 0
        #: Records given up: logged while the queue was full, refused by the
        #: server (4xx), or still undelivered when close() timed out.
        self.dropped = 0

    # The logging side: runs in the caller's thread and never waits on the network.

    def emit(self, record):
        """Queue the record for the background thread; count it if the queue is full."""
        try:
            fields = self.prepare(record)
            with self._cond:
                if self._closed or len(self._queue) >= self.capacity:
                    self.dropped += 1
                    full = not self._closed
                else:
                    self._queue.append(fields)
                    full = False
                    if self._thread is None:
                        self._start_thread()
                    self._cond.notify()
            if full:
                self._report("queue", "queue full; dropping records (see handler.dropped)")
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

    def prepare(self, record):
        """Return the record as a dict of JSON scalars, with a traceback and an id.

        Everything that could change or vanish after the logging call returns
        (the arguments, the live traceback) is turned into text now.
        """
        fields = {}
        for key, value in record.__dict__.items():
            if key == "exc_info":
                continue
            if not isinstance(value, JSON_SCALARS) or (
                isinstance(value, float) and not math.isfinite(value)
            ):
                value = str(value)
            fields[key] = value
        fields["args"] = str(record.args) if record.args else None
        if not record.exc_text and record.exc_info and record.exc_info[0] is not None:
            formatter = self.formatter or _formatter
            fields["exc_text"] = formatter.formatException(record.exc_info)
        # On a mismatch of msg and args, the server renders them itself.
        with contextlib.suppress(Exception):
            fields["message"] = record.getMessage()
        fields["id"] = uuid.uuid4().hex
        return fields

    def flush(self, timeout=None):
        """Wait until every queued record is delivered or given up.

        Return True if nothing is left, False after ``timeout`` seconds
        (default ``flush_timeout``); records still queued are kept.
        """
        timeout = self.flush_timeout if timeout is None else timeout
        self._wakeup.set()  # cut short a backoff pause
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._in_flight, timeout)

    def close(self, timeout=None):
        """Deliver what is queued within ``timeout`` seconds, then stop the thread.

        Records still undelivered after the timeout are counted in :attr:`dropped`.
        """
        timeout = self.flush_timeout if timeout is None else timeout
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._deadline = time.monotonic() + timeout
            thread = self._thread
            self._cond.notify_all()
        self._wakeup.set()
        if thread is not None:
            # The thread gives up at the deadline; an HTTP request in progress
            # may take a little longer to fail.
            thread.join(timeout + 1)
        with self._cond:
            left = len(self._queue) + (self._in_flight if thread and thread.is_alive() else 0)
            self._queue.clear()
            self.dropped += left
            self._cond.notify_all()
        if left:
            self._report("close", f"closed with {left} records undelivered")
        atexit.unregister(self._close_at_exit)
        super().close()

    # The sending side: runs in the background thread.

    def _start_thread(self):
        self._thread = threading.Thread(target=self._run, name="RemoteLogHandler", daemon=True)
        self._thread.start()

    def _run(self):
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._closed)
                if not self._queue:
                    break
                records = [
                    self._queue.popleft() for _ in range(min(self.batch_size, len(self._queue)))
                ]
                self._in_flight = len(records)
            try:
                batch = self._encode(records)
                self._deliver(batch)
            except Exception as exc:
                # A bug here must not stop the thread: the next batch may go through.
                with self._cond:
                    lost = self._in_flight
                self._give_up([None] * lost, "error", repr(exc))
            finally:
                with self._cond:
                    self._in_flight = 0
                    self._cond.notify_all()
        self._disconnect()

    def _encode(self, records):
        """Encode records; put back those past the byte limit for the next batch."""
        batch, size = [], 2
        for index, fields in enumerate(records):
            data = json.dumps(fields, default=str, separators=(",", ":")).encode()
            if size + len(data) + 1 > self.max_batch_bytes and batch:
                with self._cond:
                    self._queue.extendleft(reversed(records[index:]))
                    self._in_flight = len(batch)
                break
            batch.append(data)
            size += len(data) + 1
        return batch

    def _deliver(self, batch):
        """Post a batch until the server answers, retrying what is worth retrying."""
        attempt = 0
        while True:
            body = b"[" + b",".join(batch) + b"]"
            if len(body) > self.max_batch_bytes and len(batch) == 1:
                self._give_up(batch, "too large", f"a record of {len(body)} bytes")
                return
            if self._past_deadline():
                self._give_up(batch, "close", "closed before the server took them")
                return
            try:
                status, reason, retry_after = self._post(body)
            except (OSError, http.client.HTTPException) as exc:
                status, reason, retry_after = None, repr(exc), None
            if status is not None and 200 <= status < 300:
                with self._cond:
                    self.sent += len(batch)
                self._reported.discard("retry")
                return
            if status in SPLIT_STATUSES and len(batch) > 1:
                # All or nothing on the server: find the records it refuses.
                half = len(batch) // 2
                self._deliver(batch[:half])
                self._deliver(batch[half:])
                return
            if status is not None and status not in RETRY_STATUSES:
                self._give_up(batch, status, f"server answered {status}: {reason}")
                return
            self._report("retry", f"retrying: {status or reason}")
            delay = min(self.max_backoff, self.backoff * 2**attempt)
            delay = random.uniform(delay / 2, delay)  # jitter: clients do not retry in step
            if retry_after is not None:
                delay = max(delay, min(retry_after, self.max_backoff))
            attempt += 1
            if self._deadline is not None:
                delay = min(delay, self._deadline - time.monotonic())
            if delay > 0:
                self._wakeup.wait(delay)
            self._wakeup.clear()

    def _past_deadline(self):
        deadline = self._deadline
        return deadline is not None and time.monotonic() >= deadline

    def _post(self, body):
        """Return the status, a short reason and Retry-After seconds (or None)."""
        kept_alive = self._connection is not None and self._connection.sock is not None
        try:
            return self._exchange(body)
        except ConnectionError:
            if not kept_alive:
                raise
            # The server closed the idle connection we kept: try at once on a new one.
            return self._exchange(body)

    def _exchange(self, body):
        if self._connection is None:
            self._connection = self.getConnection(self.host, self.secure)
        try:
            self._connection.request("POST", self.url, body, self._headers)
            response = self._connection.getresponse()
            text = response.read(1000).decode("utf-8", "replace").strip()
            response.read()  # the connection can only be reused once drained
        except BaseException:
            self._disconnect()
            raise
        retry_after = response.getheader("Retry-After", "")
        retry_after = float(retry_after) if retry_after.isdigit() else None
        return response.status, text or response.reason, retry_after

    def getConnection(self, host, secure):
        """Return an HTTP(S) connection; override to go through a proxy, say."""
        if secure:
            return http.client.HTTPSConnection(host, context=self.context, timeout=self.timeout)
        return http.client.HTTPConnection(host, timeout=self.timeout)

    def _disconnect(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _give_up(self, batch, kind, reason):
        with self._cond:
            self.dropped += len(batch)
        self._report(kind, f"dropped {len(batch)} records: {reason}")

    def _report(self, key, message):
        """Say once per kind of trouble on stderr, as logging.Handler.handleError does."""
        if key in self._reported or not logging.raiseExceptions:
            return
        self._reported.add(key)
        with contextlib.suppress(Exception):  # nowhere left to report to
            sys.stderr.write(f"RemoteLogHandler({self.host}{self.url}): {message}\n")


def _after_fork_in_child():
    # The parent's thread, lock and connection do not exist in a forked child.
    for handler in list(_live_handlers):
        closed = handler._closed
        handler._reset()
        handler._closed = closed


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
