"""Fixtures for the deploy tests; they live in servers.py with the helpers."""

from servers import (
    apache_installed,
    env_file,
    log_application,
    server_database,
    site,
    site_dir,
    site_user,
    tls,
)

__all__ = [
    "apache_installed",
    "env_file",
    "log_application",
    "server_database",
    "site",
    "site_dir",
    "site_user",
    "tls",
]
