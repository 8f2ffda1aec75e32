from django.core.management.base import BaseCommand, CommandError

from remotelog.partitions import DAYS_AHEAD, ensure_partitions, is_partitioned


class Command(BaseCommand):
    help = (
        "Make the log table's day partitions for today and the days ahead (PostgreSQL), "
        "moving in the records that landed in the DEFAULT partition meanwhile. "
        "Run it daily; running it again makes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days-ahead",
            type=int,
            default=DAYS_AHEAD,
            metavar="DAYS",
            help=f"Make partitions up to DAYS days after today (default {DAYS_AHEAD}).",
        )

    def handle(self, *, days_ahead, verbosity, **options):
        if days_ahead < 0:
            raise CommandError("--days-ahead cannot be negative.")
        if not is_partitioned():
            if verbosity >= 1:
                self.stdout.write("The log table is not partitioned here: nothing to do.")
            return
        made = ensure_partitions(days_ahead=days_ahead)
        if verbosity >= 1:
            names = f": {', '.join(made)}" if made else ""
            self.stdout.write(self.style.SUCCESS(f"Made {len(made)} day partition(s){names}."))
