from django.core.management.base import BaseCommand, CommandError

from remotelog.groups import tallies_fold
from remotelog.models import Application
from remotelog.services import log_messages_group


class Command(BaseCommand):
    help = (
        "Group the records stored before grouping existed, in batches (one transaction "
        "each), as ingest groups new ones. Safe to interrupt and run again; run it before "
        "resolving groups, since a record added to a resolved group reopens it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--app", metavar="SLUG", help="Group only this application's records.")
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="Records per transaction (default 1000)."
        )

    def handle(self, *, app, batch_size, verbosity, **options):
        if batch_size <= 0:
            raise CommandError("--batch-size must be positive.")
        applications = None
        if app is not None:
            applications = Application.objects.filter(slug=app)
            if not applications.exists():
                raise CommandError(f"No application {app!r}.")
        after, grouped = 0, 0
        while done := log_messages_group(after=after, size=batch_size, applications=applications):
            after, records = done
            grouped += records
            if verbosity >= 2:
                self.stdout.write(f"Grouped {grouped} record(s), up to id {after}.")
        tallies_fold()  # the groups' counts, at once rather than at the worker's next pass
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(f"Grouped {grouped} record(s)."))
