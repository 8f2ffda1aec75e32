"""Workflows of the remote log: storing records, purging old ones."""

import datetime
import functools
import io
import json
from collections import defaultdict

from django.db import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    connections,
    transaction,
)

from . import grants, groups
from .conf import settings
from .models import Application, LogMessage

# Field types whose values `records.record_values` already makes what the
# database driver takes (str, int, float or None): get_db_prep_save() would
# return them unchanged, so the hot paths skip its ~1 µs a column. Every other
# field (date-times, JSON, the IP address) goes through get_db_prep_save().
_PLAIN_TYPES = {"CharField", "TextField", "IntegerField", "BigIntegerField", "FloatField"}


class _Statements:
    """The log table's columns and INSERT statements for one database connection."""

    def __init__(self, connection):
        quote = connection.ops.quote_name
        meta, app_meta = LogMessage._meta, Application._meta
        application = meta.get_field("application")
        # Every column but the id and the application, in the model's order.
        self.fields = [
            field
            for field in meta.concrete_fields
            if not field.primary_key and field is not application
        ]
        self.attnames = [field.attname for field in self.fields]
        self.prepared = [
            (index, field)
            for index, field in enumerate(self.fields)
            if field.get_internal_type() not in _PLAIN_TYPES
        ]
        self.all_fields = [application, *self.fields]
        columns = ", ".join(quote(field.column) for field in self.all_fields)
        self.row = "(" + ", ".join(["%s"] * len(self.all_fields)) + ")"
        self.copy = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        self.insert = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608
        table = quote(app_meta.db_table)

        def column(name):
            return f"{table}.{quote(app_meta.get_field(name).column)}"

        placeholders = ", ".join(["%s"] * len(self.fields))
        # One statement both checks the grant and inserts: no row when it no longer holds.
        self.insert_if_allowed = (
            f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608 - names from _meta
            f"SELECT {column('id')}, {placeholders} FROM {table} "
            f"WHERE {grants.condition(column)}"
        )

        if connection.vendor == "postgresql":
            # The function of migration 0007, its arguments named: the grant's,
            # the group's (`groups.record_group`), then the record's columns.
            names = [*_GRANT_ARGUMENTS, *_GROUP_ARGUMENTS]
            names += [f"record_{field.column.lower()}" for field in self.fields]
            self.group_index = self.attnames.index("group_id")
            del names[len(_GRANT_ARGUMENTS) + len(_GROUP_ARGUMENTS) + self.group_index]
            arguments = ", ".join(f"{name} => %s" for name in names)
            self.store = f"SELECT remotelog_store_record({arguments})"

    def params(self, values, connection):
        """Return the query parameters of one row's ``values`` (from `record_values`)."""
        params = [values[attname] for attname in self.attnames]
        for index, field in self.prepared:
            params[index] = field.get_db_prep_save(params[index], connection)
        return params


@functools.cache
def _statements(alias, vendor):
    return _Statements(connections[alias])


def _statements_for(connection):
    return _statements(connection.alias, connection.vendor)


