"""Run the contact book's queued work, imports and bulk jobs: ``manage.py crm_worker [--once]``."""

import logging
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from crm.imports.worker import run_pending
from crm.services.jobs import bulk_jobs_run_pending

logger = logging.getLogger("crm.imports")

POLL_SECONDS = 1.0


class Command(BaseCommand):
    help = (
        "Run the contact imports (preview, import, undo) and the bulk actions on many "
        "contacts that the web pages queued, one at a time, looking for new ones every "
        "second; with --once, those queued now, then exit."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Run what is queued now, then exit."
        )

    def handle(self, *args, once, **options):
        if once:
            ran = run_pending(once=False)
            jobs = bulk_jobs_run_pending()
            self.stdout.write(f"{ran} import step(s) and {jobs} bulk job(s) run.")
            return
        stopping = threading.Event()
        # systemd stops the worker with SIGTERM: the import under way ends
        # first (a commit is one transaction: cut short, it would be lost).
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *args: stopping.set())
        while not stopping.is_set():
            close_old_connections()
            try:
                # One of each a pass: a long import does not hold up bulk jobs.
                ran = run_pending(once=True) + bulk_jobs_run_pending(limit=1)
            except Exception:
                # The database restarting, say: the next poll tries again.
                logger.exception("Worker pass failed")
                ran = 0
            if not ran:
                stopping.wait(POLL_SECONDS)
