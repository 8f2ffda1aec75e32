"""
The load of bench/sizing.py: list pages over HTTP, the same page's SQL alone, and a
sampler of the connections PostgreSQL serves.
"""

import http.client
import threading
import time


def in_threads(work, count, clients):
    """Split ``count`` requests over ``clients`` threads running ``work(n)``; return requests/s."""
    shares = [count // clients] * clients
    shares[0] += count - sum(shares)
    errors = []

    def run(share):
        try:
            work(share)
        except Exception as error:  # reported below, in the main thread
            errors.append(repr(error))

    threads = [threading.Thread(target=run, args=(share,)) for share in shares]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"{work.__qualname__}: {errors[:3]}")
    return count / elapsed


class ListPages:
    """Request the contact list's first page as a logged-in user, over kept-alive connections."""

    path = "/contacts/"

    def __init__(self, address, cookie, *, keep_alive=True):
        self.host, port = address.split(":")
        self.port = int(port)
        self.headers = {"Cookie": cookie, "X-Forwarded-Proto": "https"}
        if not keep_alive:
            self.headers["Connection"] = "close"

    def run(self, count, clients):
        return in_threads(self.request_pages, count, clients)

    def request_pages(self, count):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            for _ in range(count):
                # http.client connects again when the server closed the last one.
                connection.request("GET", self.path, headers=self.headers)
                response = connection.getresponse()
                body = response.read()
                if response.status != 200 or b"<table" not in body:
                    raise AssertionError(f"{self.path}: {response.status} {body[:200]!r}")
                if response.will_close:
                    connection.close()
        finally:
            connection.close()


class PageSql:
    """The SQL a real request for a page ran, run again straight on the database."""

    def __init__(self, queries, dsn):
        self.queries, self.dsn = queries, dsn

    @classmethod
    def capture(cls, path):
        """Request ``path`` as a superuser through Django's test client; keep its SQL."""
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        client = Client()
        client.force_login(get_user_model().objects.get(username="bench-servers"))
        # Plain SELECTs, as a server behind pgbouncer sends them: replayable one by one.
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, secure=True)
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = False
        assert response.status_code == 200, response.status_code
        dsn = connection.get_connection_params()
        dsn.pop("cursor_factory", None)
        return cls([query["sql"] for query in captured.captured_queries], dsn)

    def run(self, count, clients):
        """Run the page's queries ``count`` times from ``clients`` connections; return pages/s."""
        return in_threads(self.run_pages, count, clients)

    def run_pages(self, count):
        import psycopg2

        # Each statement its own transaction, as Django's autocommit runs them.
        connection = psycopg2.connect(**self.dsn)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                for _ in range(count):
                    for query in self.queries:
                        cursor.execute(query)
                        if cursor.description:
                            cursor.fetchall()
        finally:
            connection.close()


class Sampler:
    """Sample, every 20 ms, the connections to this database opened since the start.

    ``result()`` returns the most held at once and the most busy at once (in a
    query or a transaction): what a server, or pgbouncer for it, asks of PostgreSQL.
    """

    def __init__(self):
        from django.db import connection

        self.dsn = connection.get_connection_params()
        self.dsn.pop("cursor_factory", None)
        self.held = self.busy = 0
        self.stop = threading.Event()

    def __enter__(self):
        import psycopg2

        self.connection = psycopg2.connect(**self.dsn)
        self.connection.autocommit = True
        self.before = {pid for pid, _ in self.sample()}
        self.thread = threading.Thread(target=self.run)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.connection.close()

    def sample(self):
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, state FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend'"
            )
            return cursor.fetchall()

    def run(self):
        while not self.stop.wait(0.02):
            new = [state for pid, state in self.sample() if pid not in self.before]
            self.held = max(self.held, len(new))
            self.busy = max(self.busy, sum(state != "idle" for state in new))

    def result(self):
        return self.held, self.busy