def log_message_store(*, grant, values, using="default"):
    """
    Insert one row of ``values`` (from `record_values`) as allowed by ``grant``; return
    whether it was.

    The application's row is checked in the same transaction: nothing is
    stored, and False returned, when the application was disabled or its
    secret changed since ``grant`` was made. The record is counted in its
    group (`groups`) unless REMOTELOG_GROUPING is off. Outside a transaction
    the row is committed on return.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        return _store_with_function(connection, grant, values)
    if not settings.GROUPING:
        values["group_id"] = None
        return _insert_if_allowed(connection, grant, values)
    return _group_then_insert(connection, grant, values)


def _group_then_insert(connection, grant, values):
    """Group and store the record in one transaction; return whether it was."""
    # No savepoint: outside a transaction (the endpoint) this begins one.
    with transaction.atomic(using=connection.alias, savepoint=False):
        # Reading (or making) the group checks the grant, so a refused record
        # counts nowhere and the row that follows needs no second check.
        group_id = groups.group_record(grant=grant, values=values, using=connection.alias)
        if group_id is None:
            return False
        values["group_id"] = group_id
        sql = _statements_for(connection)
        with connection.cursor() as cursor:
            cursor.execute(
                sql.insert + sql.row, [grant.application_id, *sql.params(values, connection)]
            )
        return True


def _insert_if_allowed(connection, grant, values):
    sql = _statements_for(connection)
    params = [*sql.params(values, connection), *grants.params(grant)]
    with connection.cursor() as cursor:
        cursor.execute(sql.insert_if_allowed, params)
        return cursor.rowcount == 1


# The arguments of the function remotelog_store_record (migration 0007) before the record's.
_GRANT_ARGUMENTS = ["grant_application_id", "grant_secret_digest"]
_GROUP_ARGUMENTS = ["group_fingerprint", "group_template", "group_exception", "group_place"]


def _store_with_function(connection, grant, values):
    """
    Check the grant, group and store the record with one call of remotelog_store_record.

    The function (migration 0007) runs in one statement's transaction, and
    PL/pgSQL plans its statements once per server connection: unlike a
    PREPAREd statement, nothing the client must remember per connection, so
    it works through a pooler in transaction mode (PgBouncer).
    """
    sql = _statements_for(connection)
    values["group_id"] = None  # the function finds or makes it
    row = sql.params(values, connection)
    del row[sql.group_index]
    group = groups.record_group(values) if settings.GROUPING else [None] * len(_GROUP_ARGUMENTS)
    return _execute_checked(connection, sql.store, [*grants.params(grant), *group, *row])


def _execute_checked(connection, sql, params):
    """
    Execute ``sql`` with ``params`` on PostgreSQL; return the first column of its one row.

    Outside a transaction, the statement also stands for Django's health check
    of a kept connection (CONN_HEALTH_CHECKS: a ``SELECT 1`` before each
    request's first query, a second round trip per record): if it fails on a
    connection that no longer works (the server restarted, a proxy dropped
    it), it runs once more on a new one. A connection that breaks after the
    server committed the record, before its answer, may so store it twice;
    without the retry, the stock handler (which ignores answers) would lose it.
    """
    unchecked = (
        connection.connection is not None
        and connection.health_check_enabled
        and not connection.health_check_done
        and not connection.in_atomic_block
    )
    if unchecked:
        connection.health_check_done = True
    try:
        return _fetch_value(connection, sql, params)
    except (OperationalError, InterfaceError):
        if not unchecked or connection.is_usable():
            raise
        connection.close()
        return _fetch_value(connection, sql, params)


def _fetch_value(connection, sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _insert_rows(connection, sql, application_id, rows):
    """Insert ``rows`` (values from `record_values`) of the application in few statements."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and hasattr(cursor.cursor, "copy_expert"):
            # COPY: half the server's work of a multi-row INSERT.
            data = io.StringIO()
            for row in rows:
                data.write(_copy_line(application_id, [row[name] for name in sql.attnames]))
            data.seek(0)
            with connection.wrap_database_errors:
                cursor.cursor.copy_expert(sql.copy, data)
            return
        size = max(connection.ops.bulk_batch_size(sql.all_fields, rows), 1)
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            params = []
            for row in chunk:
                params.append(application_id)
                params.extend(sql.params(row, connection))
            cursor.execute(sql.insert + ", ".join([sql.row] * len(chunk)), params)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _copy_line(application_id, values):
    """
    Return one line of COPY's text format: the application's id, then ``values``.

    The values are those `record_values` makes: str, int, float, None, aware
    datetimes, the extra fields' dict.
    """
    fields = [str(application_id)]
    for value in values:
        if value is None:
            fields.append("\\N")
            continue
        if value.__class__ is str:
            text = value
        elif value.__class__ is dict:
            text = json.dumps(value)
        elif isinstance(value, datetime.datetime):
            text = value.isoformat()
        else:  # int, float: their repr is what PostgreSQL reads
            text = repr(value)
        if "\\" in text or "\n" in text or "\r" in text or "\t" in text:
            text = text.translate(_COPY_ESCAPES)
        fields.append(text)
    return "\t".join(fields) + "\n"


def log_messages_store(*, grant, rows, using="default"):
    """
    Store ``rows`` (values from `record_values`) all or nothing; return (stored, duplicates).

    A row whose `client_id` the application already stored, or that repeats an
    earlier row of the same batch, is skipped: a client retrying a batch whose
    answer it lost creates no duplicates. When a concurrent retry of the same
    batch wins the race, the unique constraint refuses ours and we look again.
    """
    connection = connections[using]
    sql = _statements_for(connection)
    for attempt in range(3):
        try:
            with transaction.atomic(using=using):
                ids = {row["client_id"] for row in rows if row["client_id"] is not None}
                seen = (
                    set(
                        LogMessage.objects.using(using)
                        .filter(application_id=grant.application_id, client_id__in=ids)
                        .values_list("client_id", flat=True)
                        .order_by()
                    )
                    if ids
                    else set()
                )
                new = []
                for row in rows:
                    client_id = row["client_id"]
                    if client_id is not None:
                        if client_id in seen:
                            continue
                        seen.add(client_id)
                    new.append(row)
                if new:
                    _group(grant.application_id, new, using)
                    _insert_rows(connection, sql, grant.application_id, new)
            return len(new), len(rows) - len(new)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _group(application_id, rows, using):
    """Set each row's group, counting it there, unless REMOTELOG_GROUPING is off."""
    if settings.GROUPING:
        groups.group_records(application_id=application_id, rows=rows, using=using)
    else:
        for row in rows:
            row["group_id"] = None


# What grouping reads of a stored record (`groups.group_values`, `groups.buckets`).
_GROUPED_FIELDS = [
    "id",
    "application_id",
    "name",
    "levelno",
    "levelname",
    "msg",
    "exc_text",
    "exc_info",
    "pathname",
    "lineno",
    "funcName",
    "extra",
    "created",
]


def log_messages_group(*, after, size, applications=None, using="default"):
    """
    Group up to ``size`` ungrouped records with ids above ``after``; return (last id, records).

    Return None when none is left. For records stored before grouping existed:
    each call is one transaction, reads along the primary key from ``after``
    and writes each group once, as a batch at ingest does. Only the records
    of ``applications`` (a queryset) when given.
    """
    records = LogMessage.objects.using(using).filter(group=None, pk__gt=after)
    if applications is not None:
        records = records.filter(application__in=applications)
    rows = list(records.order_by("pk").values(*_GROUPED_FIELDS)[:size])
    if not rows:
        return None
    per_application = defaultdict(list)
    for row in rows:
        per_application[row["application_id"]].append(row)
    with transaction.atomic(using=using):
        for application_id, application_rows in sorted(per_application.items()):
            groups.group_records(application_id=application_id, rows=application_rows, using=using)
        per_group = defaultdict(list)
        for row in rows:
            per_group[row["group_id"]].append(row["id"])
        for group_id, ids in per_group.items():
            LogMessage.objects.using(using).filter(pk__in=ids, group=None).update(group=group_id)
    return rows[-1]["id"], len(rows)


def log_messages_purge(*, application, before, chunk_size, progress=None):
    """
    Delete the application's records made before ``before``; return how many.

    Deletes ``chunk_size`` rows per statement, each in its own transaction, so a
    purge of millions holds no long lock and can be interrupted and rerun;
    ``progress(deleted)`` is called after each chunk.
    """
    old = LogMessage.objects.filter(application=application, created__lt=before)
    deleted = 0
    while True:
        # Oldest first, along the (application, created, id) index.
        chunk = old.order_by("created", "id").values("id")[:chunk_size]
        # Filtered again by time, not by id alone: on PostgreSQL the table is
        # partitioned by day, and only the time spares the other days' partitions.
        count, _ = old.filter(pk__in=chunk).delete()
        if not count:
            return deleted
        deleted += count
        if progress is not None:
            progress(deleted)
