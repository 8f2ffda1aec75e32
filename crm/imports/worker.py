"""
The import worker: takes queued imports one at a time and runs their long
step (preview, commit or undo), outside any web request.

A request only sets a status (``crm.services.imports``); ``manage.py
crm_worker`` (one per app server, or one in all) claims the oldest queued
import, marks it running, runs the step and sets the status it ends in. A
claim locks the row with ``SKIP LOCKED`` on PostgreSQL, so several workers
take different imports; the status update is conditional as well, so a
worker on SQLite (no row locks) never takes an import another has.

Progress is saved as the step goes, for the page's bar: an ``UPDATE`` of two
columns of the import's row every batch (about 1,000 rows). The commit and
the undo each run in one transaction, whose writes nobody sees before it
ends; their progress is written through a second, autocommitting connection
on PostgreSQL. SQLite has one writer at a time: there, a commit's progress
shows only when it is done.
"""

import datetime
import logging

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Import, ImportRow
from ..models.imports import ImportKey
from . import readers, storage
from .commit import ImportConflict, analyze_contact_book, import_commit, import_undo
from .plan import import_preview
from .readers import FileInfo, ImportFileError

logger = logging.getLogger("crm.imports")

Status = Import.Status
# Each queued status, and the status of its step while it runs.
RUNNING = {
    Status.PREVIEW_QUEUED: Status.PREVIEWING,
    Status.COMMIT_QUEUED: Status.COMMITTING,
    Status.UNDO_QUEUED: Status.UNDOING,
}
# A running step saves its progress every batch, a few seconds apart; one
# silent this long lost its worker. A commit or undo waiting for the
# contacts' locks saves none, but says it is alive: on PostgreSQL by an
# advisory lock (STEP_LOCK), on SQLite by the write lock it holds, which
# keeps any other worker from claiming meanwhile.
STALE_AFTER = datetime.timedelta(minutes=15)
STEP_NAMES = {
    Status.PREVIEWING: "previewing",
    Status.COMMITTING: "importing",
    Status.UNDOING: "undoing",
}


def run_pending(*, once: bool = True) -> int:
    """
    Run the queued imports, oldest first: only the first with ``once``, else
    until none is left. Return how many were run.
    """
    ran = 0
    while (run := claim()) is not None:
        process(run)
        ran += 1
        if once:
            break
    return ran


def claim(import_run: Import | None = None) -> Import | None:
    """
    Take the oldest queued import (or ``import_run``, if it is still queued)
    and mark its step running; return it, or None when there is none to take.

    A step whose worker has saved no progress for ``STALE_AFTER`` lost it (a
    crash, SIGKILL): its transaction was rolled back, and it is taken again.
    """
    now = timezone.now()
    waiting = Q(status__in=RUNNING) | Q(
        status__in=RUNNING.values(), worked_at__lt=now - STALE_AFTER
    )
    candidates = Import.objects.filter(waiting).order_by("id")
    if import_run is not None:
        candidates = candidates.filter(pk=import_run.pk, status__in=RUNNING)
    skip_locked = connection.features.has_select_for_update_skip_locked
    busy = set()
    while True:
        with transaction.atomic():
            run = candidates.exclude(pk__in=busy).select_for_update(skip_locked=skip_locked).first()
            if run is None:
                return None
            if run.status not in RUNNING and _step_running(run):
                busy.add(run.pk)  # silent, but alive: waiting for a lock, say
                continue
            # Only one worker moves it on, even where nothing was locked.
            taken = Import.objects.filter(
                pk=run.pk, status=run.status, worked_at=run.worked_at
            ).update(status=RUNNING.get(run.status, run.status), worked_at=now, progress_done=0)
        if taken:
            if run.status not in RUNNING:
                logger.warning(
                    "Import #%s: its worker stopped while %s; running the step again",
                    run.pk,
                    STEP_NAMES[run.status],
                )
            run.refresh_from_db()
            return run


# PostgreSQL advisory locks of the form (STEP_LOCK, import id): held by a
# commit's or an undo's transaction while it runs, which saves no progress
# while it waits for the contacts' locks. Transaction-level, so pgbouncer's
# transaction pooling keeps them.
STEP_LOCK = 14


def _hold_step(run: Import) -> None:
    """Until the transaction ends, let other workers see that this step runs (PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [STEP_LOCK, run.pk])


def _step_running(run: Import) -> bool:
    """Return whether a worker's transaction holds ``run``'s step (PostgreSQL; else False)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        # Taken only until the claim's transaction ends.
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [STEP_LOCK, run.pk])
        return not cursor.fetchone()[0]


