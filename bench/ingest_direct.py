"""
Store records straight into the database from client threads: grouping's cost without HTTP.

    .venv/bin/python bench/ingest_direct.py [--records 1600] [--threads 8] [--rounds 3]

Each thread calls ``remotelog.services.log_message_store`` (what the single
endpoint runs, after parsing) on its own connection, one record per
transaction as the stock handler's requests do, in three cases: grouping off;
grouping on with every record in one group (the busiest group possible); and
with a group per thread. Rounds alternate the cases (the machine's load
drifts); it prints each case's median records/s and its cost against
grouping off. Uses bench/ingest.py's database (``--database-url``).
"""

import argparse
import logging
import statistics
import threading
import time

from ingest import DEFAULT_DATABASE, setup_django

CASES = {
    "grouping off": (False, True),
    "grouping on, one group": (True, True),
    "grouping on, a group per thread": (True, False),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1600, help="records per case and round")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    return parser.parse_args()


def fields(number, thread, one_group):
    """Return the fields the stock handler would send for one record."""
    record = logging.LogRecord(
        "bench.direct" if one_group else f"bench.direct.{thread}",
        logging.INFO,
        "/srv/direct.py",
        10,
        "thread %d sends record %d",
        (thread, number),
        None,
    )
    return {key: str(value) for key, value in record.__dict__.items()}


def store(grant, options, grouping, one_group):
    """Store the records of one case from the threads; return records/s."""
    from django.db import connection
    from django.test.utils import override_settings
    from django.utils import timezone

    from remotelog.records import record_values
    from remotelog.services import log_message_store

    def work(thread):
        try:
            with override_settings(REMOTELOG_GROUPING=grouping):
                for number in range(options.records // options.threads):
                    values = record_values(
                        fields(number, thread, one_group),
                        remote_addr="127.0.0.1",
                        received=timezone.now(),
                    )
                    if not log_message_store(grant=grant, values=values):
                        raise SystemExit("a record was refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(options.threads)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return options.records // options.threads * options.threads / (time.perf_counter() - start)


def main():
    options = parse_args()
    setup_django(options.database_url)
    from ingest_clients import fresh_application

    from remotelog.grants import Grant

    app, _ = fresh_application("bench-direct")
    grant = Grant(app.pk, app.secret_digest, checked=True)
    rates = {case: [] for case in CASES}
    for _ in range(options.rounds):
        for case, (grouping, one_group) in CASES.items():
            rates[case].append(store(grant, options, grouping, one_group))
    off = statistics.median(rates["grouping off"])
    print(
        f"\n{'records/s (median), ' + str(options.threads) + ' threads':<40}{'rate':>8}{'cost':>8}"
    )
    for case, values in rates.items():
        rate = statistics.median(values)
        print(f"{case:<40}{rate:>8,.0f}{(1 - rate / off) * 100:>7.0f}%")


if __name__ == "__main__":
    main()
