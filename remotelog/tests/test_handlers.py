"""RemoteLogHandler against a real HTTP server that keeps the batch endpoint's contract.

The server here is the standard library's, on a loopback port, so the handler's
own behaviour (batches, bounds, retries, restarts, exit) is tested without the
site; test_handlers_live.py sends to the real site.
"""

import base64
import json
import logging
import os
import shutil
import ssl
import subprocess
import sys
import textwrap
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from remotelog import handlers
from remotelog.handlers import RemoteLogHandler

SLUG, SECRET = "probe", "s3cret-token"
URL = f"/remotelog/{SLUG}/batch/"
FAST = {"backoff": 0.01, "max_backoff": 0.1, "flush_timeout": 20}


class ContractServer:
    """The batch endpoint's contract: Basic auth, limits, all-or-nothing, ids deduplicated."""

    def __init__(self, max_records=500, max_body=1024 * 1024, ssl_context=None, keep_alive_for=0):
        self.port = 0
        self.keep_alive_for = keep_alive_for  # seconds an idle HTTP/1.1 connection stays open
        self.closed_idle = threading.Event()
        self.max_records = max_records
        self.max_body = max_body
        self.ssl_context = ssl_context
        self.records = {}  # id -> record, as stored
        self.answers = []  # status of every request answered
        self.plan = []  # next answers to force: a status, or "lose" (store, then hang up)
        self.release = threading.Event()  # cleared: requests wait before answering
        self.release.set()
        self.received = threading.Event()
        self.lock = threading.Lock()
        self._server = None

    def start(self):
        handler_class = _ContractRequestHandler
        if self.keep_alive_for:
            handler_class = type(
                "KeepAlive",
                (_ContractRequestHandler,),
                {"protocol_version": "HTTP/1.1", "timeout": self.keep_alive_for},
            )
        server = ThreadingHTTPServer(("127.0.0.1", self.port), handler_class)
        if self.ssl_context:
            server.socket = self.ssl_context.wrap_socket(server.socket, server_side=True)
        server.contract = self
        self.port = server.server_address[1]  # the same port again after a restart
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        self._server = server

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def answer(self, body):
        """Return (status, payload) for a request body, storing it if accepted."""
        with self.lock:
            planned = self.plan.pop(0) if self.plan else None
        if isinstance(planned, int):
            return planned, "planned failure"
        try:
            records = json.loads(body)
        except ValueError:
            return 400, "not JSON"
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            return 400, "not an array of records"
        if len(records) > self.max_records:
            return 413, "too many records"
        for record in records:
            try:
                int(record["levelno"]), int(record["lineno"]), float(record["created"])
                record["msg"]  # noqa: B018 - required
            except (KeyError, TypeError, ValueError):
                return 400, "malformed record"
        with self.lock:
            fresh = {r.get("id") or uuid.uuid4().hex: r for r in records}
            duplicates = len(fresh.keys() & self.records.keys())
            self.records.update(fresh)
        if planned == "lose":
            return None, None
        return 201, {"stored": len(fresh) - duplicates, "duplicates": duplicates}


