"""A gunicorn worker that reads each whole request before a thread runs the site.

gunicorn's gthread worker gives a connection to one of its threads once the
first bytes arrive; the thread then reads the body as the site asks for it,
with no timeout, so a client that declares a body and stalls holds the thread
as long as it likes (deploy/README.md, "Slow clients"). gunicorn's tornado
worker reads whole requests in Tornado's event loop first, but then runs the
site in that loop, one request at a time. This worker keeps Tornado's HTTP
server (parsing, TLS, body buffering, limits and timeouts) and runs the site on
a pool of ``threads`` threads.

Written here because no maintained server does both for WSGI: Tornado's
``WSGIContainer(executor=...)`` refuses Django's ``Set-Cookie`` values (a
leading space, which WSGI allows), fails HEAD requests, leaves the client
hanging when anything raises, holds streamed responses whole, and parses
every form body for nothing.

``gunicorn.conf.py`` selects it; nothing else imports it.
"""

import asyncio
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO

from gunicorn.sock import ssl_context
from gunicorn.workers.gtornado import TornadoWorker
from tornado import httputil
from tornado.escape import url_unescape
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop, PeriodicCallback
from tornado.iostream import StreamClosedError
from tornado.wsgi import to_wsgi_str

# Above the largest body the site accepts itself (a 1 MiB batch of log
# records), as Apache's LimitRequestBody in deploy/apache/: a body is held in
# memory until it is complete, so this bounds what one connection can cost.
MAX_BODY_BYTES = 2 * 1024 * 1024
# A body still incomplete after this long is dropped with its connection.
BODY_TIMEOUT_SECONDS = 60
# A response longer than this goes out as the site makes it (a streamed
# export), the thread waiting while the client reads; a shorter one goes out
# whole once its thread is done with it.
STREAM_AFTER_BYTES = 256 * 1024
SERVER_ERROR = ("500 Internal Server Error", [("Content-Type", "text/plain; charset=utf-8")])


