"""Start the real servers of deploy/ on loopback ports: helpers and fixtures.

Each server fixture renders a file from deploy/ for a temporary directory,
changing only its ``Define`` lines (Apache) or GUNICORN_* variables, starts the
server in the foreground as a child process, waits until it answers and stops
it afterwards, whatever happened. The servers run the production settings
(debug off) on a database of their own, migrated here: PostgreSQL when the
suite runs on PostgreSQL, an SQLite file otherwise.
"""

import base64
import contextlib
import http.client
import logging
import logging.handlers
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import dj_database_url
import psycopg2
import pytest
from psycopg2 import sql

BASE_DIR = Path(__file__).resolve().parents[2]
DEPLOY = BASE_DIR / "deploy"
APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
APACHE_MODULES = Path("/usr/lib/apache2/modules")
# The virtualenv running the tests is the one the servers run.
VENV = Path(sys.prefix).resolve()
STARTUP_SECONDS = 60
# What LimitRequestBody in deploy/apache/*.conf lets through.
APACHE_BODY_LIMIT = 2 * 1024 * 1024
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "deploy tests admin password"


def free_port():
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env, *args):
    """Run ``manage.py`` with ``env``; fail the test with its output if it fails."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if result.returncode:
        pytest.fail(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


# -- A tiny HTTP client that keeps cookies: enough to log in. -----------------


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def cookie(self, name):
        """Return the Set-Cookie morsel for ``name`` from this response."""
        for value in self.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(value)
            if name in cookie:
                return cookie[name]
        raise AssertionError(f"no {name} cookie set; headers: {self.headers.items()}")


class UnixHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection over a Unix socket, the way Apache reaches gunicorn."""

    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(str(self.unix_path))


@dataclass
class Browser:
    """Request one site over fresh connections, keeping its cookies."""

    origin: str
    tls: ssl.SSLContext | None = None
    unix_socket: Path | None = None
    cookies: dict = field(default_factory=dict)

    def connection(self):
        url = urlsplit(self.origin)
        if self.unix_socket:
            return UnixHTTPConnection(self.unix_socket, timeout=30)
        if url.scheme == "https":
            return http.client.HTTPSConnection(url.hostname, url.port, context=self.tls, timeout=30)
        return http.client.HTTPConnection(url.hostname, url.port, timeout=30)

    def request(self, method, path, body=None, headers=None):
        headers = {"Connection": "close", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = self.connection()
        try:
            connection.request(method, path, body=body, headers=headers)
            reply = connection.getresponse()
            response = Response(reply.status, reply.headers, reply.read())
        finally:
            connection.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        return response

    def get(self, path, **headers):
        return self.request("GET", path, headers=headers)

    def login(self, username=ADMIN_USERNAME, password=ADMIN_PASSWORD):
        """Log in through the login form, as a person would; return the answer."""
        page = self.get("/accounts/login/")
        assert page.status == 200, page.text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        form = {"csrfmiddlewaretoken": token, "username": username, "password": password}
        return self.request(
            "POST",
            "/accounts/login/",
            body=urlencode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"{self.origin}/accounts/login/",
            },
        )


# -- Processes ----------------------------------------------------------------


class Server:
    """A server started in the foreground in its own process group."""

    def __init__(self, name, args, *, env, directory, cwd=BASE_DIR):
        self.name = name
        self.output = directory / f"{name}.out"
        self.logs = [self.output]
        with open(self.output, "wb") as output:
            self.process = subprocess.Popen(
                args,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self):
        return self.process.pid

    def log_text(self):
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-6000:]}"
            for path in self.logs
            if path.exists()
        )

    def wait_until(self, ready, what):
        """Poll ``ready()`` until it is true; fail with the logs if it never is."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.process.returncode}\n{self.log_text()}")
            try:
                if ready():
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{self.name}: no {what} after {STARTUP_SECONDS} s\n{self.log_text()}")
            time.sleep(0.1)

    def kill(self):
        """Kill the server and every process it started at once, as when its machine dies."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        """Stop the server and every process it started, politely first."""
        if self.process.poll() is None:
            os.killpg(self.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)  # whatever is left in the group
        self.process.wait(timeout=10)


def answers_on(port):
    def ready():
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True

    return ready


def answers_on_unix(path):
    def ready():
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(1)
            sock.connect(str(path))
            return True

    return ready


def wait_for(condition, what, server=None):
    """Poll ``condition()`` for up to 30 s; fail saying what never happened."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"no {what}\n{server.log_text() if server else ''}"
        time.sleep(0.05)


