"""Real servers on loopback for the alert tests: an SMTP server and a webhook receiver."""

import email
import email.policy
import http.server
import socket
import threading

from aiosmtpd.controller import Controller


def free_port():
    """Return a loopback TCP port nobody listens on (at least at this moment)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler keeping every message it receives, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 Message accepted for delivery"


class SMTPServer:
    """aiosmtpd's SMTP server on 127.0.0.1:``port``, started and stopped by hand."""

    def __init__(self, port=None):
        self.mailbox = Mailbox()
        self.port = port or free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self):
        return self.mailbox.messages

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


class WebhookReceiver(http.server.ThreadingHTTPServer):
    """
    An HTTP server on 127.0.0.1 keeping each POST as (headers, raw body).

    Answers with the statuses in ``failures`` first (500, ...), then 200,
    each with the body ``answer``.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port=0, failures=(), answer=b""):
        super().__init__(("127.0.0.1", port), _Handler)
        self.received = []
        self.failures = list(failures)
        self.answer = answer
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/remotelog"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), body))
        status = self.server.failures.pop(0) if self.server.failures else 200
        self.send_response(status)
        self.send_header("Content-Length", str(len(self.server.answer)))
        self.end_headers()
        self.wfile.write(self.server.answer)

    def log_message(self, format, *args):
        pass
