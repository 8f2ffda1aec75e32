#!/usr/bin/env python
"""
Time purging a day of log records: dropping its partition against a chunked DELETE.

Fills two UTC days of the partitioned log table (PostgreSQL) with N records
each (default one million), then removes the first with
`remotelog.partitions.drop_partitions` (what `remotelog_purge` does to a day
past every retention) and the second with `log_messages_purge` (the chunked
DELETE it runs for the rest, and SQLite's only way). Prints both times and
their ratio against the target.

Both days start as a day past retention would: on disk, out of the operating
system's page cache (the files are evicted after the CHECKPOINT), the deleted
day filled first so that the dropped day's fill pushes it out of
shared_buffers (the pages of each day still there are printed). For
reference, it also times a plain ``rm`` of a copy of the dropped day's files
on the same file system: what freeing those bytes costs without PostgreSQL.

    .venv/bin/python bench/purge.py        # --records 1000000 --chunk-size 5000

``--tablespace-dir /dev/shm/crm-bench-purge`` puts both days' partitions in a
tablespace made there for the run (dropped after it), to time them on another
file system than the data directory's: the drop's time is mostly the file
system freeing the files (bench/README.md). The output names that directory
and its mount.

The database is ``--database-url`` (default ``$BENCH_DATABASE_URL``, else
postgres://postgres@127.0.0.1:5432/crm_bench_purge), created and migrated
when missing; its name must contain "bench", so the benchmark never touches a
development or test database.
"""

import argparse
import contextlib
import datetime
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_bench_purge"
TARGET = 100  # The issue: dropping a day at least 100x faster than deleting it.
# Days long past, so that no other partition lies before them.
DROPPED_DAY, DELETED_DAY = datetime.date(2001, 1, 1), datetime.date(2001, 1, 2)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="Per day (default 1e6).")
    parser.add_argument("--chunk-size", type=int, default=5000, help="Rows per DELETE.")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    )
    parser.add_argument(
        "--tablespace-dir", help="Make the partitions in a tablespace in this (new) directory."
    )
    return parser.parse_args()


def setup_django(database_url):
    """Point Django at the benchmark database, creating and migrating it when needed."""
    import psycopg2

    base, name = database_url.rsplit("/", 1)
    if "bench" not in name:
        sys.exit(f"Refusing {name!r}: the benchmark database's name must contain 'bench'.")
    os.environ.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="crm.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(40),
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_LOG_LEVEL="WARNING",
    )
    admin = psycopg2.connect(base + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    import django
    from django.core.management import call_command

    sys.path.insert(0, str(BASE_DIR))
    django.setup()
    call_command("migrate", verbosity=0)


def fill_day(application, day, records):
    """Insert ``records`` records spread over ``day`` into its own (new) partition."""
    from django.db import connection

    from remotelog.models import LogMessage
    from remotelog.partitions import create_partition

    create_partition(day)
    quote = connection.ops.quote_name
    columns = {
        "application": "%s",
        "name": "'bench.purge.' || mod(n, 20)",
        "levelno": "10 * (1 + mod(n, 5))",
        "levelname": "(ARRAY['DEBUG','INFO','WARNING','ERROR','CRITICAL'])[1 + mod(n, 5)]",
        "msg": "'Reading %%s from sensor %%d'",  # %% escapes the driver's placeholders
        "args": "'(' || n || ', ' || mod(n, 97) || ')'",
        "message": "'Reading ' || n || ' from sensor ' || mod(n, 97)",
        "pathname": "'/srv/logger/sensors/reader.py'",
        "lineno": "mod(n, 400)",
        "funcName": "'read'",
        "created": "%s::timestamptz + n * (interval '1 day' / %s)",
        "extra": "'{}'::jsonb",
        "received": "now()",
    }
    names = ", ".join(quote(LogMessage._meta.get_field(f).column) for f in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(LogMessage._meta.db_table)} ({names}) "  # noqa: S608
            f"SELECT {', '.join(columns.values())} FROM generate_series(0, %s - 1) AS n",
            [application.pk, day.isoformat() + " 00:00:00+00", records, records],
        )
        # Both ways start from the same state: statistics fresh, nothing left to write.
        cursor.execute(f"VACUUM ANALYZE {quote(LogMessage._meta.db_table)}")
        cursor.execute("CHECKPOINT")


def timed(function, **kwargs):
    start = time.perf_counter()
    result = function(**kwargs)
    return time.perf_counter() - start, result


