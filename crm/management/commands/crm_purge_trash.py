"""Delete for good the contacts in the trash past their days: ``manage.py crm_purge_trash``."""

from django.core.management.base import BaseCommand, CommandError

from crm.api import idempotency
from crm.conf import settings
from crm.services.trash import trash_expired, trash_purge

from ._progress import show_progress


class Command(BaseCommand):
    help = (
        "Delete for good the contacts in the trash for more than CRM_TRASH_DAYS days "
        "(or --days), with the phones and addresses nobody else uses: run daily "
        "(deploy/systemd/crm-purge-trash.timer), and the API's idempotency keys past "
        "their 24 hours. Safe while the site runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            help="Purge contacts in the trash for more than this many days "
            "(default CRM_TRASH_DAYS, 30 unless set).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say how many would go; delete nothing."
        )

    def handle(self, *, days, dry_run, verbosity, **options):
        days = settings.TRASH_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        if dry_run:
            count = trash_expired(days=days).count()
            self.stdout.write(f"{_contacts(count)} in the trash for more than {_days(days)}.")
            return
        progress = (
            (lambda done, total: show_progress(self.stdout, done, total)) if verbosity else None
        )
        count = trash_purge(days=days, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Purged {_contacts(count)} in the trash for more than {_days(days)}."
            )
        )
        # Said only when there were some: most sites use no Idempotency-Key.
        if keys := idempotency.purge():
            self.stdout.write(
                f"Dropped {keys} API idempotency key{'s' if keys != 1 else ''} older than 24 hours."
            )


def _contacts(count):
    return f"{count} contact{'s' if count != 1 else ''}"


def _days(days):
    return f"{days} day{'s' if days != 1 else ''}"
