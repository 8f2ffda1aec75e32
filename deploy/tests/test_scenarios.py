"""What every supported setup must do, written once and run through each real server.

The ``setup`` fixture is gunicorn alone, Apache + mod_wsgi, then Apache in front
of gunicorn (servers.py starts each once per session). Clients here speak raw
HTTP/1.1 over TLS where the standard library's clients cannot misbehave enough:
a body shorter than its Content-Length, an upload that stalls.
"""

import base64
import contextlib
import secrets
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from servers import Browser, post_log_record, send_log_record, stored_log_messages

# deploy/README.md, "Slow clients": what an attacker holds open in the test.
STALLED_UPLOADS = 30
ORDINARY_REQUESTS = 20
# An ordinary request waits at most this long for its answer while the
# stalled uploads are open: not a benchmark, a bound that starvation breaks
# (a starved request waits for the client's 30 s timeout).
PROMPT_SECONDS = 5
# How long the client waits for a server that does not answer at all.
CLIENT_TIMEOUT = 30


@dataclass
class Setup:
    """One supported setup as a client sees it, and the logs to show when it fails."""

    name: str
    origin: str
    tls: ssl.SSLContext
    servers: tuple

    def browser(self):
        return Browser(self.origin, self.tls)

    def log_text(self):
        return "\n".join(server.log_text() for server in self.servers)

    def connect(self):
        """Open a TLS connection to the site, as a client program would."""
        url = urlsplit(self.origin)
        raw = socket.create_connection((url.hostname, url.port), timeout=CLIENT_TIMEOUT)
        return self.tls.wrap_socket(raw, server_hostname=url.hostname)

    def request_head(self, method, path, headers):
        lines = [f"{method} {path} HTTP/1.1", f"Host: {urlsplit(self.origin).netloc}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@pytest.fixture(params=["gunicorn_alone", "apache_wsgi", "apache_proxy"])
def setup(request, tls):
    if request.param == "gunicorn_alone":
        server = request.getfixturevalue("gunicorn_alone")
        return Setup(request.param, server.origin, tls[2], (server,))
    apache = request.getfixturevalue(request.param)
    servers = (apache.server,)
    if request.param == "apache_proxy":
        servers += (request.getfixturevalue("gunicorn_behind_apache"),)
    return Setup(request.param, apache.https, tls[2], servers)


def test_the_login_page_answers_with_the_security_headers(setup):
    """Django decides them; behind Apache it must see the request as HTTPS to send HSTS."""
    page = setup.browser().get("/accounts/login/")
    assert page.status == 200, setup.log_text()
    assert "Log in" in page.text
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Referrer-Policy"] == "same-origin"
    csrf = page.cookie("csrftoken")
    assert csrf["secure"] and csrf["httponly"]


def test_a_user_logs_in_over_https_with_a_secure_session(setup):
    browser = setup.browser()
    response = browser.login()
    assert response.status == 302, response.text
    assert response.headers["Location"] == "/"
    session = response.cookie("sessionid")
    assert session["secure"] and session["httponly"]
    home = browser.get("/")
    assert home.status == 200
    assert "admin" in home.text


def test_a_stock_http_handler_record_is_stored(setup, log_application):
    """The credentials of logging.handlers.HTTPHandler get through to the site."""
    message = f"record through {setup.name}"
    send_log_record(setup.origin, setup.tls, log_application, message)
    assert message in stored_log_messages(setup.browser(), message)


def test_a_wrong_log_password_is_refused(setup, log_application):
    slug, _ = log_application
    response = post_log_record(setup.browser(), slug, "not the secret")
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def log_record_headers(application, length):
    """Return the headers logging.handlers.HTTPHandler sends with a record of ``length`` bytes."""
    slug, secret = application
    credentials = base64.b64encode(f"{slug}:{secret}".encode()).decode()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": str(length),
        "Authorization": f"Basic {credentials}",
    }


def read_answer(connection):
    """Return all the server sends until it closes the connection (b"" for nothing)."""
    answer = b""
    deadline = time.monotonic() + CLIENT_TIMEOUT
    with contextlib.suppress(OSError):  # a reset, a TLS connection cut short
        while time.monotonic() < deadline:
            data = connection.recv(65536)
            if not data:
                break
            answer += data
    return answer


def send_and_hang_up(setup, path, headers, body):
    """Send a request with ``body``, close the sending side, return the answer's bytes.

    Shutting down the socket under TLS keeps the connection readable (the
    SSLSocket method would drop TLS first): the server sees the end of the
    body, then may still answer.
    """
    with setup.connect() as connection:
        connection.sendall(setup.request_head("POST", path, headers) + body)
        socket.socket.shutdown(connection, socket.SHUT_WR)
        return read_answer(connection)