def keep_requesting(browser, path, answers, stop):
    """Request ``path`` until ``stop`` is set, appending each status (or error)."""
    while not stop.is_set():
        try:
            answers.append(browser.get(path).status)
        except OSError as error:
            answers.append(repr(error))


def child_pids(pid):
    """Return the ids of the running children of process ``pid``."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            children.add(int(stat.parent.name))
    return children


# -- What every server shares: a directory, TLS, a database, the settings. ----


@pytest.fixture(scope="session")
def site_dir():
    """Return a temporary directory the servers' users can read, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="crm-deploy-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def site_user():
    """Return the user Apache runs the site as: www-data under root, else ourselves."""
    return pwd.getpwnam("www-data") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())


@pytest.fixture(scope="session")
def tls(site_dir):
    """Make a self-signed certificate for 127.0.0.1; return (cert, key, client context)."""
    cert, key = site_dir / "tls.crt", site_dir / "tls.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return cert, key, ssl.create_default_context(cafile=str(cert))


@pytest.fixture(scope="session")
def server_database(site_dir, site_user):
    """Create the servers' own database; return its DATABASE_URL; drop it afterwards."""
    suite_url = os.environ.get("DATABASE_URL", "").strip()
    if not suite_url.startswith(("postgres://", "postgresql://")):
        directory = site_dir / "db"
        directory.mkdir()
        os.chown(directory, site_user.pw_uid, site_user.pw_gid)
        yield f"sqlite:///{directory}/crm.sqlite3"
        return

    suite = dj_database_url.parse(suite_url)
    name = f"{suite['NAME']}_servers"
    maintenance = psycopg2.connect(
        dbname="postgres",
        user=suite["USER"],
        password=suite["PASSWORD"],
        host=suite["HOST"],
        port=suite["PORT"] or 5432,
    )
    maintenance.autocommit = True
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with maintenance.cursor() as cursor:
        cursor.execute(drop)
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(suite_url)._replace(path=f"/{name}"))
    finally:
        with maintenance.cursor() as cursor:
            cursor.execute(drop)
        maintenance.close()


@pytest.fixture(scope="session")
def site(site_dir, site_user, server_database):
    """Prepare the site as deploy/README.md does; return its production environment.

    The environment has debug off, a fresh secret key, the servers' database
    (migrated, with an admin) and static files collected into the directory.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "GUNICORN_", "DATABASE_URL"))
    }
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=server_database,
        DJANGO_STATIC_ROOT=str(site_dir / "static"),
        DJANGO_VAR_DIR=str(site_dir / "var"),
        DJANGO_LOG_LEVEL="WARNING",
    )
    (site_dir / "var").mkdir()
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    manage(
        {**env, "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD},
        "createsuperuser",
        "--noinput",
        "--username",
        ADMIN_USERNAME,
        "--email",
        "admin@example.org",
    )
    # An SQLite database must be writable by the user Apache runs the site as.
    for path in (site_dir / "db").glob("*") if (site_dir / "db").exists() else ():
        os.chown(path, site_user.pw_uid, site_user.pw_gid)
    return env


@pytest.fixture(scope="session")
def env_file(site, site_dir, site_user):
    """Write the settings as /etc/crm/crm.env would hold them; return its path."""
    path = site_dir / "crm.env"
    path.write_text(
        "".join(f"{k}={v}\n" for k, v in site.items() if k.startswith(("DJANGO_", "DATABASE_")))
    )
    path.chmod(0o640)
    os.chown(path, os.geteuid(), site_user.pw_gid)
    return path


@pytest.fixture(scope="session")
def log_application(site):
    """Register a program that sends logs, as deploy/README.md does; return (slug, secret)."""
    slug = "deploy-tests"
    output = manage(site, "remotelog_app", "add", slug)
    secret = re.search(r"Secret \(shown once[^)]*\): (\S+)", output).group(1)
    return slug, secret


def send_log_record(origin, tls, application, message):
    """Send one record with the standard library's unmodified HTTPHandler."""
    slug, secret = application
    handler = logging.handlers.HTTPHandler(
        urlsplit(origin).netloc,
        f"/remotelog/{slug}/log/",
        method="POST",
        secure=True,
        credentials=(slug, secret),
        context=tls,
    )
    logger = logging.Logger("deploy-tests")  # outside the hierarchy: only this handler
    logger.addHandler(handler)
    logger.warning(message)
    handler.close()


