"""The import worker: queued previews, commits and undos run by ``run_pending``, and failures."""

import datetime
import io
import logging
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from crm.imports import commit, worker
from crm.imports.commit import ImportConflict
from crm.imports.worker import claim, process, run_pending
from crm.models import Contact, Import, ImportRow
from crm.services.imports import (
    import_request_commit,
    import_request_preview,
    import_request_undo,
)
from crm.tests.factories import make_contact
from locking.testing import test_concurrently

from .uploads import PEOPLE, PEOPLE_MAPPING, committed, csv_file, previewed, undone, upload

pytestmark = pytest.mark.django_db
Status = Import.Status


def names():
    return sorted(Contact.objects.values_list("name", flat=True))


def test_nothing_queued_nothing_run(user):
    upload(user, PEOPLE)  # uploaded, not queued
    assert run_pending() == 0
    assert run_pending(once=False) == 0


def test_a_queued_preview_is_run_and_writes_only_its_rows(user):
    run = previewed(user)
    assert run.status == Status.PREVIEWED, run.error
    assert run.counts == {"create": 2, "update": 0, "skip": 0, "error": 1, "duplicate": 0}
    assert run.previewed_at is not None
    assert run.progress_done == run.progress_total == 3
    assert run.percent == 100
    outcomes = run.rows.order_by("line").values_list("line", "outcome")
    assert list(outcomes) == [(2, "create"), (3, "create"), (4, "error")]
    assert "not-an-email@" in " ".join(run.rows.get(line=4).errors)
    assert names() == []


def test_a_queued_commit_writes_the_contacts_then_the_undo_takes_them_back(user):
    kept = make_contact("Someone Else", email="else@example.org")
    run = committed(user)
    assert run.status == Status.COMMITTED, run.error
    assert run.committed_at is not None
    assert run.counts["create"] == 2
    assert names() == ["Ada Lovelace", "Charles Babbage", "Someone Else"]
    assert Contact.objects.get(emails__address="ada@example.org").phones.count() == 1
    # The file is of no further use once committed.
    assert not run.chunks.exists()

    run = undone(run)
    assert run.status == Status.UNDONE, run.error
    assert run.undone_at is not None
    assert run.undo_report == []
    assert names() == ["Someone Else"]
    assert Contact.objects.get() == kept


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics")
@pytest.mark.parametrize("rows_to_analyze", [2, 3])
def test_a_large_commit_refreshes_the_planners_statistics(user, monkeypatch, rows_to_analyze):
    # Two rows are committed (the third has an error): "large" from two.
    monkeypatch.setattr(worker, "ANALYZE_AFTER_ROWS", rows_to_analyze)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_contact")
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'crm_contact'")
        assert cursor.fetchone()[0] <= 0  # sampled empty (-1 or 0)
    committed(user)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'crm_contact'")
        assert (cursor.fetchone()[0] == 2) == (rows_to_analyze == 2)


def test_the_worker_runs_one_import_at_a_time_oldest_first(user):
    first = upload(user, PEOPLE)
    second = upload(user, PEOPLE)
    for run in (second, first):
        import_request_preview(
            import_run=run, match="email", on_match="skip", mapping=PEOPLE_MAPPING
        )
    assert run_pending(once=True) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.PREVIEWED, Status.PREVIEW_QUEUED)
    assert run_pending(once=False) == 1
    second.refresh_from_db()
    assert second.status == Status.PREVIEWED


def test_progress_is_told_every_batch(user):
    rows = [[f"Person{i}", "Test", f"p{i}@example.org", ""] for i in range(2500)]
    run = upload(user, csv_file(["First name", "Last name", "Email", "Phone"], *rows))
    import_request_preview(import_run=run, match="email", on_match="skip", mapping=PEOPLE_MAPPING)
    heard = []
    process(claim(), report=lambda done, total: heard.append((done, total)))
    run.refresh_from_db()
    assert run.status == Status.PREVIEWED, run.error
    assert [done for done, _ in heard] == [1000, 2000, 2500]
    assert all(done <= total for done, total in heard)
    assert run.progress_done == run.progress_total == 2500


