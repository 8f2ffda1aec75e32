import logging
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from remotelog.alerts.worker import notify_pass

logger = logging.getLogger("remotelog.alerts")


class Command(BaseCommand):
    help = (
        "Deliver the alerts: evaluate every active rule, then send the notifications due "
        "by e-mail and webhook, every --interval seconds (or once, with --once)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one pass, then exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=10.0,
            help="Seconds between passes (default 10).",
        )

    def handle(self, *args, once, interval, **options):
        if once:
            self.report(notify_pass())
            return
        stopping = threading.Event()
        # systemd stops the worker with SIGTERM: the pass under way ends first,
        # so no delivery is left claimed until its lease runs out.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *args: stopping.set())
        while not stopping.is_set():
            close_old_connections()
            try:
                result = notify_pass()
            except Exception:
                # A database restart or a network fault: the next pass tries again.
                logger.exception("Alert pass failed")
            else:
                if any(result.values()):
                    self.report(result)
            stopping.wait(interval)

    def report(self, result):
        self.stdout.write(
            "{notifications} notification(s) made; {sent} sent, {pending} to retry, "
            "{failed} given up.".format(**result)
        )