class Exchange(httputil.HTTPMessageDelegate):
    """One request, collected whole by the event loop, and its response."""

    def __init__(self, site, connection):
        self.site = site
        self.connection = connection  # Tornado's HTTP1Connection
        self.chunks = []
        self.status = None
        self.headers = None
        self.started = False  # the response's headers are with Tornado
        self.sent = 0

    # -- The request, from Tornado's HTTP server, on the event loop. --

    def headers_received(self, start_line, headers):
        self.received = time.monotonic()
        self.method, self.uri, self.version = start_line
        self.request_headers = headers

    def data_received(self, chunk):
        self.chunks.append(chunk)

    def finish(self):
        IOLoop.current().spawn_callback(self.site.answer, self)

    def environ(self, server_port):
        """Return the request's WSGI environ (PEP 3333)."""
        context = self.connection.context
        path, _, query = self.uri.partition("?")
        host = self.request_headers.get("Host") or "localhost"
        environ = {
            "REQUEST_METHOD": self.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": to_wsgi_str(url_unescape(path, encoding=None, plus=False)),
            "QUERY_STRING": query,
            "REMOTE_ADDR": context.remote_ip,
            "SERVER_NAME": httputil.split_host_and_port(host.lower())[0],
            "SERVER_PORT": str(server_port),
            "SERVER_PROTOCOL": self.version,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": context.protocol,
            "wsgi.input": BytesIO(b"".join(self.chunks)),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        for name, value in self.request_headers.get_all():
            if name == "Content-Type":
                environ["CONTENT_TYPE"] = value
            elif name == "Content-Length":
                environ["CONTENT_LENGTH"] = value
            else:
                key = "HTTP_" + name.replace("-", "_").upper()
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    # -- The response, from the site's thread, written by the event loop. --

    def start_response(self, status, headers, exc_info=None):
        """Take the status and headers, as WSGI's start_response; send nothing yet."""
        if exc_info and self.started:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status = status
        # WSGI allows leading spaces (Django's Set-Cookie has one); Tornado refuses them.
        self.headers = [(name, value.strip()) for name, value in headers]

    async def send(self, body, *, last):
        """Write the headers the first time, then ``body``; finish the response if ``last``."""
        if not self.started:
            headers = httputil.HTTPHeaders()
            for name, value in self.headers:
                headers.add(name, value)
            headers.setdefault("Date", httputil.format_timestamp(time.time()))
            code, _, reason = self.status.partition(" ")
            has_body = self.method != "HEAD" and code not in ("204", "304")
            if last and has_body and "Content-Length" not in headers:
                headers["Content-Length"] = str(len(body))
            self.started = True
            start_line = httputil.ResponseStartLine("HTTP/1.1", int(code), reason)
            await self.connection.write_headers(start_line, headers, chunk=body)
        elif body:
            await self.connection.write(body)
        self.sent += len(body)
        if last:
            self.connection.finish()

    def send_from_thread(self, body, loop):
        """Send part of the body from a site thread; wait until the client took it."""
        asyncio.run_coroutine_threadsafe(self.send(body, last=False), loop.asyncio_loop).result()


class Site(httputil.HTTPServerConnectionDelegate):
    """Serve whole requests with a WSGI application on a pool of threads."""

    def __init__(self, application, *, threads, server_port, log):
        self.application = application
        self.executor = ThreadPoolExecutor(threads)
        self.server_port = server_port
        self.log = log
        self.running = 0

    def start_request(self, server_conn, request_conn):
        return Exchange(self, request_conn)

    async def answer(self, exchange):
        loop = IOLoop.current()
        self.running += 1
        try:
            rest = await loop.run_in_executor(self.executor, self.respond, exchange, loop)
            await exchange.send(rest, last=True)
        except StreamClosedError:
            return  # the client left
        except Exception:
            self.log.exception("Error handling request %s", exchange.uri)
            if exchange.started:
                exchange.connection.close()
                return
            exchange.status, exchange.headers = SERVER_ERROR
            await exchange.send(b"", last=True)
        finally:
            self.running -= 1
        self.log.access_log.info(
            '%s "%s %s %s" %s %d %.0fms',
            exchange.connection.context.remote_ip,
            exchange.method,
            exchange.uri,
            exchange.version,
            exchange.status.partition(" ")[0],
            exchange.sent,
            1000 * (time.monotonic() - exchange.received),
        )

    def respond(self, exchange, loop):
        """Run the application on this thread; return what is left of the body to send.

        A body longer than STREAM_AFTER_BYTES (a streamed export) goes out
        from here as it is made, so it is never held whole in memory.
        """
        environ = exchange.environ(self.server_port)
        result = self.application(environ, exchange.start_response)
        pending, size = [], 0
        try:
            for chunk in result if exchange.method != "HEAD" else ():
                pending.append(chunk)
                size += len(chunk)
                if size >= STREAM_AFTER_BYTES:
                    exchange.send_from_thread(b"".join(pending), loop)
                    pending, size = [], 0
        finally:
            # Django's request_finished: in the thread whose database connection it closes.
            if hasattr(result, "close"):
                result.close()
        if exchange.status is None:
            raise RuntimeError("the application did not call start_response")
        return b"".join(pending)


class BufferingWorker(TornadoWorker):
    """gunicorn's tornado worker, running the site on ``threads`` threads."""

    def run(self):
        # Unlike gunicorn's tornado worker, leave self.alive alone: a reload's
        # SIGTERM can come while the site is still loading, and must stop us.
        self.ioloop = IOLoop.current()
        self.stop_deadline = None
        self.callbacks = [
            PeriodicCallback(self.watchdog, 1000),
            PeriodicCallback(self.heartbeat, 1000),
        ]
        for callback in self.callbacks:
            callback.start()

        address = self.sockets[0].getsockname() if self.sockets else None
        port = address[1] if isinstance(address, tuple) else 80
        self.site = Site(self.wsgi, threads=self.cfg.threads, server_port=port, log=self.log)
        worker = self

        class Server(HTTPServer):
            def on_close(self, server_conn):
                worker.handle_request()  # counts towards max_requests
                super().on_close(server_conn)

        self.server = Server(
            self.site,
            ssl_options=ssl_context(self.cfg) if self.cfg.is_ssl else None,
            no_keep_alive=self.cfg.keepalive <= 0,
            # Also the time a new connection has to send its request's headers.
            idle_connection_timeout=self.cfg.keepalive or None,
            body_timeout=BODY_TIMEOUT_SECONDS,
            max_body_size=MAX_BODY_BYTES,
        )
        for listener in self.sockets:
            listener.setblocking(False)
            self.server.add_socket(listener)
        self.ioloop.start()

    def heartbeat(self):
        """Once told to stop: stop accepting, let running requests finish, then exit."""
        if self.alive:
            return
        if self.stop_deadline is None:
            self.server.stop()
            # The arbiter kills the worker after graceful_timeout: be done before.
            self.stop_deadline = time.monotonic() + max(self.cfg.graceful_timeout - 2, 1)
            return
        if self.site.running and time.monotonic() < self.stop_deadline:
            return
        for callback in self.callbacks:
            callback.stop()
        self.ioloop.stop()
