"""
What the database allows next to what ingest reaches, the CPU per record, and the admin list.

Part of bench/ingest.py: single-row INSERT + COMMIT and COPY into the log table
itself, measured next to the stock handler and the batches on one server.
"""

import argparse
import datetime
import io
import json
import os
import statistics
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from ingest_clients import (
    batch_handler_factory,
    check_stored,
    fresh_application,
    send_with,
    stock_handler_factory,
)

ADMIN_SLUG = "bench-admin"


# What the database allows, and where the CPU goes.


def print_ceilings(site, tls, app, secret, options):
    """
    Measure what the database allows one record per request and batches, next
    to the stock handler and the batches on ``site`` (grouping on), and the
    CPU each spent per record; print both tables.
    """
    database = options.database_url.rsplit("/", 1)[1]
    server_pid = site.server.pid
    table = Table(app, template_logger="bench.warm-up")
    count = options.records
    results, cpu = [], []

    def client(label, factory, logger, records):
        meter = CpuMeter(server_pid, database)
        sent = argparse.Namespace(records=records, clients=options.clients)
        results.append((label, send_with(factory(site, tls, secret), logger, sent)))
        cpu.append((label.split(",")[0], meter.per_record(records)))
        check_stored(app, logger, records)

    # Each client kind runs next to its ceiling: the machine's load drifts.
    rate = table.single_row_inserts(count, 1, CpuMeter(server_pid, database))
    cpu.append(("ceiling, 1 connection", table.cpu))
    results.append(("ceiling: INSERT+COMMIT per row, 1 connection", rate))
    client("stock HTTPHandler, 1 record/request", stock_handler_factory, "bench.stock", count)
    rate = table.single_row_inserts(count, options.clients, CpuMeter(server_pid, database))
    cpu.append((f"ceiling, {options.clients} connections", table.cpu))
    results.append((f"ceiling: INSERT+COMMIT per row, {options.clients} connections", rate))
    batch = options.batch_records
    client("RemoteLogHandler, batches", batch_handler_factory, "bench.batch", batch)
    results.append(("ceiling: COPY of the same rows", table.copy_rows(batch)))
    print(f"\n{site.name} (grouping on) against the database's ceilings:")
    print_rates(results)
    print_cpu(cpu)


class CpuMeter:
    """
    CPU time spent from now on by this process (the clients), gunicorn (master and
    workers, also those recycled meanwhile), the PostgreSQL backends serving the
    benchmark's database, and the whole machine (other work included).
    """

    def __init__(self, server_pid, database):
        self.server_pid, self.database = server_pid, database
        self.tick = os.sysconf("SC_CLK_TCK")
        self.start = self.sample()

    def sample(self):
        times = os.times()
        client = times.user + times.system
        server = postgres = 0
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            ppid, own = int(fields[1]), int(fields[11]) + int(fields[12])
            if int(pid) == self.server_pid:
                # Workers that exited (max_requests) count in their parent's cutime/cstime.
                server += own + int(fields[13]) + int(fields[14])
            elif ppid == self.server_pid:
                server += own
            elif command.startswith(b"postgres: ") and f" {self.database} ".encode() in command:
                postgres += own
        with open("/proc/stat") as stat:
            busy = [int(value) for value in stat.readline().split()[1:]]
        machine = sum(busy) - busy[3] - busy[4]  # all but idle and iowait
        return client, server / self.tick, postgres / self.tick, machine / self.tick

    def per_record(self, records, gone_backends=0.0):
        """
        Return µs of CPU per record: (client, gunicorn, PostgreSQL, machine).

        ``gone_backends``: seconds of CPU of backends that exited meanwhile.
        """
        end = list(self.sample())
        end[2] += gone_backends
        return tuple((e - s) / records * 1e6 for s, e in zip(self.start, end, strict=True))


