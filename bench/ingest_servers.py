"""
Start the servers bench/ingest.py sends records to: gunicorn and Apache with mod_wsgi.

Each runs the deployed configuration (deploy/gunicorn.conf.py, and
deploy/apache/crm-wsgi.conf behind the frame the deploy tests give Apache:
its own ServerRoot, PidFile and ports), serving HTTPS itself on a loopback
port, with the production settings of ``bench.settings`` (debug off; the
naive reference view mounted; grouping on or off). The helpers come from
deploy/tests/servers.py, so the benchmark starts its servers exactly as the
deploy tests do.
"""

import contextlib
import os
import pwd
import shutil
import ssl
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy.tests import servers  # noqa: E402


@dataclass
class Site:
    """A running server: its name, host:port, the process, its grouping and whether HTTPS."""

    name: str
    address: str
    server: servers.Server
    grouping: bool
    secure: bool = True


def site_environment(database_url, grouping):
    """Return the production environment the servers run with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_"))}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=os.environ["DJANGO_SECRET_KEY"],
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_LOG_LEVEL="WARNING",
        REMOTELOG_GROUPING="1" if grouping else "0",
    )
    return env


def certificate(directory):
    """Make a self-signed certificate for 127.0.0.1; return (cert, key, client context)."""
    cert, key = directory / "tls.crt", directory / "tls.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    key.chmod(0o644)  # Apache's site user reads it in this throwaway directory
    return cert, key, ssl.create_default_context(cafile=str(cert))


def start_gunicorn(directory, env, tls, grouping):
    """Start gunicorn as deploy/README.md's 7b does (HTTPS, no proxy); return a `Site`."""
    cert, key, _ = tls
    tls_env = {"GUNICORN_CERTFILE": str(cert), "GUNICORN_KEYFILE": str(key)}
    return _gunicorn("gunicorn HTTPS", directory, env | tls_env, grouping, secure=True)


def start_plain_gunicorn(directory, env, tls, grouping):
    """
    Start gunicorn over plain HTTP, as Apache's proxy reaches it (deploy/apache/crm-proxy.conf),
    and as the earlier figures ran: the site's work without a TLS handshake per record.
    """
    plain = {**env, "DJANGO_SECURE_SSL_REDIRECT": "0"}  # a proxy would have said HTTPS
    return _gunicorn("gunicorn HTTP", directory, plain, grouping, secure=False)


def _gunicorn(label, directory, env, grouping, *, secure):
    port = servers.free_port()
    name = f"{label.replace(' ', '-')}-grouping-{'on' if grouping else 'off'}"
    server = servers.Server(
        name,
        [sys.executable, "-m", "gunicorn", "-c", str(servers.DEPLOY / "gunicorn.conf.py")]
        + ["crm.wsgi:application"],
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        directory=directory,
    )
    server.wait_until(servers.answers_on(port), f"answer on {port}")
    return Site(label, f"127.0.0.1:{port}", server, grouping, secure)


def start_apache(directory, env, tls, grouping):
    """Start Apache + mod_wsgi with deploy/apache/crm-wsgi.conf; return a `Site`."""
    cert, key, _ = tls
    user = pwd.getpwnam("www-data") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    name = f"apache-grouping-{'on' if grouping else 'off'}"
    # What /etc/crm/crm.env holds in production; deploy/apache/crm.wsgi reads it.
    env_file = directory / f"{name}.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items() if "\n" not in v))
    env_file.chmod(0o640)
    os.chown(env_file, os.geteuid(), user.pw_gid)
    apache = servers.start_apache(
        name,
        lambda http_port, https_port: servers.render_apache_site(
            "crm-wsgi.conf",
            CRM_HOST="127.0.0.1",
            CRM_APP=ROOT,
            CRM_VENV=servers.VENV,
            CRM_STATIC=directory / "static",
            CRM_USER=user.pw_name,
            CRM_HTTP_PORT=http_port,
            CRM_HTTPS_PORT=https_port,
            CRM_TLS_CERT=cert,
            CRM_TLS_KEY=key,
        ),
        directory=directory,
        modules=["headers", "reqtimeout", "wsgi"],
        user=user,
        env=servers.apache_env(CRM_ENV_FILE=str(env_file)),
        extra=[f"WSGISocketPrefix {directory}/{name}-wsgi"],
    )
    return Site(
        "Apache+mod_wsgi HTTPS", apache.https.removeprefix("https://"), apache.server, grouping
    )


# The servers by their --servers names.
STARTERS = {
    "apache": start_apache,
    "gunicorn-https": start_gunicorn,
    "gunicorn-http": start_plain_gunicorn,
}


@contextlib.contextmanager
def running_sites(database_url, names=tuple(STARTERS)):
    """Start the servers ``names``, each with grouping on and off; yield (sites, TLS context)."""
    directory = Path(tempfile.mkdtemp(prefix="crm-bench-ingest-"))
    directory.chmod(0o755)
    (directory / "static").mkdir()
    tls = certificate(directory)
    sites = []
    try:
        for start in (STARTERS[name] for name in names):
            for grouping in (True, False):
                env = site_environment(database_url, grouping)
                sites.append(start(directory, env, tls, grouping))
        yield sites, tls[2]
    finally:
        for site in sites:
            site.server.stop()
        shutil.rmtree(directory, ignore_errors=True)
