"""Measure remote log ingestion on gunicorn and PostgreSQL against what the database allows.

    .venv/bin/python bench/ingest.py [--records 20000] [--clients 8] [--admin-rows 1000000]

Starts gunicorn (workers as in deploy/gunicorn.conf.py, else 2 x cores + 1) on
a loopback port over its own PostgreSQL database (created and migrated here,
kept between runs), then sends R records from C client threads, first with the
stock logging.handlers.HTTPHandler (one request per record), then with
RemoteLogHandler (batches), and checks that every record sent is a row. In the
same run it measures two ceilings on the same table: a psycopg2 loop of
single-row INSERT + COMMIT (what one record per request can at best reach) and
a COPY of the same rows (what batches can at best reach). Last, it times the
admin list over a million rows (seeded once with one INSERT ... SELECT).
"""

import argparse
import contextlib
import datetime
import io
import json
import logging
import logging.handlers
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/crm_bench_ingest"
INGEST_SLUG, ADMIN_SLUG = "bench-ingest", "bench-admin"


# Long on purpose: the benchmark's steps, in the order they run, read top to bottom.
def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000, help="records per client kind")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--admin-rows", type=int, default=1_000_000, help="0 skips the admin")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    options = parser.parse_args()

    setup_django(options.database_url)
    port = free_port()
    with gunicorn(options.database_url, port) as (workers, server_pid):
        app, secret = fresh_application(INGEST_SLUG)
        base = f"127.0.0.1:{port}"
        results, cpu = [], []
        database = options.database_url.rsplit("/", 1)[1]
        print(
            f"gunicorn: {workers} on {base}; {options.records} records, "
            f"{options.clients} clients; database {options.database_url.rsplit('/', 1)[1]}"
        )

        # A first batch warms the workers up and gives the ceilings a row to copy.
        warm_up = argparse.Namespace(records=options.clients * 10, clients=options.clients)
        send_with(batch_handler_factory(base, secret), "bench.warm-up", warm_up)
        table = Table(app, template_logger="bench.warm-up")

        # Each client kind runs next to its ceiling: the machine's load drifts.
        rate = table.single_row_inserts(options.records, 1, CpuMeter(server_pid, database))
        cpu.append(("ceiling, 1 connection", table.cpu))
        results.append(("ceiling: INSERT+COMMIT per row, 1 connection", rate))
        meter = CpuMeter(server_pid, database)
        rate = send_with(stock_handler_factory(base, secret), "bench.stock", options)
        cpu.append(("stock HTTPHandler", meter.per_record(options.records)))
        check_stored(app, "bench.stock", options.records)
        results.append(("stock HTTPHandler, 1 record/request", rate))
        meter = CpuMeter(server_pid, database)
        rate = table.single_row_inserts(options.records, options.clients, meter)
        cpu.append((f"ceiling, {options.clients} connections", table.cpu))
        results.append((f"ceiling: INSERT+COMMIT per row, {options.clients} connections", rate))

        meter = CpuMeter(server_pid, database)
        rate = send_with(batch_handler_factory(base, secret), "bench.batch", options)
        cpu.append(("RemoteLogHandler, batches", meter.per_record(options.records)))
        check_stored(app, "bench.batch", options.records)
        results.append(("RemoteLogHandler, batches", rate))
        rate = table.copy_rows(options.records)
        results.append(("ceiling: COPY of the same rows", rate))

        print_rates(results)
        print_cpu(cpu)
        if options.admin_rows:
            print_admin_timings(base, table, options.admin_rows)


# The site, its database and its server.


def setup_django(database_url):
    os.environ.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="crm.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(40),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,testserver",
        DJANGO_LOG_LEVEL="WARNING",
        DJANGO_SECURE_SSL_REDIRECT="0",  # plain HTTP on the loopback, no TLS to measure
    )
    create_database(database_url)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def create_database(database_url):
    import psycopg2

    base, name = database_url.rsplit("/", 1)
    connection = psycopg2.connect(base + "/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn(database_url, port):
    """Run gunicorn as the deploy config says; yield a description of its workers."""
    config = ROOT / "deploy" / "gunicorn.conf.py"
    command = [sys.executable, "-m", "gunicorn", "crm.wsgi", "--bind", f"127.0.0.1:{port}"]
    if config.exists():
        command += ["--config", str(config)]
        settings = _config_settings(config)
        workers = f"{settings.get('workers', 1)} {settings.get('worker_class', 'sync')} workers"
        if settings.get("threads", 1) > 1:
            workers += f" x {settings.get('threads')} threads"
    else:
        count = 2 * os.cpu_count() + 1
        command += ["--workers", str(count)]
        workers = f"{count} sync workers"
    env = {**os.environ, "DATABASE_URL": database_url, "GUNICORN_CMD_ARGS": ""}
    # The access log goes to a file: a pipe nobody reads would stop the server.
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 30
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                    break
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise SystemExit(f"gunicorn did not start:\n{log.read()}")
                time.sleep(0.1)
            yield workers, server.pid
        finally:
            server.terminate()
            server.wait(60)


def _config_settings(config):
    namespace = {"__file__": str(config)}
    exec(compile(config.read_text(), str(config), "exec"), namespace)  # noqa: S102 - our own file
    return namespace


def fresh_application(slug):
    """Return a new application with its secret (dropping an old one and its rows)."""
    from remotelog.models import Application

    Application.objects.filter(slug=slug).delete()
    app = Application(slug=slug, name=slug)
    secret = app.set_new_secret()
    app.save()
    return app, secret


def check_stored(app, logger_name, expected):
    stored = app.log_messages.filter(name=logger_name).count()
    if stored != expected:
        raise SystemExit(f"{logger_name}: sent {expected} records, {stored} rows stored")


# The clients.


def stock_handler_factory(base, secret):
    def make():
        return logging.handlers.HTTPHandler(
            base, f"/remotelog/{INGEST_SLUG}/log/", method="POST", credentials=(INGEST_SLUG, secret)
        )

    return make


def batch_handler_factory(base, secret):
    from remotelog.handlers import RemoteLogHandler

    def make():
        return RemoteLogHandler(
            base,
            f"/remotelog/{INGEST_SLUG}/batch/",
            credentials=(INGEST_SLUG, secret),
            capacity=100_000,
            flush_timeout=600,
        )

    return make


def send_with(make_handler, logger_name, options):
    """Send the records from the client threads, each with its own handler; return records/s."""
    per_client = [options.records // options.clients] * options.clients
    per_client[0] += options.records - sum(per_client)
    errors = []
    handlers = []

    def client(number, count):
        handler = make_handler()
        handlers.append(handler)
        # Each client is a logger of its own: a shared handler would serialize them.
        logger = logging.Logger(logger_name)
        logger.addHandler(handler)
        try:
            for index in range(count):
                logger.info("client %d sends record %d of %d", number, index, count)
            if hasattr(handler, "dropped"):
                if not handler.flush():
                    errors.append(f"client {number}: flush timed out")
                handler.close()
                if handler.dropped:
                    errors.append(f"client {number}: {handler.dropped} records dropped")
        except Exception as exc:
            errors.append(repr(exc))

    logging.raiseExceptions = True
    start = time.perf_counter()
    threads = [
        threading.Thread(target=client, args=(number, count))
        for number, count in enumerate(per_client)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"{logger_name}: {errors[:5]}")
    return options.records / elapsed


# Where the CPU goes.


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


def print_admin_timings(base, table, rows):
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
        url = f"http://{base}/admin/remotelog/logmessage/{query}"
        times, status = [], None
        for _ in range(5):
            request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
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


if __name__ == "__main__":
    main()
