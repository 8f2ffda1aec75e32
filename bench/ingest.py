"""Measure remote log ingestion: ours against a naive view, on gunicorn and Apache + mod_wsgi.

    .venv/bin/python bench/ingest.py [--records 3000] [--clients 8] [--skip-purge]

Starts gunicorn and Apache with mod_wsgi as deploy/ configures them (HTTPS on
loopback ports, production settings from bench/settings.py), each twice: with
grouping on and off (REMOTELOG_GROUPING). Over its own PostgreSQL database
(created and migrated here, kept between runs), C client threads send R
records a case, round after round: the stock logging.handlers.HTTPHandler to
bench/naive_ingest.py's view (the 2009 design: read the application, then
``LogMessage.objects.create(**fields)``) and to ours, then RemoteLogHandler's
batches to ours. Every record sent must be a row. Then, on gunicorn, it
measures the database's ceilings on the same table (single-row INSERT +
COMMIT; COPY) and the CPU each path used per record; optionally it times the
admin list over N rows; last it runs bench/purge.py (a day of a million rows
dropped against a chunked DELETE) on the same database. It prints one table
of records/s with the ratios and the targets, ok or MISSED.
"""

import argparse
import collections
import os
import re
import secrets
import statistics
import subprocess
import sys
from pathlib import Path

