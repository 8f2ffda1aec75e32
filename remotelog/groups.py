"""
Grouping at ingest: each record's group, made if new, and a tally of it for the group's counts.

Ingest never updates a group's counts: each record (or each group and hour of
a batch) appends a `LogGroupTally`, which locks nothing another record needs.
Updating the group's row instead made every record of a busy group wait for
the row lock held by the one before it until its commit, WAL flush included:
a quarter of the rate of ungrouped ingest with every record in one group
(bench/README.md). `tallies_fold` adds the tallies to the groups and to their
hourly and daily counts; the alert worker folds on each pass, and the pages
that show counts fold before reading.

Only a new record in a resolved group writes the group's row at ingest: an
``UPDATE ... WHERE status = 'resolved'``, which locks the row only while the
group is resolved, and which concurrent records apply once (each re-reads
the row after the first commits and finds it open).
"""

import datetime
import functools
from collections import defaultdict

from django.db import connections, transaction
from django.db.models import F
from django.utils import timezone

from . import grants
from .fingerprints import exception_type, fingerprint, place
from .models import Application, LogGroup, LogGroupCount, LogGroupTally
from .records import truncated

# The most of a template a group keeps to show (the fingerprint hashes all of it).
TEMPLATE_LENGTH = 1000
# Buckets older than this are deleted by remotelog_purge: hours feed a
# sparkline of the last two days, days one of the last 30 to 90.
KEPT = {
    LogGroupCount.Period.HOUR: datetime.timedelta(days=7),
    LogGroupCount.Period.DAY: datetime.timedelta(days=120),
}
# Tallies folded per transaction.
FOLD_CHUNK = 1000
_COLUMNS = ["fingerprint", "levelno", "levelname", "logger", "template", "exception", "place"]
_RESOLVED, _OPEN = LogGroup.Status.RESOLVED.value, LogGroup.Status.OPEN.value
# The columns a new group starts with, and their values: its records are counted by their tallies.
_NEW = {"count": 0, "status": _OPEN, "times_reopened": 0}