def stored_log_messages(browser, search):
    """Return the rows of the admin's list of records matching ``search``, as HTML."""
    if "sessionid" not in browser.cookies:
        assert browser.login().status == 302
    page = browser.get(f"/admin/remotelog/logmessage/?{urlencode({'q': search})}")
    assert page.status == 200, page.text
    rows = re.search(r"<tbody>(.*)</tbody>", page.text, flags=re.S)
    return rows.group(1) if rows else ""


def post_log_record(browser, slug, password):
    """POST a record as HTTPHandler would, with the given Basic password."""
    credentials = base64.b64encode(f"{slug}:{password}".encode()).decode()
    return browser.request(
        "POST",
        f"/remotelog/{slug}/log/",
        body=urlencode({"name": "deploy-tests", "msg": "wrong password", "levelno": 30}),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": f"Basic {credentials}",
        },
    )


# -- Apache --------------------------------------------------------------------


def render_apache_site(name, **defines):
    """Return deploy/apache/<name> with the given ``Define`` lines replaced."""
    text = (DEPLOY / "apache" / name).read_text()
    for key, value in defines.items():
        line = f"Define {key} {value}"
        text, found = re.subn(rf"^Define {key} .*$", lambda _m, line=line: line, text, flags=re.M)
        assert found == 1, f"deploy/apache/{name} has no 'Define {key}' line"
    return text


@dataclass
class Apache:
    server: Server
    https: str
    http: str


def start_apache(name, site_conf, *, directory, modules, user, env, extra=()):
    """Start Apache in the foreground with ``site_conf`` behind a test-only frame.

    The frame does what Debian's apache2.conf, ports.conf and a2enmod do in
    production: paths for pid, logs and locks, the listening ports, the modules.
    """
    http_port, https_port = free_port(), free_port()
    site_path = directory / f"{name}-site.conf"
    site_path.write_text(site_conf(http_port, https_port))
    run_as = [] if os.geteuid() else [f"User {user.pw_name}", f"Group {user.pw_name}"]
    frame = [
        f"ServerRoot {directory}",
        f"PidFile {directory}/{name}.pid",
        f"DefaultRuntimeDir {directory}",
        f"Mutex file:{directory} default",
        f"ErrorLog {directory}/{name}-error.log",
        "LogLevel warn",
        'LogFormat "%h \\"%r\\" %>s %b" short',
        f"CustomLog {directory}/{name}-access.log short",
        "ServerName 127.0.0.1",
        "TypesConfig /etc/mime.types",
        f"Listen 127.0.0.1:{http_port}",
        f"Listen 127.0.0.1:{https_port}",
        "StartServers 1",
        "ServerLimit 2",
        "ThreadsPerChild 25",
        "MaxRequestWorkers 50",
        "MinSpareThreads 5",
        "MaxSpareThreads 50",
        *run_as,
        *(
            f"LoadModule {module}_module {APACHE_MODULES}/mod_{module}.so"
            for module in ["mpm_event", "authz_core", "alias", "mime", "socache_shmcb", "ssl"]
            + modules
        ),
        f"SSLSessionCache shmcb:{directory}/{name}-ssl-cache(512000)",
        *extra,
        f"Include {site_path}",
    ]
    conf = directory / f"{name}.conf"
    conf.write_text("\n".join(frame) + "\n")
    server = Server(name, [APACHE, "-DFOREGROUND", "-f", str(conf)], env=env, directory=directory)
    server.logs.append(directory / f"{name}-error.log")
    server.wait_until(answers_on(https_port), "HTTPS port")
    return Apache(server, f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}")


def apache_env(**extra):
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **extra}


def check_can_read(user, *paths):
    """Fail clearly if ``user`` cannot read ``paths`` (Apache would fail obscurely)."""
    if os.geteuid() != 0:
        return
    for path in paths:
        result = subprocess.run(
            ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
            + ["test", "-r", str(path)]
        )
        if result.returncode:
            pytest.fail(
                f"Apache runs the site as {user.pw_name}, who cannot read {path}. "
                "Put the checkout and its virtualenv where that user can read them."
            )


@pytest.fixture(scope="session")
def apache_installed():
    if not os.access(APACHE, os.X_OK):
        pytest.fail("apache2 is missing: install Debian's 'apache2' package (make test does).")


# -- gunicorn ------------------------------------------------------------------