class _ContractRequestHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        contract = self.server.contract
        contract.received.set()
        expected = "Basic " + base64.b64encode(f"{SLUG}:{SECRET}".encode()).decode()
        length = int(self.headers.get("Content-Length", 0))
        if self.path != URL or self.headers.get("Authorization") != expected:
            self.reply(401, "credentials required", {"WWW-Authenticate": 'Basic realm="remotelog"'})
        elif self.headers.get("Content-Type") != "application/json":
            self.reply(400, "JSON expected")
        elif length > contract.max_body:
            self.reply(413, "body too large")
        else:
            body = self.rfile.read(length)
            contract.release.wait()
            status, payload = contract.answer(body)
            if status is None:
                return  # the response is lost: the connection closes unanswered
            self.reply(status, payload)

    def log_error(self, format, *args):
        if format.startswith("Request timed out"):  # an idle kept-alive connection, closed
            self.server.contract.closed_idle.set()

    def do_GET(self):
        self.reply(405, "POST only")

    def reply(self, status, payload, headers=()):
        with self.server.contract.lock:
            self.server.contract.answers.append(status)
        is_json = isinstance(payload, dict)
        data = (json.dumps(payload) if is_json else payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if is_json else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        for name, value in dict(headers).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def server():
    server = ContractServer()
    server.start()
    yield server
    server.release.set()
    server.stop()


@pytest.fixture
def make_handler(server):
    """Return a factory of handlers sending to the contract server, closed afterwards."""
    made = []

    def make_handler(credentials=(SLUG, SECRET), **options):
        handler = RemoteLogHandler(
            f"127.0.0.1:{server.port}", URL, credentials=credentials, **{**FAST, **options}
        )
        made.append(handler)
        return handler

    yield make_handler
    for handler in made:
        handler.close(timeout=1)


def logger_for(handler):
    logger = logging.getLogger(f"remotelog.tests.{uuid.uuid4().hex[:8]}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    return logger


def hold_first_request(server, logger):
    """Keep the server busy with one record so that what is logged next queues up."""
    server.release.clear()
    logger.info("first")
    assert server.received.wait(10)


def test_records_arrive_in_batches_with_their_fields(server, make_handler):
    handler = make_handler()
    logger = logger_for(handler)
    hold_first_request(server, logger)
    for number in range(1199):
        logger.warning("order %s of %d", "abc", number)
    server.release.set()

    assert handler.flush()
    assert len(server.records) == 1200
    # One record, then the 1199 that queued meanwhile in batches of at most 500.
    assert server.answers == [201] * 4
    assert handler.sent == 1200 and handler.dropped == 0
    record = next(r for r in server.records.values() if r["args"] == "('abc', 7)")
    assert record["msg"] == "order %s of %d"
    assert record["message"] == "order abc of 7"
    assert record["levelname"] == "WARNING" and record["levelno"] == logging.WARNING
    assert record["name"] == logger.name
    assert record["funcName"] == "test_records_arrive_in_batches_with_their_fields"
    assert record["pathname"] == __file__ and isinstance(record["lineno"], int)
    assert record["process"] == os.getpid() and isinstance(record["created"], float)
    assert len(record["id"]) == 32


def test_the_traceback_arrives_as_text(server, make_handler):
    handler = make_handler()
    logger = logger_for(handler)
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        logger.exception("the <report> failed", extra={"customer": object()})

    assert handler.flush()
    (record,) = server.records.values()
    assert record["exc_text"].startswith("Traceback (most recent call last):")
    assert record["exc_text"].endswith("ZeroDivisionError: division by zero")
    assert "exc_info" not in record
    assert record["customer"].startswith("<object object at")


def test_a_full_queue_drops_and_counts_instead_of_blocking(server, make_handler):
    handler = make_handler(capacity=10, batch_size=5)
    logger = logger_for(handler)
    hold_first_request(server, logger)
    for number in range(15):
        logger.info("record %d", number)  # returns at once although the server waits

    assert handler.dropped == 5
    server.release.set()
    assert handler.flush()
    assert len(server.records) == 11
    assert handler.sent == 11


def test_retries_server_errors_and_lost_responses_without_duplicates(server, make_handler):
    server.plan = [503, 500, "lose", 429, 502]
    handler = make_handler()
    logger = logger_for(handler)
    hold_first_request(server, logger)
    for number in range(3):
        logger.info("record %d", number)
    server.release.set()

    assert handler.flush()
    # The first record went through the plan; the lost response was stored and retried.
    assert server.answers == [503, 500, 429, 502, 201, 201]
    assert len(server.records) == 4
    assert handler.sent == 4 and handler.dropped == 0


def test_refused_credentials_are_not_retried(server, make_handler, capsys):
    handler = make_handler(credentials=(SLUG, "wrong"))
    logger = logger_for(handler)
    for number in range(3):
        logger.info("record %d", number)

    assert handler.flush()
    assert set(server.answers) == {401}
    assert server.records == {}
    assert handler.dropped == 3
    assert "server answered 401: credentials required" in capsys.readouterr().err


def test_a_malformed_record_is_isolated_from_its_batch(server, make_handler):
    handler = make_handler()
    logger = logger_for(handler)
    hold_first_request(server, logger)
    for number in range(4):
        record = logger.makeRecord(logger.name, logging.INFO, __file__, 1, "record", (), None)
        record.lineno = "nowhere" if number == 2 else number
        logger.handle(record)
    server.release.set()

    assert handler.flush()
    assert sorted(r["lineno"] for r in server.records.values() if r["msg"] == "record") == [0, 1, 3]
    assert handler.dropped == 1


def test_a_batch_over_the_server_limit_is_split(make_handler):
    server = ContractServer(max_records=3)
    server.start()
    try:
        handler = RemoteLogHandler(
            f"127.0.0.1:{server.port}", URL, credentials=(SLUG, SECRET), **FAST
        )
        logger = logger_for(handler)
        hold_first_request(server, logger)
        for number in range(10):
            logger.info("record %d", number)
        server.release.set()
        assert handler.flush()
        handler.close()
    finally:
        server.release.set()
        server.stop()
    assert 413 in server.answers
    assert len(server.records) == 11
    assert handler.dropped == 0


def test_a_batch_is_cut_at_the_byte_limit(server, make_handler):
    handler = make_handler(max_batch_bytes=4096)
    logger = logger_for(handler)
    hold_first_request(server, logger)
    for number in range(20):
        logger.info("%d %s", number, "x" * 1000)
    logger.info("too big %s", "y" * 5000)
    server.release.set()

    assert handler.flush()
    assert len(server.records) == 21
    assert len(server.answers) > 5
    assert handler.dropped == 1


def test_delivers_everything_exactly_once_while_the_server_restarts(server, make_handler):
    handler = make_handler()
    logger = logger_for(handler)
    for number in range(50):
        logger.info("before %d", number)
    assert handler.flush()

    server.stop()
    for number in range(50):
        logger.info("while down %d", number)
    assert not handler.flush(timeout=0.3)  # kept, not dropped
    server.plan = ["lose"]
    server.start()
    for number in range(50):
        logger.info("after %d", number)

    assert handler.flush()
    messages = sorted(r["message"] for r in server.records.values())
    assert len(messages) == len(set(messages)) == 150
    assert handler.sent == 150 and handler.dropped == 0


def test_a_kept_alive_connection_the_server_closed_is_replaced_at_once(capsys):
    server = ContractServer(keep_alive_for=0.05)
    server.start()
    try:
        handler = RemoteLogHandler(f"127.0.0.1:{server.port}", URL, credentials=(SLUG, SECRET))
        logger = logger_for(handler)
        logger.info("first")
        assert handler.flush(timeout=10)
        assert server.closed_idle.wait(10)
        logger.info("second")
        assert handler.flush(timeout=10)
        handler.close()
    finally:
        server.stop()
    assert server.answers == [201, 201]
    assert len(server.records) == 2
    assert "retrying" not in capsys.readouterr().err  # no failure, no pause


def test_close_gives_up_after_its_timeout_and_counts_the_rest(server, make_handler, capsys):
    handler = make_handler()
    logger = logger_for(handler)
    server.stop()
    for number in range(5):
        logger.info("record %d", number)
    handler.close(timeout=0.2)
    logger.info("after close")

    assert handler.dropped == 6
    assert "closed before the server took them" in capsys.readouterr().err
    server.start()  # for the fixture's teardown


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", directory / "key.pem", "-out", directory / "cert.pem"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return directory / "cert.pem", directory / "key.pem"


def test_sends_over_https(certificate):
    cert, key = certificate
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    server = ContractServer(ssl_context=server_context)
    server.start()
    try:
        handler = RemoteLogHandler(
            f"127.0.0.1:{server.port}",
            URL,
            secure=True,
            credentials=(SLUG, SECRET),
            context=ssl.create_default_context(cafile=cert),
            **FAST,
        )
        logger_for(handler).error("over TLS")
        assert handler.flush()
        handler.close()
    finally:
        server.stop()
    assert [r["msg"] for r in server.records.values()] == ["over TLS"]


def run_program(tmp_path, port, body):
    """Run a program that has only the standard library and a copy of handlers.py."""
    shutil.copy(handlers.__file__, tmp_path / "remote_log.py")
    program = tmp_path / "program.py"
    program.write_text(
        textwrap.dedent(f"""
            import logging
            from remote_log import RemoteLogHandler

            handler = RemoteLogHandler(
                "127.0.0.1:{port}", "{URL}", credentials=("{SLUG}", "{SECRET}"),
                flush_timeout=1, backoff=0.01,
            )
            logging.getLogger().addHandler(handler)
            logging.getLogger().setLevel(logging.INFO)
        """)
        + textwrap.dedent(body)
    )
    # No site-packages (-S), no environment (-E -s): the handler must stand alone.
    return subprocess.run(
        [sys.executable, "-E", "-s", "-S", program],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_program_exits_only_after_its_records_are_delivered(server, tmp_path):
    result = run_program(
        tmp_path,
        server.port,
        """
        for number in range(300):
            logging.info("record %d", number)
        """,
    )
    assert result.returncode == 0, result.stderr
    assert len(server.records) == 300


def test_a_program_exits_although_the_server_is_down(server, tmp_path):
    port = server.port
    server.stop()
    result = run_program(tmp_path, port, 'logging.info("nobody listens")\n')
    server.start()
    assert result.returncode == 0
    assert "1 records" in result.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_sends_its_own_records(server, make_handler):
    handler = make_handler()
    logger = logger_for(handler)
    logger.info("parent before fork")
    assert handler.flush()
    pid = os.fork()
    if pid == 0:  # the child: its own queue and thread
        try:
            logger.info("child")
            os._exit(0 if handler.flush() else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    logger.info("parent after fork")
    assert handler.flush()

    assert os.waitstatus_to_exitcode(status) == 0
    senders = {r["message"]: r["process"] for r in server.records.values()}
    assert senders == {
        "parent before fork": os.getpid(),
        "child": pid,
        "parent after fork": os.getpid(),
    }