def main():
    options = parse_args()
    setup_django(options.database_url)
    from remotelog.models import Application
    from remotelog.partitions import is_partitioned

    if not is_partitioned():
        sys.exit("The log table is not partitioned: this needs PostgreSQL.")
    Application.objects.filter(slug__startswith="bench-purge").delete()
    dropped_app = Application.objects.create(name="Dropped", slug="bench-purge-drop")
    deleted_app = Application.objects.create(name="Deleted", slug="bench-purge-delete")
    print(f"Filling two days with {options.records:,} records each ...", flush=True)
    with tablespace(options.tablespace_dir):
        # The deleted day first: the dropped day's fill then pushes it out of
        # shared_buffers, while the dropped day's pages stay there for its DROP
        # to invalidate (the harder case for the DROP).
        fill_day(deleted_app, DELETED_DAY, options.records)
        fill_day(dropped_app, DROPPED_DAY, options.records)
        measure(options, dropped_app, deleted_app)


def measure(options, dropped_app, deleted_app):
    """Drop the first day, delete the second; print both times and their ratio."""
    from django.db import connection

    from remotelog.models import Application, LogMessage
    from remotelog.partitions import drop_partitions, partition_name
    from remotelog.services import log_messages_purge

    end_of = lambda day: datetime.datetime.combine(  # noqa: E731
        day + datetime.timedelta(days=1), datetime.time(), datetime.UTC
    )
    size = partition_size(partition_name(DROPPED_DAY))
    start = cold_start(options.tablespace_dir)
    statements = StatementTimes()
    with connection.execute_wrapper(statements):
        drop_seconds, dropped = timed(drop_partitions, before=end_of(DROPPED_DAY))
    assert dropped == [partition_name(DROPPED_DAY)], dropped
    delete_seconds, deleted = timed(
        log_messages_purge,
        application=deleted_app,
        before=end_of(DELETED_DAY),
        chunk_size=options.chunk_size,
    )
    assert deleted == options.records, deleted
    # What DELETE leaves behind: dead rows, until VACUUM makes their space reusable.
    vacuum_seconds, _ = timed(vacuum, name=partition_name(DELETED_DAY))
    assert not LogMessage.objects.filter(application__slug__startswith="bench-purge").exists()
    drop_partitions(before=end_of(DELETED_DAY))  # Leave the database as found.
    Application.objects.filter(slug__startswith="bench-purge").delete()

    print(f"\n{'one day of records':<32}{options.records:>12,}  ({size / 2**20:,.0f} MiB)")
    print(f"{'on':<32}{storage(options.tablespace_dir)}")
    start.print()
    print(f"{'drop its partition':<32}{drop_seconds * 1000:>12.1f} ms")
    detach = statements.seconds("ALTER TABLE")
    print(f"{'  of which DETACH (table locked)':<32}{detach * 1000:>12.1f} ms")
    drop_table = statements.seconds("DROP TABLE")
    print(f"{'  of which DROP TABLE (+commit)':<32}{drop_table * 1000:>12.1f} ms")
    if start.rm_seconds is not None:  # else no room beside the files on their file system
        print(f"{'rm of a copy of its files':<32}{start.rm_seconds * 1000:>12.1f} ms")
    print(f"{'chunked DELETE':<32}{delete_seconds * 1000:>12.1f} ms  ({options.chunk_size}/chunk)")
    print(f"{'  then VACUUM':<32}{vacuum_seconds * 1000:>12.1f} ms")
    ratio = delete_seconds / drop_seconds
    verdict = "met" if ratio >= TARGET else "MISSED"
    print(f"{'DELETE / drop':<32}{ratio:>12,.0f}x  (target {TARGET}x: {verdict})")
    both = (delete_seconds + vacuum_seconds) / drop_seconds
    print(f"{'(DELETE + VACUUM) / drop':<32}{both:>12,.0f}x")


@dataclass
class ColdStart:
    """How both days start: out of the page cache or not, their pages in shared_buffers."""

    rm_seconds: float | None
    evicted: bool
    cached: dict

    def print(self):
        page_cache = "evicted" if self.evicted else "left as it was (files not readable)"
        print(f"{'page cache (both days)':<32}{page_cache}")
        for day, label in ((DROPPED_DAY, "dropped"), (DELETED_DAY, "deleted")):
            pages = self.cached[day]
            pages = "unknown (no pg_buffercache)" if pages is None else f"{pages:,} pages"
            print(f"{f'in shared_buffers, {label} day':<32}{pages:>12}")


def cold_start(tablespace_dir):
    """
    Time removing a copy of the dropped day's files, then evict both days'
    files from the page cache, as for days past retention, written weeks ago.
    """
    from remotelog.partitions import partition_name

    files = {day: relation_files(partition_name(day)) for day in (DROPPED_DAY, DELETED_DAY)}
    rm_seconds = time_rm(files[DROPPED_DAY], tablespace_dir)
    evicted = all([evict_from_page_cache(paths) for paths in files.values()])
    return ColdStart(rm_seconds, evicted, {day: cached_pages(partition_name(day)) for day in files})


TABLESPACE = "crm_bench_purge"


