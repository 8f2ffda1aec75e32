"""A gunicorn worker that reads each whole request before a thread runs the site.

gunicorn's gthread worker gives a connection to one of its threads once the
first bytes arrive; the thread then reads the body as the site asks for it,
with no timeout, so a client that declares a body and stalls holds the thread
as long as it likes (deploy/README.md, "Slow clients"). gunicorn's tornado
worker reads whole requests in Tornado's event loop first, but then runs the
site in that loop, one request at a time. This worker keeps Tornado's HTTP
server (parsing, TLS, body buffering, limits and timeouts) and runs the site on
a pool of ``threads`` threads.

Why not Tornado's ``WSGIContainer(executor=...)``: it refuses Django's
``Set-Cookie`` values (a leading space, which WSGI allows), breaks HEAD
responses, leaves the client hanging when anything raises, and closes the
response (Django's request_finished) outside the thread that served it.

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


def wsgi_environ(request, server_port):
    """Return the WSGI environ (PEP 3333) of a complete Tornado request."""
    headers = request.headers
    environ = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": to_wsgi_str(url_unescape(request.path, encoding=None, plus=False)),
        "QUERY_STRING": request.query,
        "REMOTE_ADDR": request.remote_ip,
        "SERVER_NAME": request.host_name,
        "SERVER_PORT": str(server_port),
        "SERVER_PROTOCOL": request.version,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": request.protocol,
        "wsgi.input": BytesIO(request.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in headers.get_all():
        if name == "Content-Type":
            environ["CONTENT_TYPE"] = value
        elif name == "Content-Length":
            environ["CONTENT_LENGTH"] = value
        else:
            key = "HTTP_" + name.replace("-", "_").upper()
            environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


class Reply:
    """One response, written by the event loop, begun from the loop or a site thread."""

    def __init__(self, request, loop):
        self.request = request
        self.loop = loop
        self.status = None
        self.headers = None
        self.started = False  # the headers are with Tornado
        self.sent = 0

    def start_response(self, status, headers, exc_info=None):
        """Take the status and headers, as WSGI's start_response; send nothing yet."""
        if exc_info and self.started:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status = status
        # WSGI allows leading spaces (Django's Set-Cookie has one); Tornado refuses them.
        self.headers = [(name, value.strip()) for name, value in headers]

    async def send(self, body, *, last):
        """Write the headers the first time, then ``body``; finish the response if ``last``."""
        connection = self.request.connection
        if not self.started:
            headers = httputil.HTTPHeaders()
            for name, value in self.headers:
                headers.add(name, value)
            headers.setdefault("Date", httputil.format_timestamp(time.time()))
            code, _, reason = self.status.partition(" ")
            has_body = self.request.method != "HEAD" and code not in ("204", "304")
            if last and has_body and "Content-Length" not in headers:
                headers["Content-Length"] = str(len(body))
            self.started = True
            start_line = httputil.ResponseStartLine("HTTP/1.1", int(code), reason)
            await connection.write_headers(start_line, headers, chunk=body)
        elif body:
            await connection.write(body)
        self.sent += len(body)
        if last:
            connection.finish()

    def send_from_thread(self, body):
        """Send part of the body from a site thread; wait until the client took it."""
        asyncio.run_coroutine_threadsafe(
            self.send(body, last=False), self.loop.asyncio_loop
        ).result()


class Site:
    """Serve complete requests with a WSGI application on a pool of threads."""

    def __init__(self, application, *, threads, server_port, log):
        self.application = application
        self.executor = ThreadPoolExecutor(threads)
        self.server_port = server_port
        self.log = log
        self.running = 0

    def __call__(self, request):
        """Take a complete request from Tornado's HTTP server."""
        IOLoop.current().spawn_callback(self.answer, request)

    async def answer(self, request):
        loop = IOLoop.current()
        reply = Reply(request, loop)
        self.running += 1
        try:
            rest = await loop.run_in_executor(self.executor, self.respond, request, reply)
            await reply.send(rest, last=True)
        except StreamClosedError:
            return  # the client left
        except Exception:
            self.log.exception("Error handling request %s", request.uri)
            if reply.started:
                request.connection.close()
                return
            reply.status, reply.headers = SERVER_ERROR
            await reply.send(b"", last=True)
        finally:
            self.running -= 1
        code = int(reply.status.partition(" ")[0])
        self.log.access_log.info(
            '%s "%s %s %s" %d %d %.0fms',
            request.remote_ip,
            request.method,
            request.uri,
            request.version,
            code,
            reply.sent,
            1000 * request.request_time(),
        )

    def respond(self, request, reply):
        """Run the application on this thread; return what is left of the body to send.

        A body longer than STREAM_AFTER_BYTES (a streamed export) goes out
        from here as it is made, so it is never held whole in memory.
        """
        result = self.application(wsgi_environ(request, self.server_port), reply.start_response)
        pending, size = [], 0
        try:
            for chunk in result if request.method != "HEAD" else ():
                pending.append(chunk)
                size += len(chunk)
                if size >= STREAM_AFTER_BYTES:
                    reply.send_from_thread(b"".join(pending))
                    pending, size = [], 0
        finally:
            # Django's request_finished: in the thread whose database connection it closes.
            if hasattr(result, "close"):
                result.close()
        if reply.status is None:
            raise RuntimeError("the application did not call start_response")
        return b"".join(pending)


class BufferingWorker(TornadoWorker):
    """gunicorn's tornado worker, running the site on ``threads`` threads."""

    def run(self):
        self.ioloop = IOLoop.current()
        self.alive = True
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
