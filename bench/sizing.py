"""Measure what one gunicorn worker serves, and how many PostgreSQL connections a server holds.

    .venv/bin/python bench/sizing.py [--pages 200] [--records 600] [--clients 4] [--rounds 3]

The sizing figures of deploy/README.md ("Sizing"). Over its own database
(crm_bench_servers: created, migrated and seeded with ``crm_demo`` when empty,
then kept), it starts gunicorn as deploy/ configures it, with one worker (two
threads), twice: straight to PostgreSQL, and through pgbouncer in transaction
mode (deploy/pgbouncer/pgbouncer.ini, rendered as the deploy tests render it).
Round after round (the machine's load drifts), C clients request the contact
list's first page as a logged-in user (keep-alive connections), then send log
records with the stock HTTPHandler (a connection per record). Beside each, the
reference in the same round: the database alone running the very SQL a list
page ran (captured from a real request), and single-row INSERT + COMMIT into
the log table, on one connection and on C. Last, a server with gunicorn's
default workers is loaded with more clients than it has threads, straight and
through pgbouncer, while pg_stat_activity is sampled: the connections it holds
and how many are busy at once. It prints requests/s, CPU per request, the
ratios and the load average with each figure.
"""

import argparse
import collections
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# deploy/tests' servers.py and cluster.py start the app servers and pgbouncer.
sys.path.append(str(ROOT / "deploy" / "tests"))

import _database  # noqa: E402
from ingest_ceilings import CpuMeter, Table  # noqa: E402
from ingest_clients import (  # noqa: E402
    INGEST_SLUG,
    check_stored,
    fresh_application,
    send_with,
    stock_handler_factory,
)
from sizing_load import ListPages, PageSql, Sampler  # noqa: E402

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/crm_bench_servers"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200, help="list pages per case")
    parser.add_argument("--records", type=int, default=600, help="log records per case")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every case (median)")
    parser.add_argument("--contacts", type=int, default=5000, help="contacts seeded when empty")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    return parser.parse_args()


def main():
    options = parse_args()
    _database.setup(options.database_url)
    seed(options.contacts)
    from ingest_servers import site_environment, start_plain_gunicorn

    app, secret = fresh_application(INGEST_SLUG)
    cookie = session_cookie()
    directory = Path(tempfile.mkdtemp(prefix="crm-bench-servers-"))
    directory.chmod(0o755)
    started = []
    try:
        bouncer = start_pgbouncer(directory, options.database_url)
        started.append(bouncer)
        sites = {}
        for label, url, pooling in (
            ("straight", options.database_url, False),
            ("pgbouncer", bouncer.url, True),
        ):
            env = server_env(site_environment(url, grouping=True), pooling, workers=1)
            sites[label] = start_plain_gunicorn(directory, env, None, True)
            started.append(sites[label].server)
        for site in sites.values():
            warm_up(site, secret, cookie, options.clients)
        figures = measure_rounds(sites, app, secret, cookie, options)
        for server in started:
            server.stop()
        started.clear()
        connections = measure_connections(directory, options, cookie, start_plain_gunicorn)
    finally:
        for server in started:
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)
    print_figures(figures, connections, options)


# The database, the user, the servers.


