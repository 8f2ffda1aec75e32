"""
Day partitions of the log table on PostgreSQL: made ahead of time, dropped when old.

Migration 0004 partitions `LogMessage`'s table by RANGE on `created`, one
partition per UTC day (``remotelog_logmessage_p20261202``) plus a DEFAULT
partition that takes a record whose day has no partition yet. Dropping a day's
partition removes its records at once, where DELETE would visit every row.

On other databases (SQLite) the table is one table, and these functions do
nothing: `remotelog_purge` deletes rows in chunks there.
"""

import datetime
import re

from django.db import connections, transaction
from django.utils import timezone

from .models import Application, LogMessage

# How many days ahead `ensure_partitions` makes by default: a week leaves room
# for the daily timer to fail for days before records start landing in DEFAULT.
DAYS_AHEAD = 7

_DAY_FORMAT = "%Y%m%d"


def _names(connection):
    """Return the quoted (parent, default partition) names and the quoted key column."""
    quote = connection.ops.quote_name
    table, key = LogMessage._meta.db_table, LogMessage._meta.get_field("created").column
    return quote(table), quote(f"{table}_default"), quote(key)


def partition_name(day):
    """Return the name of the partition holding the records made on ``day`` (UTC)."""
    return f"{LogMessage._meta.db_table}_p{day.strftime(_DAY_FORMAT)}"


def day_bounds(day):
    """Return the SQL literals of the UTC midnights that start and end ``day``."""
    # Written into DDL (PARTITION OF ... FOR VALUES takes no parameters); a
    # date's isoformat() holds only digits and dashes.
    return f"'{day.isoformat()} 00:00:00+00'", f"'{day + datetime.timedelta(days=1)} 00:00:00+00'"


def is_partitioned(using="default"):
    """Return whether the log table is partitioned (PostgreSQL after migration 0004)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)",
            [LogMessage._meta.db_table],
        )
        row = cursor.fetchone()
    return row is not None and row[0] == "p"


def partitions(using="default"):
    """Return {day: partition name} of the day partitions attached, oldest first."""
    return {day: name for day, (name, attached) in _day_tables(using).items() if attached}


def _day_tables(using):
    """
    Return {day: (table name, attached)} of the tables named as day partitions.

    A table not attached is one a purge detached and was stopped before it
    dropped it.
    """
    table = LogMessage._meta.db_table
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT relname, relispartition FROM pg_class WHERE relkind = 'r' AND relname ~ %s "
            "AND relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = to_regclass(%s))",
            [f"^{re.escape(table)}_p[0-9]{{8}}$", table],
        )
        rows = cursor.fetchall()
    days = {
        datetime.datetime.strptime(name[-8:], _DAY_FORMAT).date(): (name, attached)
        for name, attached in rows
    }
    return dict(sorted(days.items()))


def ensure_partitions(*, days_ahead=DAYS_AHEAD, today=None, using="default"):
    """
    Make the missing partitions from ``today`` (UTC) to ``days_ahead`` days later.

    Return the names of the partitions made; running it again makes none.
    """
    if not is_partitioned(using):
        return []
    today = today or timezone.now().astimezone(datetime.UTC).date()
    existing = partitions(using)
    made = []
    for offset in range(days_ahead + 1):
        day = today + datetime.timedelta(days=offset)
        if day not in existing and create_partition(day, using=using):
            made.append(partition_name(day))
    return made


def create_partition(day, *, using="default"):
    """
    Make the partition of ``day`` unless it exists; return whether it was made.

    Records of that day already in the DEFAULT partition (sent while the day
    had no partition) move into the new one in the same transaction:
    PostgreSQL refuses to make a partition whose rows DEFAULT still holds.
    """
    connection = connections[using]
    parent, default, created = _names(connection)
    name = connection.ops.quote_name(partition_name(day))
    start, end = day_bounds(day)
    in_default = f"FROM {default} WHERE {created} >= {start} AND {created} < {end}"  # noqa: S608
    with transaction.atomic(using=using), connection.cursor() as cursor:
        # Inserts wait until commit: one landing in DEFAULT between the move
        # and CREATE would make CREATE fail. Taken on the parent before any
        # partition, in the order inserts take them, so no deadlock.
        cursor.execute(f"LOCK TABLE ONLY {parent} IN ACCESS EXCLUSIVE MODE")
        if _exists(cursor, partition_name(day)):  # Made before, or meanwhile by another process.
            return False
        cursor.execute(f"SELECT EXISTS (SELECT 1 {in_default})")  # noqa: S608
        moving = cursor.fetchone()[0]
        if moving:
            cursor.execute(
                f"CREATE TEMPORARY TABLE remotelog_moving (LIKE {parent}) ON COMMIT DROP"
            )
            cursor.execute(
                f"WITH moved AS (DELETE {in_default} RETURNING *) "  # noqa: S608
                "INSERT INTO remotelog_moving SELECT * FROM moved"
            )
        cursor.execute(
            f"CREATE TABLE {name} PARTITION OF {parent} FOR VALUES FROM ({start}) TO ({end})"
        )
        if moving:
            cursor.execute(f"INSERT INTO {name} SELECT * FROM remotelog_moving")  # noqa: S608
    return True


def _exists(cursor, name):
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    return cursor.fetchone()[0]


def drop_partitions(*, before, using="default"):
    """
    Drop the day partitions whose whole day is before ``before``; return their names.

    Each partition is detached, then dropped, each its own transaction in
    autocommit mode: DETACH locks the log table for a moment whatever the
    partition's size, while dropping the table that is no longer attached,
    which waits on the file system to free its files, locks nothing ingest
    needs. A DROP of the attached partition would hold the log table for both.
    A table left detached by a purge stopped in between is dropped too.
    """
    if not is_partitioned(using):
        return []
    connection = connections[using]
    parent = _names(connection)[0]
    dropped = []
    for day, (name, attached) in _day_tables(using).items():
        end = day + datetime.timedelta(days=1)
        if datetime.datetime.combine(end, datetime.time(), datetime.UTC) > before:
            break
        quoted = connection.ops.quote_name(name)
        with connection.cursor() as cursor:
            if attached:
                cursor.execute(f"ALTER TABLE {parent} DETACH PARTITION {quoted}")
            cursor.execute(f"DROP TABLE {quoted}")
        dropped.append(name)
    return dropped


def retention_cutoff(*, older_than=None, now=None, using="default"):
    """
    Return the moment before which every application's records are past retention.

    A day partition holds every application's records, so it may go only
    when the longest retention is past: ``older_than`` days when given (it
    applies to all), else the largest ``retention_days``. None when an
    application keeps its records forever, or there is no application.
    """
    if older_than is None:
        retentions = list(Application.objects.using(using).values_list("retention_days", flat=True))
        if not retentions or None in retentions:
            return None
        older_than = max(retentions)
    return (now or timezone.now()) - datetime.timedelta(days=older_than)


def purge_partitions(*, older_than=None, now=None, using="default"):
    """
    Drop the day partitions past every application's retention; return their names.

    What the shorter retentions leave in the days kept is for the chunked
    delete (`log_messages_purge`), which then reads only those days.
    """
    if not is_partitioned(using):
        return []
    before = retention_cutoff(older_than=older_than, now=now, using=using)
    return [] if before is None else drop_partitions(before=before, using=using)
