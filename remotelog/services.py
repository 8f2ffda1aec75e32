"""Workflows of the remote log: storing batches, purging old records."""

from django.db import IntegrityError, transaction

from .models import LogMessage


def log_messages_store(*, application, rows):
    """
    Store ``rows`` (unsaved LogMessages) all or nothing; return (stored, duplicates).

    A row whose `client_id` the application already stored, or that repeats an
    earlier row of the same batch, is skipped: a client retrying a batch whose
    answer it lost creates no duplicates. When a concurrent retry of the same
    batch wins the race, the unique constraint refuses ours and we look again.
    """
    for attempt in range(3):
        try:
            with transaction.atomic():
                for row in rows:
                    row.pk = None  # a failed attempt may have numbered some rows
                ids = {row.client_id for row in rows if row.client_id is not None}
                seen = set(
                    LogMessage.objects.filter(application=application, client_id__in=ids)
                    .values_list("client_id", flat=True)
                    .order_by()
                )
                new = []
                for row in rows:
                    if row.client_id is not None:
                        if row.client_id in seen:
                            continue
                        seen.add(row.client_id)
                    new.append(row)
                LogMessage.objects.bulk_create(new)
            return len(new), len(rows) - len(new)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def log_messages_purge(*, application, before, chunk_size, progress=None):
    """
    Delete the application's records made before ``before``; return how many.

    Deletes ``chunk_size`` rows per statement, each in its own transaction, so a
    purge of millions holds no long lock and can be interrupted and rerun;
    ``progress(deleted)`` is called after each chunk.
    """
    old = LogMessage.objects.filter(application=application, created__lt=before)
    deleted = 0
    while True:
        # Oldest first, along the (application, created, id) index.
        chunk = old.order_by("created", "id").values("id")[:chunk_size]
        count, _ = LogMessage.objects.filter(pk__in=chunk).delete()
        if not count:
            return deleted
        deleted += count
        if progress is not None:
            progress(deleted)