from ingest_ceilings import Table, print_admin_timings, print_ceilings
from ingest_clients import (
    INGEST_SLUG,
    batch_handler_factory,
    check_stored,
    fresh_application,
    naive_handler_factory,
    send_with,
    stock_handler_factory,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE = os.environ.get("BENCH_DATABASE_URL") or (
    "postgres://postgres@127.0.0.1:5432/crm_bench_ingest"
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=3000, help="records per single-record case")
    parser.add_argument("--batch-records", type=int, default=30_000, help="records per batch case")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every case (median)")
    parser.add_argument(
        "--servers",
        default="apache,gunicorn-https,gunicorn-http",
        help="comma-separated: apache, gunicorn-https, gunicorn-http (the ceilings need it)",
    )
    parser.add_argument("--skip-ceilings", action="store_true", help="no database ceilings")
    parser.add_argument("--admin-rows", type=int, default=0, help="time the admin over N rows")
    parser.add_argument("--skip-purge", action="store_true", help="do not run bench/purge.py")
    parser.add_argument("--purge-records", type=int, default=1_000_000)
    parser.add_argument(
        "--purge-tablespace-dir",
        action="append",
        default=[],
        help="also time the purge with the partitions in a tablespace made in this new directory"
        " (e.g. /dev/shm/crm-bench-purge: a tmpfs; see bench/README.md); repeatable",
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    return parser.parse_args()


def main():
    options = parse_args()
    setup_django(options.database_url)
    from ingest_servers import running_sites

    with running_sites(options.database_url, options.servers.split(",")) as (sites, tls):
        app, secret = fresh_application(INGEST_SLUG)
        print(
            f"{', '.join(s.name for s in sites[::2])} on 127.0.0.1, grouping on and off;"
            f" {options.records:,} records a case ({options.batch_records:,} in batches),"
            f" {options.clients} clients, median of {options.rounds} rounds",
            flush=True,
        )
        for site in sites:
            warm_up(site, tls, secret, options.clients)
        rates = measure_sites(sites, tls, app, secret, options)
        gunicorn = next((site for site in sites if not site.secure), None)
        if not options.skip_ceilings and gunicorn is not None:
            print_ceilings(gunicorn, tls, app, secret, options)
        if options.admin_rows and gunicorn is not None:
            print_admin_timings(gunicorn, tls, Table(app, "bench.warm-up"), options.admin_rows)
    purges = {}
    if not options.skip_purge:
        purges["data directory"] = run_purge(options)
        for directory in options.purge_tablespace_dir:
            purges[directory] = run_purge(options, directory)
    print_comparison(rates, purges)


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


# One table: ours against the naive view, grouping on against off, on both servers.

CASES = (
    ("naive", "naive view (2009), HTTPHandler", naive_handler_factory),
    ("stock", "ours, stock HTTPHandler", stock_handler_factory),
    ("batch", "ours, RemoteLogHandler batches", batch_handler_factory),
)


def warm_up(site, tls, secret, clients):
    """Start every worker and thread: the first requests import and connect."""
    warm = argparse.Namespace(records=clients * 20, clients=clients)
    for _, _, factory in CASES:
        send_with(factory(site, tls, secret), "bench.warm-up", warm)


def measure_sites(sites, tls, app, secret, options):
    """
    Run every case on every site, round after round (the machine's load
    drifts); return {(server, grouping, case): [records/s per round]}.

    The naive view does not group, so it runs on the grouping-on sites only.
    """
    rates = collections.defaultdict(list)
    for number in range(options.rounds):
        for site in sites:
            for case, _, factory in CASES:
                if case == "naive" and not site.grouping:
                    continue
                count = options.batch_records if case == "batch" else options.records
                sent = argparse.Namespace(records=count, clients=options.clients)
                logger = f"bench.{case}.{site.server.name}.{number}"
                rate = send_with(factory(site, tls, secret), logger, sent)
                check_stored(app, logger, count)
                rates[site.name, site.grouping, case].append(rate)
        print(f"round {number + 1} of {options.rounds} done", flush=True)
    return rates


def print_comparison(rates, purges):
    """Print the records/s of each case and server, the ratios and the targets."""
    servers = list(dict.fromkeys(server for server, _, _ in rates))
    median = {key: statistics.median(values) for key, values in rates.items()}
    print(f"\n{'records/s (median)':<46}" + "".join(f"{s:>22}" for s in servers))
    for case, label, _ in CASES:
        for grouping in (True, False):
            if (servers[0], grouping, case) in median:
                row = [median[server, grouping, case] for server in servers]
                name = label + (
                    "" if case == "naive" else f", grouping {'on' if grouping else 'off'}"
                )
                print(f"{name:<46}" + "".join(f"{rate:>22,.0f}" for rate in row))
    print(f"\n{'target':<62} {'value':>8}  {'goal':>8}")
    for server in servers:
        ratio = median[server, True, "stock"] / median[server, True, "naive"]
        print_target(f"{server}: ours / naive", ratio, "x", ratio >= 1.3, ">= 1.3x")
    for server in servers:
        for case in ("stock", "batch"):
            cost = 1 - median[server, True, case] / median[server, False, case]
            print_target(
                f"{server}: grouping's cost, {case}", cost * 100, "%", cost <= 0.1, "<= 10%"
            )
    for where, purge in purges.items():
        label = f"purge: chunked DELETE / drop a day ({where})"
        print_target(label, purge, "x", purge >= 100, ">= 100x")


def print_target(label, value, unit, met, goal):
    figure = f"{value:.2f}x" if unit == "x" else f"{value:.1f}{unit}"  # 1.29x is not 1.3x
    print(f"{label:<62} {figure:>8}  {goal:>8}  {'ok' if met else 'MISSED'}")


def run_purge(options, tablespace_dir=None):
    """Run bench/purge.py on the same database; print its output; return DELETE / drop."""
    print(f"\nbench/purge.py, {options.purge_records:,} records a day:", flush=True)
    tablespace = ["--tablespace-dir", tablespace_dir] if tablespace_dir else []
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "purge.py")]
        + ["--records", str(options.purge_records), "--database-url", options.database_url]
        + tablespace,
        capture_output=True,
        text=True,
        check=False,
    )
    print(result.stdout.strip() + result.stderr.strip())
    found = re.search(r"^DELETE / drop\s+([\d,]+)x", result.stdout, re.M)
    if result.returncode or not found:
        raise SystemExit("bench/purge.py failed")
    return float(found.group(1).replace(",", ""))


if __name__ == "__main__":
    main()
