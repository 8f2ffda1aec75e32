"""Start several app servers over one PostgreSQL for the deploy tests: helpers and fixtures.

Two gunicorns (deploy/gunicorn.conf.py) on two loopback ports, Apache's
balancer in front (deploy/apache/crm-balancer.conf) and pgbouncer in
transaction mode between them and PostgreSQL (deploy/pgbouncer/pgbouncer.ini),
each started once per session. Unlike servers.py's setups, the app servers run
on the suite's own test database, through pgbouncer, with the suite's secret
key: a test makes its data with the ORM, as crm/tests/races/ does, sends its
requests through the balancer, and reads the outcome with the ORM again.
PostgreSQL only: pgbouncer and row locks across machines are its business.
"""

import os
import re
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.urls import reverse
from servers import (
    BASE_DIR,
    DEPLOY,
    Browser,
    Server,
    answers_on,
    apache_env,
    free_port,
    render_apache_site,
    start_apache,
    start_gunicorn,
    wait_for,
)

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
APP_SERVERS = 2


def on_postgresql():
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


# Every test module of the two-server setup carries this mark.
needs_postgresql = pytest.mark.skipif(
    not on_postgresql(),
    reason="several app servers share one PostgreSQL through pgbouncer; SQLite has neither",
)


def render_pgbouncer_ini(**values):
    """Return deploy/pgbouncer/pgbouncer.ini with the given settings' values replaced.

    ``crm`` is the ``[databases]`` line of the site's database.
    """
    text = (DEPLOY / "pgbouncer" / "pgbouncer.ini").read_text()
    for key, value in values.items():
        line = f"{key} = {value}"
        text, found = re.subn(rf"^{key} = .*$", lambda _m, line=line: line, text, flags=re.M)
        assert found == 1, f"deploy/pgbouncer/pgbouncer.ini has no '{key} = ' line"
    return text


# -- A Django test client's calls, sent to a real site. ------------------------


@dataclass
class SiteResponse:
    """What crm/tests/races/ reads of a test client's response."""

    status_code: int
    content: bytes
    headers: object

    @property
    def url(self):
        """Return where a redirect leads, as a path on the same site."""
        location = urlsplit(self.headers["Location"])
        return location.path + (f"?{location.query}" if location.query else "")


class SiteClient:
    """Send ``get()`` and ``post()`` as Django's test client would, to a real site.

    The session cookie is given (a session the test made with ``force_login``);
    the CSRF cookie is made here and sent back in the header, as a page's
    script would.
    """

    def __init__(self, origin, tls, *, cookies=None, headers=None):
        cookies = dict(cookies or {})
        # 32 characters: a CSRF secret as Django makes them.
        cookies.setdefault("csrftoken", secrets.token_hex(16))
        self.browser = Browser(origin, tls, cookies=cookies)
        self.headers = {"Referer": f"{origin}/", **(headers or {})}

    def get(self, path, *, follow=False):
        response = self._answer(self.browser.request("GET", path, headers=self.headers))
        return self._followed(response) if follow else response

    def post(self, path, data=None, *, follow=False):
        headers = {
            **self.headers,
            "Content-Type": "application/x-www-form-urlencoded",
            # The current one: logging in gives a new CSRF cookie.
            "X-CSRFToken": self.browser.cookies["csrftoken"],
        }
        response = self.browser.request(
            "POST", path, body=urlencode(data or {}, doseq=True), headers=headers
        )
        response = self._answer(response)
        return self._followed(response) if follow else response

    def _followed(self, response):
        while 300 <= response.status_code < 400:
            response = self.get(response.url)
        return response

    @staticmethod
    def _answer(response):
        return SiteResponse(response.status, response.body, response.headers)


def port_open(port):
    try:
        return answers_on(port)()
    except OSError:
        return False


