"""Fixtures for the deploy tests; they live in servers.py with the helpers."""

from servers import (
    apache_installed,
    apache_proxy,
    apache_wsgi,
    env_file,
    gunicorn_alone,
    gunicorn_behind_apache,
    log_application,
    server_database,
    site,
    site_dir,
    site_user,
    tls,
)

__all__ = [
    "apache_installed",
    "apache_proxy",
    "apache_wsgi",
    "env_file",
    "gunicorn_alone",
    "gunicorn_behind_apache",
    "log_application",
    "server_database",
    "site",
    "site_dir",
    "site_user",
    "tls",
]
