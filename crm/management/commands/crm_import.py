"""Import contacts from a CSV or vCard file, or undo an import: ``manage.py crm_import``."""

import os
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from crm.exceptions import NoTeam
from crm.imports import layouts, storage
from crm.imports.readers import ImportFileError
from crm.imports.worker import RUNNING, claim, process
from crm.models import Import, ImportRow
from crm.services.imports import (
    import_add_chunk,
    import_inspect,
    import_request_commit,
    import_request_preview,
    import_request_undo,
    import_start,
)

from ._progress import show_progress

# Rows with errors listed after the totals; the web page lists them all.
ERRORS_SHOWN = 10
WAITING = {*RUNNING, *RUNNING.values()}


class Command(BaseCommand):
    help = (
        "Import the contacts of a CSV file (Google, Outlook, this site's export or any "
        "spreadsheet) or a vCard file, as the web import does: print the preview's totals, "
        "then write it all in one transaction and print the import's id. --dry-run writes "
        "nothing; --undo ID undoes an import."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", metavar="FILE", help="The CSV or vCard file.")
        parser.add_argument(
            "--match",
            choices=Import.Match.values,
            default=Import.Match.EMAIL,
            help="How a row finds an existing contact (default: email).",
        )
        parser.add_argument(
            "--on-match",
            choices=Import.OnMatch.values,
            default=Import.OnMatch.SKIP,
            help="What a row that matches a contact does (default: skip).",
        )
        parser.add_argument(
            "--owner",
            metavar="USER",
            help="The username the import acts as and is recorded under "
            "(default: the only active superuser, if there is exactly one).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the preview; write nothing at all."
        )
        parser.add_argument("--undo", type=int, metavar="ID", help="Undo import ID.")

    def handle(self, *, file, match, on_match, owner, dry_run, undo, verbosity, **options):
        self.verbosity = verbosity
        if undo is not None:
            if file or dry_run:
                raise CommandError("--undo takes neither a FILE nor --dry-run.")
            self.undo(undo)
            return
        if not file:
            raise CommandError("Name the FILE to import (or --undo ID).")
        author = self.owner(owner)
        if dry_run:
            with transaction.atomic():
                self.preview(file, author=author, match=match, on_match=on_match)
                transaction.set_rollback(True)
            self.stdout.write("Dry run: nothing was written.")
            return
        run = self.preview(file, author=author, match=match, on_match=on_match)
        import_request_commit(import_run=run)
        self.run_step(run)
        if run.status != Import.Status.COMMITTED:
            raise CommandError(f"Import #{run.pk} failed: {run.error}")
        counts = run.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported: {counts.get('create', 0)} created, {counts.get('update', 0)} "
                f"updated. Import id: {run.pk} (undo with: manage.py crm_import --undo {run.pk})"
            )
        )

    def owner(self, username):
        """Return the user the import acts as: ``--owner``, else the only superuser."""
        User = get_user_model()
        if username:
            try:
                return User.objects.get(**{User.USERNAME_FIELD: username}, is_active=True)
            except User.DoesNotExist:
                raise CommandError(f"There is no active user {username!r}.") from None
        superusers = list(User.objects.filter(is_superuser=True, is_active=True)[:2])
        if len(superusers) != 1:
            raise CommandError(
                "Say which user the import acts as, with --owner USER: "
                + ("there is no superuser." if not superusers else "there are several superusers.")
            )
        return superusers[0]

    def preview(self, path, *, author, match, on_match) -> Import:
        """Upload, inspect and preview the file; print what the import would do."""
        try:
            size = os.path.getsize(path)
            stream = open(path, "rb")  # noqa: SIM115 - closed below, once read
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        try:
            with stream:
                run = import_start(author=author, file_name=os.path.basename(path), size=size)
                number = 0
                while data := stream.read(storage.CHUNK_BYTES):
                    import_add_chunk(import_run=run, number=number, data=data)
                    number += 1
            import_inspect(import_run=run)
        except (ImportFileError, NoTeam) as exc:
            raise CommandError(f"{path}: {exc}") from None
        if run.layout == "custom":
            self.print_mapping(run)
        try:
            import_request_preview(import_run=run, match=match, on_match=on_match)
        except ValueError as exc:
            raise CommandError(f"{path}: {exc}") from None
        self.run_step(run)
        if run.status != Import.Status.PREVIEWED:
            raise CommandError(f"{path}: {run.error}")
        self.print_preview(run)
        return run

    def print_mapping(self, run):
        self.stdout.write(
            "The columns were mapped by their headers (a best guess; to choose, import "
            "the file on the web page):"
        )
        for column, key in zip(run.header, run.mapping, strict=False):
            target = layouts.FIELDS.get(key, key) if key else "(ignored)"
            self.stdout.write(f"  {column!r} -> {target}")

    def print_preview(self, run):
        counts = run.counts
        self.stdout.write(
            f"Preview of {run.file_name}: {counts.get('create', 0)} to create, "
            f"{counts.get('update', 0)} to update, {counts.get('skip', 0)} to skip, "
            f"{counts.get('error', 0)} with errors, {counts.get('duplicate', 0)} "
            "matching an earlier row of the file."
        )
        errors = run.rows.filter(outcome=ImportRow.Outcome.ERROR).order_by("line")
        for line, messages in errors.values_list("line", "errors")[:ERRORS_SHOWN]:
            self.stdout.write(f"  Line {line}: {' '.join(messages)}")
        if counts.get("error", 0) > ERRORS_SHOWN:
            self.stdout.write(
                f"  ... and {counts['error'] - ERRORS_SHOWN} more rows with errors, "
                "which are not imported."
            )

    def undo(self, pk):
        try:
            run = Import.objects.get(pk=pk)
        except Import.DoesNotExist:
            raise CommandError(f"There is no import #{pk}.") from None
        try:
            import_request_undo(import_run=run)
        except ValueError as exc:
            raise CommandError(f"Import #{pk}: {exc}") from None
        self.run_step(run)
        if run.status != Import.Status.UNDONE:
            raise CommandError(f"The undo of import #{pk} failed: {run.error}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Import #{pk} of {run.file_name} undone: the contacts it created are "
                "deleted and the fields it changed restored."
            )
        )
        if run.undo_report:
            self.stdout.write(
                f"{len(run.undo_report)} contact(s) changed since the import, left as they are:"
            )
            for entry in run.undo_report:
                name, reason = entry.get("name", ""), entry.get("reason", "")
                self.stdout.write(f"  {name} (#{entry.get('contact')}): {reason}")

    def run_step(self, run):
        """Run the step just queued for ``run`` here, or wait for the worker that took it."""
        shown = []  # the last (done, total) drawn

        def report(done, total):
            if self.verbosity and self.stdout.isatty():
                show_progress(self.stdout, done, total, "rows")
                shown[:] = [done, total]

        claimed = claim(run)
        if claimed is not None:
            process(claimed, report=report)
        else:
            # A crm_worker took it first: follow its progress.
            run.refresh_from_db()
            while run.status in WAITING:
                report(run.progress_done, max(run.progress_total, run.progress_done))
                time.sleep(1)
                run.refresh_from_db()
        run.refresh_from_db()
        if shown and shown[0] < shown[1]:
            # The estimate of the rows was high, or the step failed: end the bar's line.
            show_progress(self.stdout, shown[0], shown[0], "rows")