def session_cookie(user):
    """Log ``user`` in as Django's test client does; return the session cookie."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value}


@pytest.fixture
def cluster_application():
    """Return a log application of the test database, and its secret."""
    from remotelog.models import Application

    application = Application(name="Weather station", slug="weather-station")
    secret = application.set_new_secret()
    application.save()
    return application, secret


def remote_log_handler(cluster, application, **options):
    """Return a RemoteLogHandler sending ``application``'s records through the balancer."""
    from remotelog.handlers import RemoteLogHandler

    application, secret = application
    return RemoteLogHandler(
        urlsplit(cluster.https).netloc,
        reverse("remotelog:batch", args=[application.slug]),
        secure=True,
        credentials=(application.slug, secret),
        context=cluster.tls,
        **options,
    )


# -- The servers. ---------------------------------------------------------------


@dataclass
class AppServer:
    """One app server: a gunicorn on its own loopback port."""

    name: str
    port: int
    env: dict
    directory: Path
    server: Server = None

    @property
    def origin(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.server = start_gunicorn(
            self.name,
            env=self.env,
            directory=self.directory,
            bind=f"127.0.0.1:{self.port}",
            ready=answers_on(self.port),
        )

    def kill(self):
        """Kill gunicorn and its workers at once, as when the machine dies."""
        self.server.kill()
        wait_for(lambda: not port_open(self.port), f"{self.name}'s port closed")

    def client(self, tls=None, **kwargs):
        """Return a client that talks to this server directly, as Apache does."""
        # The site sees an HTTPS request, whose forms came from an HTTPS page.
        headers = {"X-Forwarded-Proto": "https", "Referer": f"https://127.0.0.1:{self.port}/"}
        return SiteClient(self.origin, tls, headers=headers, **kwargs)

    def posts(self):
        """Return how many POST requests this server has answered, from its access log."""
        return self.server.output.read_text(errors="replace").count('"POST ')


@dataclass
class Cluster:
    """Apache's balancer in front of the app servers, and pgbouncer behind them."""

    https: str
    tls: object
    apache: Server
    app_servers: list
    pgbouncer: Server
    env: dict

    def client(self, **kwargs):
        return SiteClient(self.https, self.tls, **kwargs)

    def log_text(self):
        servers = [self.apache, self.pgbouncer, *(app.server for app in self.app_servers)]
        return "\n".join(server.log_text() for server in servers)

    def members(self):
        """Return each member's state in the balancer-manager page, by port: "Init Ok"..."""
        page = Browser(self.https, self.tls).get("/balancer-manager")
        assert page.status == 200, page.text
        found = re.findall(r"http://127\.0\.0\.1:(\d+)</a></td>.*?<td>(Init [^<]*)</td>", page.text)
        return {int(port): state.strip() for port, state in found}

    def wait_until_member(self, app, healthy):
        """Wait until the balancer's health check sees ``app`` as ``healthy`` (or not)."""
        wait_for(
            lambda: (self.members().get(app.port) == "Init Ok") == healthy,
            f"member {app.name} {'healthy' if healthy else 'out'} in the balancer",
            self.apache,
        )

    def manage(self, *args):
        """Start ``manage.py`` with the app servers' settings; return the process."""
        return subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )


def start_pgbouncer(directory, database, *, user, **pools):
    """
    Start pgbouncer with deploy/pgbouncer/pgbouncer.ini in front of ``database``
    (a Django database dict); return its Server, ``url`` naming it.

    Only the addresses, the authentication (trust on loopback, as the local
    cluster; the user must still be listed) and the files change, and the
    pool sizes given in ``pools``. pgbouncer refuses to run as root: as root,
    it switches to ``user``.
    """
    userlist = directory / "userlist.txt"
    userlist.write_text(f'"{database["USER"]}" ""\n')
    port = free_port()
    conf = directory / "pgbouncer.ini"
    conf.write_text(
        render_pgbouncer_ini(
            crm=f"host={database['HOST'] or '127.0.0.1'} port={database['PORT'] or 5432} "
            f"dbname={database['NAME']}",
            listen_addr="127.0.0.1",
            listen_port=port,
            auth_type="trust",
            auth_file=userlist,
            logfile="",
            pidfile="",
            **pools,
        )
    )
    for path in (directory, userlist, conf):
        path.chmod(0o755 if path.is_dir() else 0o644)
    run_as = ["-u", user] if os.geteuid() == 0 else []
    server = Server("pgbouncer", [PGBOUNCER, *run_as, str(conf)], env={}, directory=directory)
    server.wait_until(answers_on(port), f"pgbouncer on port {port}")
    server.url = f"postgres://{database['USER']}@127.0.0.1:{port}/crm"
    return server