def test_a_file_broken_halfway_fails_the_preview_with_its_reason(user):
    # Valid UTF-8 at the start, where the encoding is guessed; not valid far down.
    good = [[f"José{i}", "Test", f"p{i}@example.org", ""] for i in range(60000)]
    data = csv_file(["First name", "Last name", "Email", "Phone"], *good)
    data += b"Bad\xff\xfeName,Row,bad@example.org,\r\n"
    run = upload(user, data)
    assert run.status == Status.UPLOADED, run.error
    import_request_preview(import_run=run, match="email", on_match="skip", mapping=PEOPLE_MAPPING)
    run = _worked(run)
    assert run.status == Status.FAILED
    assert "60002" in run.error
    assert not run.rows.exists()
    assert names() == []


def _worked(run):
    assert run_pending(once=False) == 1
    run.refresh_from_db()
    return run


def test_a_conflict_at_commit_fails_it_and_writes_nothing(user, monkeypatch):
    run = previewed(user)

    def conflicting(*, import_run, progress):
        make_contact("Written Before The Conflict")
        raise ImportConflict("Someone edited these contacts at the same moment.")

    monkeypatch.setattr(worker, "import_commit", conflicting)
    import_request_commit(import_run=run)
    run = _worked(run)
    assert (run.status, run.error) == (
        Status.FAILED,
        "Someone edited these contacts at the same moment.",
    )
    assert run.committed_at is None
    assert names() == []
    # The rows of the preview are still there: preview again, then commit.
    assert run.rows.count() == 3
    monkeypatch.setattr(worker, "import_commit", commit.import_commit)
    import_request_preview(import_run=run, match="email", on_match="skip")
    assert _worked(run).status == Status.PREVIEWED
    import_request_commit(import_run=run)
    assert _worked(run).status == Status.COMMITTED
    assert names() == ["Ada Lovelace", "Charles Babbage"]


def test_an_unexpected_error_fails_the_import_is_logged_and_the_worker_goes_on(
    user, monkeypatch, caplog
):
    broken, fine = upload(user, PEOPLE), upload(user, PEOPLE)
    for run in (broken, fine):
        import_request_preview(
            import_run=run, match="email", on_match="skip", mapping=PEOPLE_MAPPING
        )
    real_preview = worker.import_preview

    def preview(*, import_run, records, progress):
        if import_run.pk == broken.pk:
            raise ZeroDivisionError("a bug")
        return real_preview(import_run=import_run, records=records, progress=progress)

    monkeypatch.setattr(worker, "import_preview", preview)
    with caplog.at_level(logging.ERROR, logger="crm.imports"):
        assert run_pending(once=False) == 2
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert broken.status == Status.FAILED
    assert broken.error.startswith("Something went wrong while previewing this import")
    assert "a bug" not in broken.error
    assert fine.status == Status.PREVIEWED
    (record,) = caplog.records
    assert record.getMessage() == f"Import #{broken.pk} failed while previewing"
    assert "ZeroDivisionError: a bug" in caplog.text


def test_an_undo_that_fails_leaves_the_import_committed(user, monkeypatch):
    run = committed(user)

    def failing(*, import_run, progress):
        Contact.objects.all().delete()
        raise ImportConflict("The contact book was busy; nothing was undone.")

    monkeypatch.setattr(worker, "import_undo", failing)
    import_request_undo(import_run=run)
    run = _worked(run)
    assert (run.status, run.error) == (
        Status.COMMITTED,
        "The contact book was busy; nothing was undone.",
    )
    assert names() == ["Ada Lovelace", "Charles Babbage"]
    monkeypatch.setattr(worker, "import_undo", commit.import_undo)
    assert undone(run).status == Status.UNDONE
    assert names() == []


def test_an_undo_reports_a_contact_edited_since_and_leaves_it(user):
    run = committed(user)
    ada = Contact.objects.get(emails__address="ada@example.org")
    ada.job_title = "Analyst"
    ada.save()
    run = undone(run)
    assert run.status == Status.UNDONE
    assert [entry["contact"] for entry in run.undo_report] == [ada.pk]
    assert names() == ["Ada Lovelace"]


