"""
Grouping at ingest: each record's group and its hourly and daily counts, upserted.

Every write here is one ``INSERT ... ON CONFLICT ... DO UPDATE`` (PostgreSQL,
and SQLite 3.24 or later) over many rows at once: a record costs one statement
for its group and one for its two counts, and a batch the same two statements
whatever its size. Django's ``bulk_create(update_conflicts=True)`` cannot add
to a column (``count = count + n``), and ``get_or_create()`` then ``update()``
takes two round trips and an ``IntegrityError`` retry on every new group. The
upsert is race-free without a lock of ours: on a conflict the database locks
the group's row and applies the update to its latest version, so twenty
concurrent records into a resolved group reopen it exactly once.
"""

import datetime
import functools
from collections import defaultdict

from django.db import connections
from django.utils import timezone

from . import grants
from .fingerprints import exception_type, fingerprint, place
from .models import Application, LogGroup, LogGroupCount
from .records import truncated

# The most of a template a group keeps to show (the fingerprint hashes all of it).
TEMPLATE_LENGTH = 1000
# Buckets older than this are deleted by remotelog_purge: hours feed a
# sparkline of the last two days, days one of the last 30 to 90.
KEPT = {
    LogGroupCount.Period.HOUR: datetime.timedelta(days=7),
    LogGroupCount.Period.DAY: datetime.timedelta(days=120),
}
_COLUMNS = ["fingerprint", "levelno", "levelname", "logger", "template", "exception", "place"]
_RESOLVED, _OPEN = LogGroup.Status.RESOLVED.value, LogGroup.Status.OPEN.value
# The columns a new group starts with, and their values.
_NEW = {"status": _OPEN, "times_reopened": 0}


class _Statements:
    """The upserts of groups and counts, written for one database connection."""

    def __init__(self, connection):
        self.quote = connection.ops.quote_name
        self._write_groups(connection.vendor)
        self._write_counts()
        # PostgreSQL: the group's upsert and its counts as the WITH clause of
        # the statement that stores the record, which reads the group's id as
        # `GROUP_ID` (see `record_clause`).
        self.record_clause = (
            f"WITH {GROUPED} AS ({self.group_if_allowed}), "  # noqa: S608 - names from _meta
            f"counted AS (INSERT INTO {self.count_columns} "
            f"SELECT {GROUP_ID}, bucket.period, bucket.start, 1 FROM {GROUPED} "
            "CROSS JOIN (VALUES (%s, %s), (%s, %s)) AS bucket (period, start)"
            f"{self.count_upsert}) "
        )

    def _write_groups(self, vendor):
        quote = self.quote

        def column(name):
            return quote(LogGroup._meta.get_field(name).column)

        table = quote(LogGroup._meta.db_table)

        def old(name):
            return f"{table}.{column(name)}"

        def new(name):
            return f"EXCLUDED.{column(name)}"

        names = ["application", *_COLUMNS, "count", "first_seen", "last_seen", *_NEW]
        self.group_columns = f"{table} ({', '.join(column(name) for name in names)})"
        self.group_row = "(" + ", ".join(["%s"] * len(names)) + ")"
        greatest, least = ("GREATEST", "LEAST") if vendor == "postgresql" else ("MAX", "MIN")
        resolved = f"{old('status')} = '{_RESOLVED}'"
        # The SET expressions read the row as it was before this update.
        self.group_upsert = (
            f" ON CONFLICT ({column('application')}, {column('fingerprint')}) DO UPDATE SET "
            f"{column('count')} = {old('count')} + {new('count')}, "
            f"{column('first_seen')} = {least}({old('first_seen')}, {new('first_seen')}), "
            f"{column('last_seen')} = {greatest}({old('last_seen')}, {new('last_seen')}), "
            f"{column('status')} = CASE WHEN {resolved} THEN '{_OPEN}' ELSE {old('status')} END, "
            f"{column('resolved_at')} = CASE WHEN {resolved} THEN NULL "
            f"ELSE {old('resolved_at')} END, "
            f"{column('times_reopened')} = {old('times_reopened')} "
            f"+ CASE WHEN {resolved} THEN 1 ELSE 0 END "
            f"RETURNING {column('id')}, {column('fingerprint')}"
        )
        app_table = quote(Application._meta.db_table)

        def app_column(name):
            return f"{app_table}.{quote(Application._meta.get_field(name).column)}"

        # The single endpoint's grant is re-checked in the same statement, as
        # the record's own INSERT does (grants.condition).
        self.group_if_allowed = (
            f"INSERT INTO {self.group_columns} "  # noqa: S608 - names from _meta
            f"SELECT {app_column('id')}, {', '.join(['%s'] * (len(names) - 1))} "
            f"FROM {app_table} WHERE {grants.condition(app_column)}" + self.group_upsert
        )

    def _write_counts(self):
        quote = self.quote
        table = quote(LogGroupCount._meta.db_table)
        group, period, start, count = (
            quote(LogGroupCount._meta.get_field(name).column)
            for name in ("group", "period", "start", "count")
        )
        self.count_columns = f"{table} ({group}, {period}, {start}, {count})"
        self.count_upsert = (
            f" ON CONFLICT ({group}, {period}, {start}) DO UPDATE SET "
            f"{count} = {table}.{count} + EXCLUDED.{count}"
        )


# The WITH clause's row, and its group id, as the statement after `record_clause` names them.
GROUPED = "grouped"
GROUP_ID = f"{GROUPED}.id"


@functools.cache
def _statements(alias, vendor):
    return _Statements(connections[alias])