def test_a_truncated_log_record_is_refused_and_not_stored(setup, log_application):
    """A body cut short is an incomplete record, even when the part that came parses."""
    slug, _ = log_application
    path = f"/remotelog/{slug}/log/"
    marker = f"{setup.name}-{secrets.token_hex(4)}"

    # The same request complete: stored, so the refusal below is about the cut.
    whole = f"msg=whole-{marker}&levelno=30&name=deploy-tests".encode()
    headers = {**log_record_headers(log_application, len(whole)), "Connection": "close"}
    with setup.connect() as connection:
        connection.sendall(setup.request_head("POST", path, headers) + whole)
        answer = read_answer(connection)
    assert answer.startswith(b"HTTP/1.1 201"), answer[:300] or setup.log_text()

    # Declares the whole record, sends a prefix that is itself a valid record.
    whole = f"msg=cut-{marker}&levelno=30&name=deploy-tests".encode()
    cut = whole[: whole.index(b"&name=")]
    answer = send_and_hang_up(setup, path, log_record_headers(log_application, len(whole)), cut)

    stored = stored_log_messages(setup.browser(), marker)
    assert f"whole-{marker}" in stored
    assert f"cut-{marker}" not in stored
    refusals = (b"HTTP/1.1 400",)
    if setup.name == "apache_wsgi":
        # mod_wsgi's Apache side answers 500 itself when the client's body
        # ends early, whatever the site answers (wsgi_execute_remote, in 4.9
        # as in 6.0): no configuration changes that.
        refusals += (b"HTTP/1.1 500",)
    assert answer == b"" or answer.startswith(refusals), answer[:300]


def open_stalled_upload(setup, path, headers):
    """Send a POST's headers declaring 100 bytes of body, then 5 of them, then nothing."""
    connection = setup.connect()
    try:
        head = setup.request_head("POST", path, {**headers, "Content-Length": "100"})
        connection.sendall(head + b"msg=x")
    except BaseException:
        connection.close()
        raise
    return connection


def stalled_upload_targets(setup, application):
    """Return (path, headers) of real endpoints that read the body: a login, a log record."""
    page = setup.browser().get("/accounts/login/")
    csrf = page.cookie("csrftoken").value
    # With the cookie and a matching Origin, Django's CSRF check reads the form.
    login = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={csrf}",
        "Origin": setup.origin,
    }
    record = log_record_headers(application, 100)
    return [("/accounts/login/", login), (f"/remotelog/{application[0]}/log/", record)]


def timed_login_page(browser):
    """Request the login page; return (status or error, seconds until the answer)."""
    start = time.monotonic()
    try:
        status = browser.get("/accounts/login/").status
    except OSError as error:
        status = repr(error)
    return status, round(time.monotonic() - start, 2)


def test_stalled_uploads_do_not_starve_other_requests(setup, log_application):
    """Slow clients hold connections, never the threads that serve everyone else."""
    targets = stalled_upload_targets(setup, log_application)
    # All at once, as an attacker would: none waits for another's handshake,
    # and the ordinary requests go 1 s later whether the server has finished
    # the stalled uploads' handshakes or not.
    openers = ThreadPoolExecutor(STALLED_UPLOADS)
    stalled = [
        openers.submit(open_stalled_upload, setup, *targets[number % len(targets)])
        for number in range(STALLED_UPLOADS)
    ]
    try:
        time.sleep(1)
        browsers = [setup.browser() for _ in range(ORDINARY_REQUESTS)]
        with ThreadPoolExecutor(ORDINARY_REQUESTS) as pool:
            answers = list(pool.map(timed_login_page, browsers))
    finally:
        refused = []
        for opened in stalled:
            try:
                opened.result().close()
            except OSError as error:
                refused.append(repr(error))
        openers.shutdown()

    late = [answer for answer in answers if answer[0] != 200 or answer[1] > PROMPT_SECONDS]
    assert not late, f"{len(late)} of {len(answers)} answers late or failed: {sorted(answers)}"
    # Not served quickly because the stalled uploads never got in.
    assert not refused, f"{len(refused)} stalled uploads could not be sent: {refused[:3]}"


def test_static_files_carry_caching_and_nosniff_headers(setup):
    """Apache serves /static/ itself in both Apache setups; WhiteNoise does for gunicorn."""
    response = setup.browser().get("/static/crm/site.css")
    assert response.status == 200
    assert response.headers.get_all("Cache-Control") == ["max-age=60, public"]
    assert response.headers.get_all("X-Content-Type-Options") == ["nosniff"]


def test_a_logged_in_page_is_private_and_has_a_content_security_policy(setup):
    """Django's headers come through each server once, neither dropped nor doubled."""
    browser = setup.browser()
    assert browser.login().status == 302
    page = browser.get("/")
    assert page.status == 200, setup.log_text()
    assert len(page.headers.get_all("Content-Security-Policy") or []) == 1, page.headers.items()
    cache_control = page.headers.get_all("Cache-Control") or []
    assert len(cache_control) == 1 and "private" in cache_control[0], page.headers.items()
    assert page.headers.get_all("X-Content-Type-Options") == ["nosniff"]
