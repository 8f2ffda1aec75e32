"""
The benchmark databases: created when missing, never one without "bench" in its name.

Shared by the benchmarks that run Django in-process (bench/import.py,
bench/history.py), with the switch that turns the contact history off.
"""

import contextlib
import os
import secrets
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def setup(url):
    """Point Django at the benchmark database, creating it when missing; migrate."""
    import dj_database_url

    config = dj_database_url.parse(url)
    name = str(config["NAME"])
    if "bench" not in Path(name).name:
        sys.exit(f"Refusing {name!r}: the benchmark database's name must contain 'bench'.")
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="crm.settings",
        # Debug off: a debug connection keeps every query it ran, in memory.
        DJANGO_DEBUG="0",
        DJANGO_DEBUG_TOOLBAR="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_LOG_LEVEL="WARNING",
    )
    if config["ENGINE"].endswith("postgresql"):
        import psycopg2
        from psycopg2 import sql

        admin = psycopg2.connect(
            dbname="postgres",
            user=config.get("USER") or None,
            password=config.get("PASSWORD") or None,
            host=config.get("HOST") or None,
            port=config.get("PORT") or None,
        )
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        admin.close()

    import django

    sys.path.insert(0, str(BASE_DIR))
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def empty_book():
    """Empty the contact book's tables, imports included (quicker than the ORM's deletion)."""
    from django.apps import apps
    from django.db import connection

    models = apps.get_app_config("crm").get_models(include_auto_created=True)
    tables = [connection.ops.quote_name(m._meta.db_table) for m in models]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            cursor.execute("VACUUM ANALYZE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - our own table names


@contextlib.contextmanager
def history_off():
    """
    Make ``crm.services.history`` record nothing, snapshot nothing, inside:
    the reference a write's cost with history is compared with.
    """
    from crm.services import history

    saved = history.snapshot, history.written_snapshots, history._store
    history.snapshot = lambda ids, kinds=None: {}
    history.written_snapshots = lambda written: {}
    history._store = list
    try:
        yield
    finally:
        history.snapshot, history.written_snapshots, history._store = saved