def backend_cpu_seconds(pid):
    """Return the CPU seconds the PostgreSQL backend ``pid`` has used, 0 if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# The ceilings, straight into the same table.


class Table:
    """Write and read the log table with psycopg2, from a row the site stored."""

    def __init__(self, app, template_logger):
        from django.db import connection

        from remotelog.models import LogMessage

        self.app = app
        self.model = LogMessage
        self.table = LogMessage._meta.db_table
        template = app.log_messages.filter(name=template_logger).first()
        fields = [f for f in LogMessage._meta.concrete_fields if not f.primary_key]
        self.columns = [f.column for f in fields]
        self.values = [
            f.get_db_prep_save(f.value_from_object(template), connection) for f in fields
        ]
        self.client_id = self.columns.index(LogMessage._meta.get_field("client_id").column)
        self.name = self.columns.index(LogMessage._meta.get_field("name").column)
        self.dsn = connection.get_connection_params()
        self.dsn.pop("cursor_factory", None)  # plain psycopg2 cursors

    def connect(self):
        import psycopg2

        return psycopg2.connect(**self.dsn)

    def row(self, logger_name, number):
        values = list(self.values)
        values[self.client_id] = f"{logger_name}-{number}"
        values[self.name] = logger_name
        return values

    def single_row_inserts(self, count, connections, meter):
        """
        Insert and commit one row at a time from ``connections`` threads; return rows/s.

        Leaves the CPU per row measured by ``meter`` in ``self.cpu``.
        """
        self.backend_cpu = 0.0
        logger_name = f"bench.ceiling.single.{connections}"
        columns = ", ".join(f'"{column}"' for column in self.columns)
        placeholders = ", ".join(["%s"] * len(self.columns))
        sql = f'INSERT INTO "{self.table}" ({columns}) VALUES ({placeholders})'  # noqa: S608

        def insert(numbers):
            connection = self.connect()
            with connection.cursor() as cursor:
                for number in numbers:
                    cursor.execute(sql, self.row(logger_name, number))
                    connection.commit()
            self.backend_cpu += backend_cpu_seconds(connection.get_backend_pid())
            connection.close()

        threads = [
            threading.Thread(target=insert, args=(range(start, count, connections),))
            for start in range(connections)
        ]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rate = count / (time.perf_counter() - start)
        self.cpu = meter.per_record(count, self.backend_cpu)
        self.check_and_delete(logger_name, count)
        return rate

    def copy_rows(self, count):
        """COPY ``count`` rows in one statement and commit; return rows/s."""
        logger_name = "bench.ceiling.copy"
        columns = ", ".join(f'"{column}"' for column in self.columns)
        start = time.perf_counter()
        connection = self.connect()
        with connection.cursor() as cursor:
            data = io.StringIO()
            for number in range(count):
                data.write("\t".join(map(copy_text, self.row(logger_name, number))) + "\n")
            data.seek(0)
            cursor.copy_expert(f'COPY "{self.table}" ({columns}) FROM STDIN', data)
        connection.commit()
        connection.close()
        rate = count / (time.perf_counter() - start)
        self.check_and_delete(logger_name, count)
        return rate

    def check_and_delete(self, logger_name, expected):
        check_stored(self.app, logger_name, expected)
        self.app.log_messages.filter(name=logger_name).delete()

    def seed(self, app, rows):
        """Give ``app`` ``rows`` varied rows in one INSERT ... SELECT (kept for the next run)."""
        from django.db import connection

        have = app.log_messages.count()
        if have >= rows:
            return False
        meta = self.model._meta
        expressions = ["%s"] * len(self.columns)
        params = list(self.values)

        def set_column(field, expression):
            index = self.columns.index(meta.get_field(field).column)
            expressions[index] = expression
            params[index] = None

        set_column("application", str(int(app.pk)))
        set_column("client_id", "'seed-' || g")
        set_column("name", "'bench.seed.' || mod(g, 20)")
        set_column("levelno", "(ARRAY[10, 20, 30, 40, 50])[mod(g, 5) + 1]")
        set_column(
            "levelname", "(ARRAY['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'])[mod(g, 5) + 1]"
        )
        set_column("msg", "'seed record %%s about ' || md5(g::text)")  # %% for the driver
        set_column("message", "'seed record ' || g || ' about ' || md5(g::text)")
        set_column("created", "now() - g * interval '3 seconds'")
        set_column("received", "now() - g * interval '3 seconds'")
        params = [p for p, e in zip(params, expressions, strict=True) if e == "%s"]
        columns = ", ".join(f'"{column}"' for column in self.columns)
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO "{self.table}" ({columns}) '  # noqa: S608
                f"SELECT {', '.join(expressions)} FROM generate_series(%s, %s) AS g",
                [*params, have + 1, rows],
            )
            cursor.execute(f'ANALYZE "{self.table}"')
        return True


def copy_text(value):
    """Return ``value`` in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if hasattr(value, "adapted"):  # psycopg2's Json
        value = json.dumps(value.adapted)
    text = str(value)
    for raw, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
        text = text.replace(raw, escaped)
    return text


