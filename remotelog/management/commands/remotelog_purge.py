import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from remotelog.conf import settings
from remotelog.groups import counts_purge, tallies_fold
from remotelog.models import Application, LogMessage
from remotelog.partitions import purge_partitions
from remotelog.services import log_messages_purge


class Command(BaseCommand):
    help = (
        "Delete old log messages in chunks. By default each application keeps its "
        "records for its own retention (days); --older-than applies one age to all. "
        "On PostgreSQL, first drops the day partitions past every application's retention. "
        "Also deletes groups' hourly counts after 7 days and daily counts after 120."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            metavar="DAYS",
            help="Delete records made more than DAYS days ago, whatever the retention.",
        )
        parser.add_argument("--app", metavar="SLUG", help="Purge only this application.")
        parser.add_argument(
            "--chunk-size",
            type=int,
            help="Rows per DELETE (default REMOTELOG_PURGE_CHUNK_SIZE).",
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            default=None,
            help="Draw the progress bar even when the output is not a terminal.",
        )

    def handle(self, *, older_than, app, chunk_size, progress, verbosity, **options):
        if older_than is not None and older_than < 0:
            raise CommandError("--older-than cannot be negative.")
        chunk_size = chunk_size or settings.PURGE_CHUNK_SIZE
        if chunk_size <= 0:
            raise CommandError("--chunk-size must be positive.")
        applications = Application.objects.order_by("slug")
        if app is not None:
            applications = applications.filter(slug=app)
            if not applications:
                raise CommandError(f"No application {app!r}.")
        draw = verbosity >= 1 and (progress or self.stdout.isatty())
        now = timezone.now()
        if app is None:
            # A day partition holds every application's records: only a purge of all may drop it.
            self.drop_days(older_than=older_than, now=now, verbosity=verbosity)
        total = 0
        for application in applications:
            days = older_than if older_than is not None else application.retention_days
            if days is None:
                if verbosity >= 1:
                    self.stdout.write(f"{application.slug}: kept forever (no retention).")
                continue
            before = now - datetime.timedelta(days=days)
            planned = LogMessage.objects.filter(application=application, created__lt=before).count()
            bar = ProgressBar(self.stdout, application.slug, planned) if draw else None
            deleted = log_messages_purge(
                application=application,
                before=before,
                chunk_size=chunk_size,
                progress=bar and bar.update,
            )
            if bar:
                bar.finish()
            total += deleted
            if verbosity >= 1:
                self.stdout.write(
                    f"{application.slug}: deleted {deleted} log message(s) "
                    f"older than {days} day(s)."
                )
        # Groups outlive their records; their hourly and daily counts have their own age.
        tallies_fold()
        buckets = counts_purge(now=now, applications=applications)
        if verbosity >= 1:
            self.stdout.write(f"Deleted {buckets} old hourly or daily group count(s).")
            self.stdout.write(self.style.SUCCESS(f"Deleted {total} log message(s) in all."))

    def drop_days(self, *, older_than, now, verbosity):
        """Drop the day partitions past every application's retention (PostgreSQL)."""
        dropped = purge_partitions(older_than=older_than, now=now)
        if verbosity >= 1 and dropped:
            self.stdout.write(f"Dropped {len(dropped)} day partition(s): {', '.join(dropped)}.")


class ProgressBar:
    """A one-line bar redrawn in place: `north  [#########...........]  45%  4500/10000`."""

    width = 30

    def __init__(self, stream, label, total):
        self.stream, self.label, self.total = stream, label, max(total, 1)
        self.update(0)

    def update(self, done):
        done = min(done, self.total)
        filled = self.width * done // self.total
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(
            f"\r{self.label}  [{bar}] {100 * done // self.total:3d}%  {done}/{self.total}",
            ending="",
        )
        self.stream.flush()

    def finish(self):
        self.stream.write("")