@contextlib.contextmanager
def tablespace(directory):
    """Make new tables in a tablespace at ``directory`` while inside, if given; drop it after."""
    from django.db import connection

    if directory is None:
        yield
        return
    path = Path(directory)
    path.mkdir()
    postgres = pwd.getpwnam("postgres")  # the server writes there: its own directory
    os.chown(path, postgres.pw_uid, postgres.pw_gid)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLESPACE {TABLESPACE} LOCATION %s", [str(path)])
        cursor.execute(f"SET default_tablespace = {TABLESPACE}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET default_tablespace = ''")
            cursor.execute(f"DROP TABLESPACE {TABLESPACE}")
        path.rmdir()


def storage(directory):
    """Return where the partitions lie: the directory, its file system and mount options."""
    from django.db import connection

    if directory is None:
        with connection.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            directory = cursor.fetchone()[0]
    found = subprocess.run(
        ["findmnt", "-n", "-o", "FSTYPE,OPTIONS", "-T", directory],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = found.stdout.split("\n")  # a mount over a mount lists both: the first is the one used
    return f"{directory} ({' '.join(lines[0].split()) or 'mount unknown'})"


class StatementTimes:
    """An execute wrapper that keeps how long each SQL statement took."""

    def __init__(self):
        self.times = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.times.append((sql, time.perf_counter() - start))

    def seconds(self, prefix):
        """Return the time spent in the statements starting with ``prefix``."""
        return sum(seconds for sql, seconds in self.times if sql.startswith(prefix))


def partition_size(name):
    """Return the bytes a partition takes on disk, indexes included."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size(%s)", [name])
        return cursor.fetchone()[0]


def relation_files(name):
    """Return the files of table ``name``, its indexes and its TOAST table included."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        data_directory = Path(cursor.fetchone()[0])
        cursor.execute(
            "SELECT pg_relation_filepath(oid) FROM pg_class WHERE oid IN ("
            " SELECT %s::regclass UNION SELECT reltoastrelid FROM pg_class WHERE oid = %s::regclass"
            " UNION SELECT indexrelid FROM pg_index WHERE indrelid IN (%s::regclass,"
            "  (SELECT reltoastrelid FROM pg_class WHERE oid = %s::regclass)))",
            [name] * 4,
        )
        bases = [data_directory / path for (path,) in cursor.fetchall()]
    # A relation's segments (.1, .2) and forks (_fsm, _vm) share its file's name.
    return [
        path
        for base in bases
        for path in base.parent.glob(f"{base.name}*")
        if path.name == base.name or path.name[len(base.name)] in "._"
    ]


def evict_from_page_cache(paths):
    """Drop ``paths`` (written out: CHECKPOINT ran) from the page cache; return whether it could."""
    if not paths:  # the database's directories are not this user's to list
        return False
    try:
        for path in paths:
            descriptor = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(descriptor)
    except PermissionError:
        return False
    return True


def time_rm(paths, tablespace_dir):
    """
    Copy ``paths`` beside the data directory (or the tablespace's directory),
    on the same file system, then time removing the copies, as cold as the
    day's files; return the seconds, or None when there is no room there.
    """
    from django.db import connection

    if tablespace_dir is None:
        with connection.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            tablespace_dir = cursor.fetchone()[0]
    parent = Path(tablespace_dir).resolve().parent
    if not paths:  # the database's directories are not this user's to list
        return None
    try:
        scratch = Path(tempfile.mkdtemp(prefix="crm-bench-purge-rm-", dir=parent))
    except OSError:
        return None
    try:
        if scratch.stat().st_dev != paths[0].stat().st_dev:
            return None
        copies = [Path(shutil.copyfile(path, scratch / path.name)) for path in paths]
        os.sync()
        if not evict_from_page_cache(copies):
            return None
        start = time.perf_counter()
        for copy in copies:
            copy.unlink()
        seconds = time.perf_counter() - start
        os.sync()  # the file system's deferred work (discards) before the DROP is timed
        return seconds
    except PermissionError:  # the database's files are not this user's to read
        return None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def cached_pages(name):
    """Return how many pages of table ``name`` and its indexes are in shared_buffers, or None."""
    from django.db import DatabaseError, connection, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_buffercache")
            cursor.execute(
                "SELECT count(*) FROM pg_buffercache WHERE reldatabase = (SELECT oid FROM"
                " pg_database WHERE datname = current_database()) AND relfilenode IN ("
                " SELECT pg_relation_filenode(%s::regclass) UNION SELECT"
                " pg_relation_filenode(indexrelid) FROM pg_index WHERE indrelid = %s::regclass)",
                [name, name],
            )
            return cursor.fetchone()[0]
    except DatabaseError:
        return None


def vacuum(*, name):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM {connection.ops.quote_name(name)}")


if __name__ == "__main__":
    main()