def process(run: Import, *, report=None) -> None:
    """
    Run the step of ``run`` (claimed: its status says which), then set the
    status it ends in. ``report(done, total)``, if given, hears the progress.

    A file that cannot be read to its end, or a commit that cannot proceed,
    ends FAILED with the reason; anything unexpected too, with a general
    message, logged with its traceback. Nothing is written to the contact
    book either way; an undo that fails leaves the import committed.
    """
    step = {Status.PREVIEWING: _preview, Status.COMMITTING: _commit, Status.UNDOING: _undo}
    if run.status not in step:
        raise ValueError(f"Import #{run.pk} is {run.status}, not running a step: claim() it first.")
    meter = Progress(run, report=report)
    try:
        step[run.status](run, meter)
    except (ImportFileError, ImportConflict) as exc:
        _failed(run, str(exc))
    except Exception:
        logger.exception("Import #%s failed while %s", run.pk, STEP_NAMES[run.status])
        _failed(
            run,
            f"Something went wrong while {STEP_NAMES[run.status]} this import, and nothing "
            "was written. The error was logged for the site's administrators; please try "
            "again later.",
        )
    finally:
        meter.close()


def file_info(run: Import) -> FileInfo:
    """Return what inspecting the import's file found, as the readers take it."""
    return FileInfo(
        format=run.format,
        encoding=run.encoding,
        delimiter=run.delimiter,
        header=run.header,
        layout=run.layout,
        mapping=run.mapping,
        samples=run.samples,
        rows_estimate=run.progress_total,
    )


def _preview(run: Import, meter) -> None:
    info = file_info(run)
    with storage.open_file(run) as stream:
        records = readers.read_records(
            stream, info, mapping=run.mapping if run.format == "csv" else None
        )
        counts = import_preview(import_run=run, records=records, progress=meter)
    rows = run.rows.count()
    run.counts = counts
    run.status = Status.PREVIEWED
    run.previewed_at = timezone.now()
    run.progress_done = run.progress_total = rows
    run.save(update_fields=["counts", "status", "previewed_at", "progress_done", "progress_total"])


def _commit(run: Import, meter) -> None:
    # The commit goes through every row but those with errors.
    meter.total = run.rows.exclude(outcome=ImportRow.Outcome.ERROR).count()
    # The status changes with the contacts, in their transaction: nobody sees
    # the contacts of an import that is not committed yet.
    with transaction.atomic():
        _hold_step(run)
        done = import_commit(import_run=run, progress=meter)
        run.counts = {**run.counts, **done}
        run.status = Status.COMMITTED
        # The commit's own time (after its last write), which the undo compares.
        run.committed_at = run.committed_at or timezone.now()
        run.progress_done = run.progress_total = meter.total
        run.save(
            update_fields=["counts", "status", "committed_at", "progress_done", "progress_total"]
        )
    # Undo works from the rows: the file is of no further use.
    run.chunks.all().delete()
    if meter.total >= ANALYZE_AFTER_ROWS:
        analyze_contact_book()


# An import of this many rows refreshes the planner's statistics itself.
ANALYZE_AFTER_ROWS = 5000


def _undo(run: Import, meter) -> None:
    meter.total = run.rows.filter(
        contact__isnull=False, outcome__in=[ImportRow.Outcome.CREATE, ImportRow.Outcome.UPDATE]
    ).count()
    with transaction.atomic():
        _hold_step(run)
        report = import_undo(import_run=run, progress=meter)
        run.undo_report = report
        run.status = Status.UNDONE
        run.undone_at = timezone.now()
        run.progress_done = run.progress_total = meter.total
        run.save(
            update_fields=["undo_report", "status", "undone_at", "progress_done", "progress_total"]
        )


def _failed(run: Import, message: str) -> None:
    """End the running step of ``run`` on ``message``; nothing of it stays written."""
    if run.status == Status.UNDOING:
        # The undo was rolled back: the import's contacts are still there.
        status = Status.COMMITTED
    else:
        status = Status.FAILED
        if run.status == Status.PREVIEWING:
            # The rows a broken preview wrote describe half a file.
            run.rows.all().delete()
            ImportKey.objects.filter(import_run=run).delete()
    Import.objects.filter(pk=run.pk).update(status=status, error=message)
    run.status, run.error = status, message


class Progress:
    """
    The ``progress(done)`` callable a step is given: keeps the import's
    ``progress_done`` current for the page (and tells ``report``, if any).
    """

    def __init__(self, run: Import, *, report=None):
        self.run = run
        self.total = run.progress_total
        self.report = report
        self._side = None  # the autocommitting connection, once needed

    def __call__(self, done: int) -> None:
        # An estimate of the rows may fall short of the file: the total follows.
        self.total = max(self.total, done)
        if self.report:
            self.report(done, self.total)
        if not connection.in_atomic_block:
            Import.objects.filter(pk=self.run.pk).update(
                progress_done=done, progress_total=self.total, worked_at=timezone.now()
            )
        elif connection.vendor == "postgresql":
            self._save_aside(done)

    def _save_aside(self, done: int) -> None:
        """Save from outside the step's transaction; skip when someone holds the row."""
        if self._side is None:
            self._side = connections.create_connection(DEFAULT_DB_ALIAS)
        table = connection.ops.quote_name(Import._meta.db_table)
        with self._side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET progress_done = %s, progress_total = %s, worked_at = %s "  # noqa: S608
                f"WHERE id = (SELECT id FROM {table} WHERE id = %s FOR UPDATE SKIP LOCKED)",
                [done, self.total, timezone.now(), self.run.pk],
            )

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None