@pytest.fixture(scope="session")
def pgbouncer(django_db_setup, site_dir, site_user):
    """Start pgbouncer in front of the test database.

    It depends on the test database, so it stops before the database is dropped.
    """
    from django.conf import settings

    if not os.access(PGBOUNCER, os.X_OK):
        pytest.fail("pgbouncer is missing: install Debian's 'pgbouncer' package (make test does).")
    directory = site_dir / "pgbouncer"
    directory.mkdir()
    server = start_pgbouncer(
        directory,
        settings.DATABASES["default"],
        user=site_user.pw_name,
        # Other suites share the test cluster's 100 connections: few, soon closed.
        default_pool_size=6,
        min_pool_size=0,
        max_db_connections=8,
        server_idle_timeout=10,
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def cluster_env(pgbouncer, site_dir):
    """Return the app servers' environment: production settings, through pgbouncer."""
    from django.conf import settings

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "GUNICORN_", "DATABASE_URL"))
    }
    (site_dir / "cluster-static").mkdir()
    env.update(
        DJANGO_DEBUG="0",
        # The suite's key: sessions made with force_login() are valid on the servers.
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=pgbouncer.url,
        DJANGO_DB_TRANSACTION_POOLING="1",
        DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        DJANGO_STATIC_ROOT=str(site_dir / "cluster-static"),
        DJANGO_VAR_DIR=str(site_dir / "cluster-var"),
        DJANGO_LOG_LEVEL="WARNING",
    )
    return env


@pytest.fixture(scope="session")
def cluster(apache_installed, cluster_env, pgbouncer, site_dir, site_user, tls):
    """Start two gunicorns, and Apache's balancer (deploy/apache/crm-balancer.conf) in front."""
    app_servers = [
        AppServer(f"gunicorn-{number}", free_port(), cluster_env, site_dir)
        for number in range(1, APP_SERVERS + 1)
    ]
    for app in app_servers:
        app.start()
    cert, key, context = tls
    apache = start_apache(
        "apache-balancer",
        lambda http_port, https_port: render_apache_site(
            "crm-balancer.conf",
            CRM_HOST="127.0.0.1",
            CRM_STATIC=cluster_env["DJANGO_STATIC_ROOT"],
            CRM_APP_SERVER_1=app_servers[0].origin,
            CRM_APP_SERVER_2=app_servers[1].origin,
            CRM_HTTP_PORT=http_port,
            CRM_HTTPS_PORT=https_port,
            CRM_TLS_CERT=cert,
            CRM_TLS_KEY=key,
        ),
        directory=site_dir,
        modules=[
            "headers",
            "reqtimeout",
            "rewrite",
            "proxy",
            "proxy_http",
            "proxy_balancer",
            "proxy_hcheck",
            "lbmethod_bybusyness",
            "slotmem_shm",
            "authz_host",
        ],  # fmt: skip
        user=site_user,
        env=apache_env(),
    )
    cluster = Cluster(apache.https, context, apache.server, app_servers, pgbouncer, cluster_env)
    try:
        for app in app_servers:
            cluster.wait_until_member(app, healthy=True)
        yield cluster
    finally:
        apache.server.stop()
        for app in app_servers:
            app.server.stop()