# The admin over a million rows.


def print_admin_timings(site, tls, table, rows):
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from remotelog.models import Application

    app = Application.objects.filter(slug=ADMIN_SLUG).first() or fresh_application(ADMIN_SLUG)[0]
    start = time.perf_counter()
    if table.seed(app, rows):
        print(f"\nseeded {rows:,} rows in {time.perf_counter() - start:.1f} s")
    total = table.model.objects.count()

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    day = datetime.date.today() - datetime.timedelta(days=2)
    pages = [
        ("first page", ""),
        ("filter: level ERROR", "?levelno=40"),
        ("filter: application", f"?application__id__exact={app.pk}"),
        ("filter: logger name", "?logger=bench.seed.8"),
        (
            "filter: a day",
            f"?created__year={day.year}&created__month={day.month}&created__day={day.day}",
        ),
        ("filter: level + logger", "?levelno=40&logger=bench.seed.8"),
        ("search", "?q=c4ca4238a0b923820dcc509a6f75849b"),
    ]
    print(f"\nadmin list /admin/remotelog/logmessage/ over {total:,} rows (median of 5, ms)")
    print(f"{'page':<24} {'ms':>8}  status")
    for label, query in pages:
        scheme = "https" if site.secure else "http"
        url = f"{scheme}://{site.address}/admin/remotelog/logmessage/{query}"
        times, status = [], None
        for _ in range(5):
            request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=120, context=tls) as response:  # noqa: S310
                    response.read()
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            times.append((time.perf_counter() - start) * 1000)
        print(f"{label:<24} {statistics.median(times):>8.1f}  {status}")


def print_cpu(cpu):
    print(
        "\nCPU per record, µs (postgres: the backends serving this database;"
        "\nmachine: both CPUs, other work on the machine included)"
    )
    print(f"{'path':<28} {'client':>8} {'gunicorn':>9} {'postgres':>9} {'sum':>8} {'machine':>8}")
    for label, (client, server, postgres, machine) in cpu:
        total = client + server + postgres
        figures = f"{client:>8.0f} {server:>9.0f} {postgres:>9.0f} {total:>8.0f} {machine:>8.0f}"
        print(f"{label:<28} {figures}")


def print_rates(results):
    rates = dict(results)
    single = next(rate for label, rate in results if label.endswith("1 connection"))
    single_many = next(rate for label, rate in results if label.endswith("connections"))
    bulk = rates["ceiling: COPY of the same rows"]
    print(f"\n{'path':<48} {'records/s':>10}")
    for label, rate in results:
        print(f"{label:<48} {rate:>10,.0f}")
    stock = rates["stock HTTPHandler, 1 record/request"]
    batch = rates["RemoteLogHandler, batches"]
    print(f"\n{'ratio':<48} {'value':>10}  target")
    print(f"{'stock / single-row ceiling (1 connection)':<48} {stock / single:>9.2f}x  >= 1.0x")
    print(f"{'stock / single-row ceiling (same concurrency)':<48} {stock / single_many:>9.2f}x")
    print(f"{'batches / COPY ceiling':<48} {batch / bulk:>9.2f}x  >= 0.3x")
    print(f"{'batches / stock':<48} {batch / stock:>9.1f}x")
