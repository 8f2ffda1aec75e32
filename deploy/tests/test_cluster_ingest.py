"""Ten programs logging at once through the balancer: every record stored, once.

Their requests go to both app servers (cluster.py); each test counts what the
programs were told was stored against what the database holds.
"""

import logging
import threading

import pytest
from cluster import needs_postgresql, remote_log_handler
from servers import send_log_record

from remotelog.models import LogMessage

pytestmark = [needs_postgresql, pytest.mark.django_db(transaction=True)]

PROGRAMS = 10


def run_programs(program, count=PROGRAMS):
    """Run ``program(number)`` in ``count`` threads at once; fail with what any raised."""
    errors = []

    def run(number):
        try:
            program(number)
        except Exception as error:  # noqa: BLE001 - reported below, with the others
            errors.append(error)

    threads = [threading.Thread(target=run, args=[number]) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)


def test_ten_remote_log_handlers_store_exactly_what_they_sent(cluster, cluster_application):
    records = 60
    handlers = [
        remote_log_handler(cluster, cluster_application, batch_size=5) for _ in range(PROGRAMS)
    ]

    def program(number):
        logger = logging.Logger(f"program-{number}")  # outside the hierarchy: this handler only
        logger.addHandler(handlers[number])
        for record in range(records):
            logger.warning("program %s record %s", number, record)
        assert handlers[number].flush(timeout=60)

    run_programs(program)
    assert [(handler.sent, handler.dropped) for handler in handlers] == [(records, 0)] * PROGRAMS
    stored = LogMessage.objects.filter(application=cluster_application[0])
    assert stored.count() == PROGRAMS * records
    assert stored.values("client_id").distinct().count() == PROGRAMS * records
    for handler in handlers:
        handler.close()


def test_ten_stock_http_handlers_store_exactly_what_they_sent(cluster, cluster_application):
    records = 15
    application, secret = cluster_application

    def program(number):
        for record in range(records):
            message = f"stock program {number} record {record}"
            send_log_record(cluster.https, cluster.tls, (application.slug, secret), message)

    run_programs(program)
    # The stock handler ignores answers: the database alone says what arrived.
    messages = LogMessage.objects.filter(application=application).values_list("msg", flat=True)
    assert sorted(messages) == sorted(
        f"stock program {number} record {record}"
        for number in range(PROGRAMS)
        for record in range(records)
    )