def test_process_refuses_an_import_not_claimed(user):
    run = upload(user, PEOPLE)
    with pytest.raises(ValueError, match="claim"):
        process(run)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_take_two_imports(make_user):
    user = make_user()
    runs = [upload(user, PEOPLE) for _ in range(2)]
    for run in runs:
        import_request_preview(
            import_run=run, match="email", on_match="skip", mapping=PEOPLE_MAPPING
        )
    taken = []

    @test_concurrently(2)
    def take():
        run = claim()
        taken.append(run.pk)
        process(run)

    take()
    assert sorted(taken) == sorted(run.pk for run in runs)
    assert set(Import.objects.values_list("status", flat=True)) == {Status.PREVIEWED}
    assert ImportRow.objects.count() == 6


def test_a_step_whose_worker_died_is_taken_again_once_silent_long_enough(user):
    run = previewed(user)
    import_request_commit(import_run=run)
    # A worker claimed the commit, then was killed: its transaction rolled back.
    lost = claim()
    assert lost.status == Status.COMMITTING
    assert run_pending() == 0  # still within its time: it may be working
    silent_since = timezone.now() - worker.STALE_AFTER - datetime.timedelta(seconds=1)
    Import.objects.filter(pk=run.pk).update(worked_at=silent_since)
    assert run_pending() == 1
    run.refresh_from_db()
    assert run.status == Status.COMMITTED, run.error
    assert names() == ["Ada Lovelace", "Charles Babbage"]
    assert run_pending() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="an advisory lock of PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_silent_commit_still_running_is_not_taken_again(make_user):
    run = committed(make_user())
    import_request_undo(import_run=run)
    running = claim()
    silent_since = timezone.now() - worker.STALE_AFTER - datetime.timedelta(seconds=1)
    Import.objects.filter(pk=run.pk).update(worked_at=silent_since)
    holding, release = threading.Event(), threading.Event()

    def undo_waiting_for_locks():
        # The undo's transaction, waiting: it holds the step's lock, saves no progress.
        try:
            with transaction.atomic():
                worker._hold_step(running)
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=undo_waiting_for_locks)
    thread.start()
    try:
        assert holding.wait(30)
        assert claim() is None
    finally:
        release.set()
        thread.join()
    assert claim().pk == run.pk


def test_the_worker_command_once_runs_what_is_queued(user):
    out = io.StringIO()
    call_command("crm_worker", once=True, stdout=out)
    assert out.getvalue() == "0 import step(s) and 0 bulk job(s) run.\n"
    runs = [upload(user, PEOPLE) for _ in range(2)]
    for run in runs:
        import_request_preview(import_run=run, match="email", on_match="skip")
    call_command("crm_worker", once=True, stdout=out)
    assert out.getvalue().endswith("2 import step(s) and 0 bulk job(s) run.\n")
    assert set(Import.objects.values_list("status", flat=True)) == {Status.PREVIEWED}


def database_url():
    """Return the URL of the test database, for a command run in another process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_polls_runs_and_stops_on_sigterm(make_user):
    run = upload(make_user(), PEOPLE)
    worker_process = subprocess.Popen(
        [sys.executable, "manage.py", "crm_worker"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": database_url()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Queued while the worker polls: it finds it on its own.
        import_request_preview(import_run=run, match="email", on_match="skip")
        for _ in range(600):
            run.refresh_from_db()
            if run.status not in (Status.PREVIEW_QUEUED, Status.PREVIEWING):
                break
            time.sleep(0.1)
        assert run.status == Status.PREVIEWED, run.error
        worker_process.send_signal(signal.SIGTERM)
        _, errors = worker_process.communicate(timeout=60)
    finally:
        if worker_process.poll() is None:
            worker_process.kill()
            worker_process.communicate()
    assert worker_process.returncode == 0, errors
    assert run.counts["create"] == 2