def start_gunicorn(name, *, env, directory, bind, ready):
    server = Server(
        name,
        [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py")]
        + ["crm.wsgi:application"],
        env={**env, "GUNICORN_BIND": bind, "GUNICORN_WORKERS": "2"},
        directory=directory,
    )
    server.wait_until(ready, f"answer on {bind}")
    return server


# -- The three setups deploy/README.md supports, one server each per session. --
#
# Session-scoped: test_gunicorn.py, test_apache_*.py and test_scenarios.py share
# them, so each setup starts once.

MOD_WSGI = APACHE_MODULES / "mod_wsgi.so"
PYTHON = f"python{sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture(scope="session")
def gunicorn_alone(site, site_dir, tls):
    """Start gunicorn facing clients itself, serving HTTPS (deploy/README.md, 7b)."""
    cert, key, _ = tls
    port = free_port()
    server = start_gunicorn(
        "gunicorn",
        env={**site, "GUNICORN_CERTFILE": str(cert), "GUNICORN_KEYFILE": str(key)},
        directory=site_dir,
        bind=f"127.0.0.1:{port}",
        ready=answers_on(port),
    )
    server.origin = f"https://127.0.0.1:{port}"
    yield server
    server.stop()


@pytest.fixture(scope="session")
def apache_wsgi(apache_installed, site, site_dir, site_user, env_file, tls):
    """Start Apache + mod_wsgi with deploy/apache/crm-wsgi.conf."""
    if not MOD_WSGI.exists():
        pytest.fail(f"{MOD_WSGI} is missing: install 'libapache2-mod-wsgi-py3' (make test does).")
    # mod_wsgi embeds the Python it was built for and runs the virtualenv's
    # packages with it: the minor versions must match (deploy/README.md).
    if f"lib{PYTHON}".encode() not in MOD_WSGI.read_bytes():
        pytest.fail(f"{MOD_WSGI} is not built for {PYTHON}, the virtualenv's Python.")
    check_can_read(site_user, BASE_DIR / "manage.py", VENV / "lib" / PYTHON / "site-packages")

    cert, key, _ = tls
    apache = start_apache(
        "apache-wsgi",
        lambda http_port, https_port: render_apache_site(
            "crm-wsgi.conf",
            CRM_HOST="127.0.0.1",
            CRM_APP=BASE_DIR,
            CRM_VENV=VENV,
            CRM_STATIC=site["DJANGO_STATIC_ROOT"],
            CRM_USER=site_user.pw_name,
            CRM_HTTP_PORT=http_port,
            CRM_HTTPS_PORT=https_port,
            CRM_TLS_CERT=cert,
            CRM_TLS_KEY=key,
        ),
        directory=site_dir,
        modules=["headers", "reqtimeout", "wsgi"],
        user=site_user,
        # Where deploy/apache/crm.wsgi finds the settings (/etc/crm/crm.env in production).
        env=apache_env(CRM_ENV_FILE=str(env_file)),
        extra=[f"WSGISocketPrefix {site_dir}/wsgi"],
    )
    yield apache
    apache.server.stop()


@pytest.fixture(scope="session")
def gunicorn_behind_apache(site, site_dir, site_user):
    """Start gunicorn on a Unix socket, as systemd's crm-gunicorn.socket holds it."""
    socket_path = site_dir / "gunicorn.sock"
    server = start_gunicorn(
        "gunicorn-behind-apache",
        env={**site, "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"},
        directory=site_dir,
        bind=f"unix:{socket_path}",
        ready=answers_on_unix(socket_path),
    )
    # systemd's crm-gunicorn.socket hands the socket to www-data (SocketUser=).
    os.chown(socket_path, site_user.pw_uid, site_user.pw_gid)
    server.socket = socket_path
    yield server
    server.stop()


@pytest.fixture(scope="session")
def apache_proxy(apache_installed, gunicorn_behind_apache, site, site_dir, site_user, tls):
    """Start Apache in front of gunicorn with deploy/apache/crm-proxy.conf."""
    cert, key, _ = tls
    apache = start_apache(
        "apache-proxy",
        lambda http_port, https_port: render_apache_site(
            "crm-proxy.conf",
            CRM_HOST="127.0.0.1",
            CRM_STATIC=site["DJANGO_STATIC_ROOT"],
            CRM_UPSTREAM=f"unix:{gunicorn_behind_apache.socket}|http://localhost/",
            CRM_HTTP_PORT=http_port,
            CRM_HTTPS_PORT=https_port,
            CRM_TLS_CERT=cert,
            CRM_TLS_KEY=key,
        ),
        directory=site_dir,
        modules=["headers", "reqtimeout", "rewrite", "proxy", "proxy_http"],
        user=site_user,
        env=apache_env(),
    )
    yield apache
    apache.server.stop()