def group_values(values):
    """Return the group's columns (`_COLUMNS`) for a record's row ``values``."""
    return [
        fingerprint(values),
        values["levelno"],
        values["levelname"],
        values["name"],
        truncated(values["msg"], TEMPLATE_LENGTH),
        exception_type(values["exc_text"], values["exc_info"]),
        place(values),
    ]


def buckets(moment):
    """Return the starts of the hour and of the day holding ``moment``, in the site's time zone."""
    local = timezone.localtime(moment, timezone.get_default_timezone())
    hour = local.replace(minute=0, second=0, microsecond=0)
    day = datetime.datetime.combine(local.date(), datetime.time(), tzinfo=local.tzinfo)
    return {LogGroupCount.Period.HOUR.value: hour, LogGroupCount.Period.DAY.value: day}


def group_record(*, grant, values, using="default"):
    """
    Count the record of row ``values`` in its group, made if new; return the group's id.

    Return None, and change nothing, when ``grant`` no longer holds. Run it in
    the transaction that stores the record.
    """
    connection = connections[using]
    sql = _statements(connection.alias, connection.vendor)
    created = connection.ops.adapt_datetimefield_value(values["created"])
    params = [*group_values(values), 1, created, created, *_NEW.values(), *grants.params(grant)]
    with connection.cursor() as cursor:
        cursor.execute(sql.group_if_allowed, params)
        row = cursor.fetchone()
    if row is None:
        return None
    _add_counts(
        connection,
        sql,
        {(row[0], period, start): 1 for period, start in buckets(values["created"]).items()},
    )
    return row[0]


def record_clause(connection):
    """
    Return the WITH clause that groups one record, for PostgreSQL's single statement.

    The statement that follows inserts the record with `GROUP_ID` as its group,
    selecting from the clause's one row: none, and nothing stored or counted,
    when the grant no longer holds. One statement is one round trip and its
    own transaction, as the record's INSERT alone was.
    """
    return _statements(connection.alias, connection.vendor).record_clause


def record_clause_params(*, grant, values):
    """Return the parameters of `record_clause` for ``grant`` and the record's ``values``."""
    created = values["created"]
    buckets_params = [item for bucket in buckets(created).items() for item in bucket]
    return [
        *group_values(values),
        1,
        created,
        created,
        *_NEW.values(),
        *grants.params(grant),
        *buckets_params,
    ]


def group_records(*, application_id, rows, using="default"):
    """
    Count ``rows`` (values from `record_values`) in their groups; set each row's ``group_id``.

    Each group is written once however many of its records the batch holds:
    its count grows by that many, its first and last seen take the oldest and
    newest. Groups are written in fingerprint order, so that two batches
    lock the rows they share in the same order and never deadlock.
    """
    connection = connections[using]
    sql = _statements(connection.alias, connection.vendor)
    groups = {}  # fingerprint -> [columns, count, first, last]
    fingerprints = []
    for row in rows:
        columns = group_values(row)
        fingerprints.append(columns[0])
        group = groups.get(columns[0])
        if group is None:
            groups[columns[0]] = [columns, 1, row["created"], row["created"]]
        else:
            group[1] += 1
            group[2], group[3] = min(group[2], row["created"]), max(group[3], row["created"])
    ids = _upsert_groups(connection, sql, application_id, [groups[key] for key in sorted(groups)])
    counts = defaultdict(int)
    for row, key in zip(rows, fingerprints, strict=True):
        row["group_id"] = ids[key]
        for period, start in buckets(row["created"]).items():
            counts[ids[key], period, start] += 1
    _add_counts(connection, sql, counts)


def _upsert_groups(connection, sql, application_id, groups):
    """Upsert ``groups`` ([columns, count, first, last]); return {fingerprint: id}."""
    adapt = connection.ops.adapt_datetimefield_value
    ids = {}
    size = max(connection.ops.bulk_batch_size(["x"] * (len(_COLUMNS) + 4 + len(_NEW)), groups), 1)
    with connection.cursor() as cursor:
        for start in range(0, len(groups), size):
            chunk = groups[start : start + size]
            params = []
            for columns, count, first, last in chunk:
                params.extend(
                    [application_id, *columns, count, adapt(first), adapt(last), *_NEW.values()]
                )
            cursor.execute(
                f"INSERT INTO {sql.group_columns} VALUES "  # noqa: S608 - names from _meta
                + ", ".join([sql.group_row] * len(chunk))
                + sql.group_upsert,
                params,
            )
            ids.update((key, group_id) for group_id, key in cursor.fetchall())
    return ids


def _add_counts(connection, sql, counts):
    """Add ``counts`` ({(group id, period, start): records}) to their buckets, made if new."""
    adapt = connection.ops.adapt_datetimefield_value
    # Sorted, so that concurrent transactions lock shared buckets in the same order.
    items = sorted(counts.items())
    size = max(connection.ops.bulk_batch_size(["x"] * 4, items), 1)
    with connection.cursor() as cursor:
        for start in range(0, len(items), size):
            chunk = items[start : start + size]
            params = []
            for (group_id, period, bucket), count in chunk:
                params.extend([group_id, period, adapt(bucket), count])
            cursor.execute(
                f"INSERT INTO {sql.count_columns} VALUES "  # noqa: S608 - names from _meta
                + ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
                + sql.count_upsert,
                params,
            )


def counts_purge(*, now, applications=None, using="default"):
    """
    Delete the hourly and daily buckets older than `KEPT` says; return how many.

    Only those of ``applications`` (a queryset) when given.
    """
    deleted = 0
    for period, kept in KEPT.items():
        old = LogGroupCount.objects.using(using).filter(period=period, start__lt=now - kept)
        if applications is not None:
            old = old.filter(group__application__in=applications)
        deleted += old.delete()[0]
    return deleted
