"""
The clients of bench/ingest.py: the application records are sent for, and the handlers sending them.

Each client thread has a handler and a logger of its own, as separate programs would.
"""

import logging
import logging.handlers
import threading
import time

INGEST_SLUG = "bench-ingest"


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


def stock_handler_factory(site, tls, secret, url=f"/remotelog/{INGEST_SLUG}/log/"):
    """Return a maker of stock handlers, one HTTPS request (and connection) per record."""

    def make():
        return logging.handlers.HTTPHandler(
            site.address,
            url,
            method="POST",
            secure=site.secure,
            credentials=(INGEST_SLUG, secret),
            context=tls if site.secure else None,
        )

    return make


def naive_handler_factory(site, tls, secret):
    """Return a maker of stock handlers sending to bench/naive_ingest.py's view."""
    return stock_handler_factory(site, tls, secret, url=f"/naive/{INGEST_SLUG}/log/")


def batch_handler_factory(site, tls, secret):
    from remotelog.handlers import RemoteLogHandler

    def make():
        return RemoteLogHandler(
            site.address,
            f"/remotelog/{INGEST_SLUG}/batch/",
            secure=site.secure,
            credentials=(INGEST_SLUG, secret),
            context=tls if site.secure else None,
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