def seed(contacts):
    """Seed the book when it is empty; take the planner's statistics (autovacuum may be off)."""
    from django.core.management import call_command
    from django.db import connection

    call_command("crm_demo", contacts=contacts, if_empty=True, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def session_cookie():
    """Return the Cookie header of a logged-in superuser, valid on the servers."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="bench-servers", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


def server_env(env, pooling, workers=None):
    """Return the servers' environment: through pgbouncer or not; ``workers`` or the default."""
    env = {**env, "DJANGO_DB_TRANSACTION_POOLING": "1" if pooling else "0"}
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    return env


def start_pgbouncer(directory, database_url):
    """Start pgbouncer as the deploy tests do, the pools keeping the file's sizes."""
    import cluster
    import dj_database_url

    return cluster.start_pgbouncer(directory, dj_database_url.parse(database_url), user="www-data")


def warm_up(site, secret, cookie, clients):
    """Start the worker's threads and connections: the first requests import and connect."""
    ListPages(site.address, cookie).run(clients * 5, clients)
    warm = argparse.Namespace(records=clients * 20, clients=clients)
    send_with(stock_handler_factory(site, None, secret), "bench.warm-up", warm)


def loadavg():
    return Path("/proc/loadavg").read_text().split()[0]


# Requests per second per worker, and the database alone.


def measure_rounds(sites, app, secret, cookie, options):
    """Run every case round after round; return {case: [(rate, cpu, load), ...]}."""
    from django.db import connection

    figures = collections.defaultdict(list)
    database = connection.settings_dict["NAME"]
    page_sql = PageSql.capture("/contacts/")
    table = Table(app, template_logger="bench.warm-up")
    count = options.records
    for number in range(options.rounds):
        for label, site in sites.items():
            meter = Meter(site, database)
            rate = ListPages(site.address, cookie).run(options.pages, options.clients)
            figures[f"list page, {label}"].append((rate, *meter.per_request(options.pages)))
            meter = Meter(site, database)
            logger = f"bench.servers.{label}.{number}"
            sent = argparse.Namespace(records=count, clients=options.clients)
            rate = send_with(stock_handler_factory(site, None, secret), logger, sent)
            check_stored(app, logger, count)
            figures[f"log record, {label}"].append((rate, *meter.per_request(count)))
        for clients in (1, options.clients):
            load = loadavg()
            rate = page_sql.run(options.pages, clients)
            figures[f"list page SQL alone, {clients} conn."].append((rate, None, load))
            meter = CpuMeter(os.getpid(), database)
            rate = table.single_row_inserts(count, clients, meter)
            figures[f"INSERT+COMMIT alone, {clients} conn."].append((rate, None, load))
        print(f"round {number + 1} of {options.rounds} done (load {loadavg()})", flush=True)
    figures["list page SQL"] = page_sql.queries
    return figures


class Meter:
    """CPU spent per request by gunicorn, PostgreSQL and pgbouncer, from now on.

    Counted process by process: a backend that exits meanwhile (another
    case's connection) takes nothing away; one that starts counts whole.
    """

    roles = ("gunicorn", "postgres", "pgbouncer")

    def __init__(self, site, database):
        self.load = loadavg()
        self.server, self.database = site.server.pid, f" {database} ".encode()
        self.start = self.sample()

    def role(self, pid, ppid, command):
        if self.server in (pid, ppid):
            return "gunicorn"
        if command.startswith(b"postgres: ") and self.database in command:
            return "postgres"
        if command.startswith(b"/usr/sbin/pgbouncer") and ppid == os.getpid():
            return "pgbouncer"
        return None

    def sample(self):
        """Return {pid: (role, CPU ticks)} for the processes measured."""
        found = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                command = (stat.parent / "cmdline").read_bytes()
            except OSError:
                continue
            pid = int(stat.parent.name)
            role = self.role(pid, int(fields[1]), command)
            if role:
                found[pid] = (role, int(fields[11]) + int(fields[12]))
        return found

    def per_request(self, requests):
        """Return ((gunicorn, postgres, pgbouncer) µs per request, load average at start)."""
        spent = dict.fromkeys(self.roles, 0)
        for pid, (role, ticks) in self.sample().items():
            spent[role] += ticks - self.start.get(pid, (role, 0))[1]
        tick = os.sysconf("SC_CLK_TCK")
        return tuple(spent[role] / tick / requests * 1e6 for role in self.roles), self.load


# Connections held by a server with gunicorn's default workers.


def measure_connections(directory, options, cookie, start_gunicorn):
    """Load a default-sized server straight and through pgbouncer; return what each held."""
    from ingest_servers import site_environment

    workers, threads = 2 * len(os.sched_getaffinity(0)) + 1, 2  # deploy/gunicorn.conf.py
    clients = workers * threads + 2  # more than its threads
    held = {}
    for pooling in (False, True):
        sampler = Sampler()
        bouncer = start_pgbouncer(directory, options.database_url) if pooling else None
        url = bouncer.url if pooling else options.database_url
        env = server_env(site_environment(url, grouping=True), pooling)
        site = start_gunicorn(directory, env, None, True)
        try:
            with sampler:
                load = loadavg()
                # A connection per page, as many clients' would: every worker takes some.
                ListPages(site.address, cookie, keep_alive=False).run(options.pages, clients)
                time.sleep(0.5)
            label = "pgbouncer" if pooling else "straight"
            held[label] = (workers, threads, clients, *sampler.result(), load)
        finally:
            site.server.stop()
            if bouncer:
                bouncer.stop()
    return held


# The report.


def print_figures(figures, connections, options):
    queries = figures.pop("list page SQL")
    median = {
        case: (
            statistics.median(rate for rate, *_ in rows),
            [load for *_, load in rows],
            rows,
        )
        for case, rows in figures.items()
    }
    print(
        f"\nrequests/s, one gunicorn worker (2 threads), {options.clients} clients,"
        f" median of {options.rounds} rounds; load average at each round's start"
    )
    print(f"{'case':<34} {'req/s':>8} {'gunicorn':>9} {'postgres':>9} {'pgbouncer':>10}  load")
    for case, (rate, loads, rows) in median.items():
        cpu = [c for _, c, _ in rows if c is not None]
        if cpu:
            ms = [statistics.median(c[i] for c in cpu) / 1000 for i in range(3)]
            cells = f"{ms[0]:>7.2f}ms {ms[1]:>7.2f}ms {ms[2]:>8.2f}ms"
        else:
            cells = f"{'':>9} {'':>9} {'':>10}"
        print(f"{case:<34} {rate:>8,.0f} {cells}  {' '.join(loads)}")
    print(f"\n(the list page runs {len(queries)} queries)")
    print_ratios(median, options)
    print_connections(connections)


def print_ratios(median, options):
    rate = {case: figures[0] for case, figures in median.items()}
    cpu = {
        case: [statistics.median(c[i] for _, c, _ in rows) for i in range(3)]
        for case, (_, _, rows) in median.items()
        if rows[0][1] is not None
    }
    many = f"{options.clients} conn."
    print(f"\n{'ratio':<62} {'value':>8}")
    references = (("list page", "list page SQL alone"), ("log record", "INSERT+COMMIT alone"))
    for kind, alone in references:
        straight, pooled = rate[f"{kind}, straight"], rate[f"{kind}, pgbouncer"]
        print(f"{kind + ': through pgbouncer / straight':<62} {pooled / straight:>7.2f}x")
        ceiling = rate[f"{alone}, {many}"]
        label = f"{kind}: database alone ({many}) / one worker (pgbouncer)"
        print(f"{label:<62} {ceiling / pooled:>7.1f}x")
        gunicorn, postgres, _ = cpu[f"{kind}, pgbouncer"]
        label = f"{kind}: gunicorn's CPU / PostgreSQL's CPU, a request"
        print(f"{label:<62} {gunicorn / postgres:>7.1f}x")


def print_connections(connections):
    print(
        "\nPostgreSQL connections of one server with gunicorn's default workers,"
        "\nloaded by more clients than it has threads (sampled every 20 ms)"
    )
    header = f"{'':<10} {'workers x threads':>18} {'clients':>8} {'held':>6} {'busy at once':>13}"
    print(f"{header}  load")
    for label, (workers, threads, clients, held, busy, load) in connections.items():
        size = f"{workers} x {threads}"
        print(f"{label:<10} {size:>18} {clients:>8} {held:>6} {busy:>13}  {load}")
    print(f"\nload average at the end: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