class _Statements:
    """The SQL that groups records, written for one database connection."""

    def __init__(self, connection):
        self.quote = quote = connection.ops.quote_name
        table = quote(LogGroup._meta.db_table)
        self.group_table = table

        def column(name):
            return quote(LogGroup._meta.get_field(name).column)

        app_table = quote(Application._meta.db_table)

        def app_column(name):
            return f"{app_table}.{quote(Application._meta.get_field(name).column)}"

        names = ["application", *_COLUMNS, "first_seen", "last_seen", *_NEW]
        self.group_columns = f"{table} ({', '.join(column(name) for name in names)})"
        self.group_row = "(" + ", ".join(["%s"] * len(names)) + ")"
        self.returning = f" RETURNING {column('id')}, {column('fingerprint')}"
        self.new_group = (
            f" ON CONFLICT ({column('application')}, {column('fingerprint')}) DO NOTHING"
        )
        # The application's id while the grant holds (grants.condition), as `allowed.id`.
        allowed = (
            f"SELECT {app_column('id')} AS id FROM {app_table} "  # noqa: S608 - names from _meta
            f"WHERE {grants.condition(app_column)}"
        )
        existing = (
            f"SELECT {table}.{column('id')} AS id FROM {table} "  # noqa: S608 - names from _meta
            f"JOIN allowed ON {table}.{column('application')} = allowed.id "
            f"WHERE {table}.{column('fingerprint')} = %s"
        )
        placeholders = ", ".join(["%s"] * (len(names) - 1))
        self.existing = f"WITH allowed AS ({allowed}) {existing}"
        self.make_group = (
            f"INSERT INTO {self.group_columns} "  # noqa: S608 - names from _meta
            f"SELECT {app_column('id')}, {placeholders} FROM {app_table} "
            f"WHERE {grants.condition(app_column)}" + self.new_group
        )
        # Concurrent records of a resolved group: the first reopens it, the
        # others wait for its commit, re-read the row, find it open and skip it.
        self.reopen = (
            f"UPDATE {table} SET"  # noqa: S608 - names from _meta
            f" {column('status')} = '{_OPEN}', {column('resolved_at')} = NULL, "
            f"{column('times_reopened')} = {column('times_reopened')} + 1 "
        )
        self.resolved = f"{table}.{column('status')} = '{_RESOLVED}'"
        greatest, least = (
            ("GREATEST", "LEAST") if connection.vendor == "postgresql" else ("MAX", "MIN")
        )
        # After "WITH folded (id, records, first_seen, last_seen) AS (VALUES ...)".
        self.add_totals = (
            f"UPDATE {table} SET "  # noqa: S608 - names from _meta
            f"{column('count')} = {table}.{column('count')} + folded.records, "
            f"{column('first_seen')} = {least}({table}.{column('first_seen')}, folded.first_seen), "
            f"{column('last_seen')} = {greatest}({table}.{column('last_seen')}, folded.last_seen) "
            f"FROM folded WHERE {table}.{column('id')} = folded.id RETURNING {table}.{column('id')}"
        )
        self.reopen_one = self.reopen + f"WHERE {table}.{column('id')} = %s AND {self.resolved}"
        tally = LogGroupTally._meta
        tally_columns = ", ".join(
            quote(tally.get_field(name).column)
            for name in ("group", "count", "first_seen", "last_seen")
        )
        self.tally_columns = f"{quote(tally.db_table)} ({tally_columns})"
        self.tally_row = f"INSERT INTO {self.tally_columns} VALUES (%s, 1, %s, %s)"  # noqa: S608
        self._write_counts()

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
    the transaction that stores the record. For SQLite, whose one writer at a
    time leaves no race; on PostgreSQL the function of migration 0007 does
    the same (`record_group`).
    """
    connection = connections[using]
    sql = _statements(connection.alias, connection.vendor)
    columns = group_values(values)
    created = connection.ops.adapt_datetimefield_value(values["created"])
    with connection.cursor() as cursor:
        cursor.execute(sql.existing, [*grants.params(grant), columns[0]])
        row = cursor.fetchone()
        if row is None:
            params = [*columns, created, created, *_NEW.values(), *grants.params(grant)]
            cursor.execute(sql.make_group + sql.returning, params)
            row = cursor.fetchone()
            if row is None:
                return None  # the grant no longer holds (one writer: no concurrent group)
        else:
            cursor.execute(sql.reopen_one, [row[0]])
        cursor.execute(sql.tally_row, [row[0], created, created])
    return row[0]


def record_group(values):
    """
    Return what PostgreSQL's remotelog_store_record takes of the record's group.

    The fingerprint, the template, the exception type and the place, from the
    record's row ``values``: the function reads the group, makes it if new
    (its logger and level are the record's) or reopens it if resolved, and
    appends the record's tally, as `group_record` does on SQLite.
    """
    columns = group_values(values)
    return [columns[0], columns[4], columns[5], columns[6]]


def group_records(*, application_id, rows, using="default"):
    """
    Count ``rows`` (values from `record_values`) in their groups; set each row's ``group_id``.

    A few statements whatever the batch's size: the groups are read (and the
    new ones made) together, the resolved ones among them reopened in one
    UPDATE, and one tally written per group and hour.
    """
    connection = connections[using]
    groups = {}  # fingerprint -> columns
    tallies = {}  # (fingerprint, hour) -> [records, first, last]
    hours = {}  # UTC quarter hour -> its local hour (`_hour`)
    fingerprints = []
    for row in rows:
        columns = group_values(row)
        key, created = columns[0], row["created"]
        fingerprints.append(key)
        groups.setdefault(key, columns)
        tally = tallies.get((key, hour := _hour(created, hours)))
        if tally is None:
            tallies[key, hour] = [1, created, created]
        else:
            tally[0] += 1
            tally[1], tally[2] = min(tally[1], created), max(tally[2], created)
    first = {key: tally[1] for (key, _), tally in sorted(tallies.items(), reverse=True)}
    ids = _group_ids(connection, application_id, groups, first)
    for row, key in zip(rows, fingerprints, strict=True):
        row["group_id"] = ids[key]
    LogGroup.objects.using(using).filter(
        pk__in=sorted(ids.values()), status=LogGroup.Status.RESOLVED
    ).update(status=_OPEN, resolved_at=None, times_reopened=F("times_reopened") + 1)
    LogGroupTally.objects.using(using).bulk_create(
        LogGroupTally(group_id=ids[key], count=count, first_seen=earliest, last_seen=latest)
        for (key, _), (count, earliest, latest) in tallies.items()
    )


_QUARTER = 900  # seconds


def _hour(moment, known):
    """
    Return the start of the local hour holding ``moment``, as `buckets` does, but faster.

    Time zones' offsets are whole quarter hours (since the 1970s at least), so
    a UTC quarter hour lies in one local hour: ``known`` keeps each quarter's
    hour, worked out once per batch instead of once per record (10 µs each).
    A quarter that straddles two local hours is kept as None and each of its
    records gets its own.
    """
    quarter = int(moment.timestamp() // _QUARTER)
    if quarter not in known:
        start = datetime.datetime.fromtimestamp(quarter * _QUARTER, datetime.UTC)
        end = start + datetime.timedelta(seconds=_QUARTER) - datetime.timedelta.resolution
        first, last = (buckets(edge)[LogGroupCount.Period.HOUR] for edge in (start, end))
        known[quarter] = first if first == last else None
    return known[quarter] or buckets(moment)[LogGroupCount.Period.HOUR]


def _group_ids(connection, application_id, groups, first):
    """
    Return {fingerprint: group id} for ``groups`` ({fingerprint: columns}), making the new ones.

    A new group starts at ``first[fingerprint]``. Made in fingerprint order, so
    that two batches making the same groups wait for each other instead of
    deadlocking. A group a concurrent batch made after our read is read again.
    """
    sql = _statements(connection.alias, connection.vendor)
    existing = LogGroup.objects.using(connection.alias).filter(application_id=application_id)

    def read(keys):
        found = existing.filter(fingerprint__in=keys).values_list("fingerprint", "pk")
        return dict(found.order_by())

    ids = read(list(groups))
    missing = sorted(key for key in groups if key not in ids)
    if not missing:
        return ids
    adapt = connection.ops.adapt_datetimefield_value
    size = max(connection.ops.bulk_batch_size(["x"] * (len(_COLUMNS) + 3 + len(_NEW)), missing), 1)
    with connection.cursor() as cursor:
        for start in range(0, len(missing), size):
            chunk = missing[start : start + size]
            params = []
            for key in chunk:
                seen = adapt(first[key])
                params.extend([application_id, *groups[key], seen, seen, *_NEW.values()])
            cursor.execute(
                f"INSERT INTO {sql.group_columns} VALUES "  # noqa: S608 - names from _meta
                + ", ".join([sql.group_row] * len(chunk))
                + sql.new_group
                + sql.returning,
                params,
            )
            ids.update((key, group_id) for group_id, key in cursor.fetchall())
    if late := [key for key in missing if key not in ids]:
        ids |= read(late)
    return ids


def tallies_fold(*, using="default"):
    """
    Add the tallies ingest wrote to their groups and hourly and daily counts; return how many.

    Each chunk of tallies is locked, added and deleted in one transaction, so
    each is added exactly once however many folds run at a time: a fold that
    meets another's chunk waits for it, then finds those tallies gone. Groups
    and counts are written in id and key order, so two folds never deadlock.
    """
    folded = 0
    while True:
        with transaction.atomic(using=using):
            tallies = list(
                LogGroupTally.objects.using(using)
                .select_for_update()
                .order_by("pk")
                .values_list("pk", "group_id", "count", "first_seen", "last_seen")[:FOLD_CHUNK]
            )
            if tallies:
                LogGroupTally.objects.using(using).filter(
                    pk__in=[tally[0] for tally in tallies]
                ).delete()
                _fold(connections[using], tallies)
        folded += len(tallies)
        if len(tallies) < FOLD_CHUNK:
            return folded


def _fold(connection, tallies):
    """Add ``tallies`` ((id, group id, records, first, last) rows) to their groups and counts."""
    totals = {}  # group id -> [records, first, last]
    counts = defaultdict(int)
    for _, group_id, count, first, last in tallies:
        total = totals.get(group_id)
        if total is None:
            totals[group_id] = [count, first, last]
        else:
            total[0] += count
            total[1], total[2] = min(total[1], first), max(total[2], last)
        for period, start in buckets(first).items():
            counts[group_id, period, start] += count
    sql = _statements(connection.alias, connection.vendor)
    alive = _add_totals(connection, sql, sorted(totals.items()))
    # A group deleted with its application since leaves no count behind.
    _add_counts(connection, sql, {key: n for key, n in counts.items() if key[0] in alive})


def _add_totals(connection, sql, totals):
    """Add ``totals`` ([(group id, [records, first, last])]); return the ids of groups found."""
    adapt = connection.ops.adapt_datetimefield_value
    alive = set()
    size = max(connection.ops.bulk_batch_size(["x"] * 4, totals), 1)
    with connection.cursor() as cursor:
        for start in range(0, len(totals), size):
            chunk = totals[start : start + size]
            params = []
            for group_id, (count, first, last) in chunk:
                params.extend([group_id, count, adapt(first), adapt(last)])
            cursor.execute(
                "WITH folded (id, records, first_seen, last_seen) AS (VALUES "
                + ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
                + ") "
                + sql.add_totals,
                params,
            )
            alive.update(row[0] for row in cursor.fetchall())
    return alive


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
