"""Fixtures for the deploy tests; they live in servers.py with the helpers."""

from cluster import cluster, cluster_application, cluster_env, pgbouncer
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
    "cluster",
    "cluster_application",
    "cluster_env",
    "pgbouncer",
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
