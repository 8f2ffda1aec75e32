"""
Partition the log table by day on PostgreSQL; nothing changes on other databases.

The table is rebuilt, not altered (PostgreSQL cannot partition a table in
place): the old one is renamed, a partitioned one is made LIKE it (every
column, whichever migrations added them, with defaults, NOT NULL, CHECK and
the id's identity), rows move over with their ids, the id sequence goes on
from where it was, and the old table's indexes and constraints are made again
on the new parent, which gives them to every partition. Backwards does the
same into a plain table. The table is locked for the copy: ingest waits.
"""

import datetime
import re

from django.db import migrations

from remotelog.partitions import DAYS_AHEAD, day_bounds, partition_name

TABLE = "remotelog_logmessage"
OLD = f"{TABLE}_rebuilt"
KEY = "created"  # LogMessage.created: when the program made the record.
COPY_OPTIONS = "INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY INCLUDING STORAGE"


def refuse_references(cursor):
    """Refuse to go on when a foreign key points to the log table."""
    # A foreign key must reference a unique index, and on a partitioned table
    # every unique index includes the partition key: a key on id alone is gone.
    cursor.execute(
        "SELECT conname, conrelid::regclass::text FROM pg_constraint "
        "WHERE confrelid = %s::regclass AND contype = 'f'",
        [TABLE],
    )
    found = cursor.fetchall()
    if found:
        raise RuntimeError(f"Foreign keys point to {TABLE}, which cannot be partitioned: {found}")


def definitions(cursor):
    """Return the table's constraints [(name, type, definition)] and other index definitions."""
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f') ORDER BY contype, conname",
        [TABLE],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass "
        "AND indexrelid NOT IN (SELECT conindid FROM pg_constraint WHERE conrelid = %s::regclass)",
        [TABLE, TABLE],
    )
    return constraints, [definition for (definition,) in cursor.fetchall()]


def with_key(definition):
    """Add the partition key to the column list of a PRIMARY KEY or UNIQUE definition."""

    def add(match):
        columns = [column.strip() for column in match[1].split(",")]
        return "(" + ", ".join([*columns, KEY] if KEY not in columns else columns) + ")"

    return re.sub(r"\(([^)]*)\)", add, definition, count=1)


def without_key(definition):
    """Take the partition key out of the column list ``with_key`` added it to."""

    def remove(match):
        return "(" + ", ".join(c.strip() for c in match[1].split(",") if c.strip() != KEY) + ")"

    return re.sub(r"\(([^)]*)\)", remove, definition, count=1)


def rebuild(cursor, *, partitioned):
    """Rebuild the log table, partitioned by day or plain, keeping rows, ids and indexes."""
    refuse_references(cursor)
    constraints, indexes = definitions(cursor)
    cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
    by_day = f" PARTITION BY RANGE ({KEY})" if partitioned else ""
    cursor.execute(f"CREATE TABLE {TABLE} (LIKE {OLD} {COPY_OPTIONS}){by_day}")
    if partitioned:
        make_partitions(cursor)
    cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {OLD}")  # noqa: S608 - same columns
    move_sequence(cursor)
    # Dropping the old table frees the names of its indexes and constraints.
    cursor.execute(f"DROP TABLE {OLD}")
    for name, kind, definition in constraints:
        if kind in ("p", "u"):
            # Django keeps id as the primary key: ids come from one sequence, so
            # they stay unique although PostgreSQL only enforces (id, created),
            # as GlitchTip and psqlextra do. A client's id (application,
            # client_id) repeats its record, created included, when retried.
            definition = with_key(definition) if partitioned else without_key(definition)
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")
    for definition in indexes:
        cursor.execute(definition)


def make_partitions(cursor):
    """Make the DEFAULT partition and one per day that holds rows or lies just ahead."""
    cursor.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
    cursor.execute(f"SELECT DISTINCT ({KEY} AT TIME ZONE 'UTC')::date FROM {OLD}")  # noqa: S608
    days = {day for (day,) in cursor.fetchall()}
    today = datetime.datetime.now(datetime.UTC).date()
    days.update(today + datetime.timedelta(days=offset) for offset in range(DAYS_AHEAD + 1))
    for day in sorted(days):
        start, end = day_bounds(day)
        cursor.execute(
            f"CREATE TABLE {partition_name(day)} PARTITION OF {TABLE} "
            f"FOR VALUES FROM ({start}) TO ({end})"
        )


def move_sequence(cursor):
    """Set the new table's id sequence where the old one was, and give it the old name."""
    cursor.execute(
        "SELECT pg_get_serial_sequence(%s, 'id'), pg_get_serial_sequence(%s, 'id')", [OLD, TABLE]
    )
    old, new = cursor.fetchone()
    cursor.execute(f"SELECT last_value, is_called FROM {old}")  # noqa: S608 - from the catalog
    last_value, is_called = cursor.fetchone()
    cursor.execute("SELECT setval(%s, %s, %s)", [new, last_value, is_called])
    cursor.execute(f"ALTER SEQUENCE {old} RENAME TO {TABLE}_id_seq_old")
    cursor.execute(f"ALTER SEQUENCE {new} RENAME TO {TABLE}_id_seq")


def partition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            rebuild(cursor, partitioned=True)


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            rebuild(cursor, partitioned=False)


class Migration(migrations.Migration):
    dependencies = [
        ("remotelog", "0003_logmessage_group_index"),
    ]

    operations = [
        migrations.RunPython(partition, unpartition),
    ]
