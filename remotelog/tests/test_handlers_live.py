"""RemoteLogHandler against the real site: Django's live server, and gunicorn restarted midway."""

import contextlib
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from remotelog.handlers import RemoteLogHandler
from remotelog.models import LogMessage

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def make_handler(application):
    """Return a factory of handlers for the application at a host, closed afterwards."""
    made = []

    def make_handler(host, **options):
        handler = RemoteLogHandler(
            host,
            f"/remotelog/{application.slug}/batch/",
            credentials=(application.slug, application.secret),
            **{"backoff": 0.02, "max_backoff": 0.2, "flush_timeout": 60, **options},
        )
        made.append(handler)
        return handler

    yield make_handler
    for handler in made:
        handler.close(timeout=1)


def logger_for(handler):
    logger = logging.getLogger(f"remotelog.tests.live.{uuid.uuid4().hex[:8]}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    return logger


def host_of(url):
    return url.removeprefix("http://")


def stored(application):
    return LogMessage.objects.filter(application=application)


def test_every_record_arrives_with_its_traceback(live_server, application, make_handler):
    handler = make_handler(host_of(live_server.url))
    logger = logger_for(handler)
    for number in range(300):
        logger.info("order %s of %d", f"#{number}", 300)
    try:
        {}["missing"]
    except KeyError:
        logger.exception("the <nightly> export failed")

    assert handler.flush()
    assert handler.sent == 301 and handler.dropped == 0
    assert stored(application).count() == 301
    assert stored(application).filter(message="order #7 of 300", levelname="INFO").exists()
    failure = stored(application).get(levelno=logging.ERROR)
    assert failure.message == "the <nightly> export failed"
    assert failure.exc_text.startswith("Traceback (most recent call last):")
    assert "KeyError: 'missing'" in failure.exc_text
    assert failure.funcName == "test_every_record_arrives_with_its_traceback"


class LosingProxy:
    """Relay TCP to a server, but hang up on the first ``lose`` responses unread."""

    def __init__(self, upstream_port, lose=1):
        self.upstream_port = upstream_port
        self.lose = lose
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
                losing, self.lose = self.lose > 0, self.lose - 1
                threading.Thread(target=self.pump, args=(client, upstream), daemon=True).start()
                args = (upstream, client, losing)
                threading.Thread(target=self.pump, args=args, daemon=True).start()

    def pump(self, source, target, losing=False):
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if losing:
                    break  # the server answered, so it committed: the answer is lost
                target.sendall(data)
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def close(self):
        self.listener.close()


def test_a_batch_retried_after_a_lost_response_is_stored_once(
    live_server, application, make_handler
):
    proxy = LosingProxy(int(live_server.url.rsplit(":", 1)[1]), lose=1)
    try:
        handler = make_handler(f"127.0.0.1:{proxy.port}")
        logger = logger_for(handler)
        for number in range(40):
            logger.info("record %d", number)
        assert handler.flush()
    finally:
        proxy.close()

    assert proxy.lose < 0  # a response was lost and the batch sent again
    assert handler.sent == 40
    assert stored(application).count() == 40
    assert stored(application).values("client_id").distinct().count() == 40


def database_url():
    """Return a URL for the test database, for a server in another process."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return (
        f"postgres://{settings['USER']}{password}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )


class Gunicorn:
    """gunicorn serving the site on the test database, on a fixed loopback port."""

    def __init__(self, log_path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log_path = log_path
        self.process = None

    def start(self):
        env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_CONN_MAX_AGE": "0"}
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "crm.wsgi", "--workers", "1"]
                + ["--bind", f"127.0.0.1:{self.port}"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
            )
        for _ in range(300):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            assert self.process.poll() is None, Path(self.log_path).read_text()
            time.sleep(0.1)
        raise AssertionError(f"gunicorn did not start: {Path(self.log_path).read_text()}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


@pytest.fixture
def gunicorn(tmp_path):
    server = Gunicorn(tmp_path / "gunicorn.log")
    yield server
    server.stop()


def test_delivers_everything_while_the_server_restarts_midway(gunicorn, application, make_handler):
    gunicorn.start()
    handler = make_handler(f"127.0.0.1:{gunicorn.port}")
    logger = logger_for(handler)
    for number in range(50):
        logger.info("before %d", number)
    assert handler.flush()

    gunicorn.stop()
    for number in range(50):
        logger.info("while down %d", number)
    assert not handler.flush(timeout=0.5)  # queued, not lost
    gunicorn.start()
    for number in range(50):
        logger.info("after %d", number)

    assert handler.flush()
    assert handler.sent == 150 and handler.dropped == 0
    messages = list(stored(application).values_list("message", flat=True))
    assert len(messages) == len(set(messages)) == 150
