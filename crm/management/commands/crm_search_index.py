"""Rebuild every contact's search text: ``manage.py crm_search_index``."""

import time

from django.core.management.base import BaseCommand, CommandError

from crm.services.search import BATCH, contact_search_rebuild

from ._progress import show_progress


class Command(BaseCommand):
    help = (
        "Recompute the search text of every contact from its fields and rows, in batches, "
        "with a progress bar: after an upgrade that changes the search rules, or writes "
        "that bypassed the application (raw SQL, a restored dump). Safe while the site runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=BATCH, help=f"Contacts per transaction (default {BATCH})."
        )

    def handle(self, *, batch, verbosity, **options):
        if batch < 1:
            raise CommandError("--batch must be 1 or more.")
        started = time.monotonic()
        progress = (
            (lambda done, total: show_progress(self.stdout, done, total)) if verbosity else None
        )
        changed = contact_search_rebuild(batch=batch, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Search text rebuilt: {changed} contact{'s' if changed != 1 else ''} changed, "
                f"in {time.monotonic() - started:.1f}s."
            )
        )

    def progress(self, done, total):
        show_progress(self.stdout, done, total)
