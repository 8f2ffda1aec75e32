"""
Workflows of a contact import, as the web pages and the command drive it:
upload the file in chunks, inspect it, ask for a preview, a commit or an undo.

The long steps (preview, commit, undo) are only requested here: the status
says what is asked, and a worker (``crm.imports.worker``) does it. Every
change of status locks the import's row first (``select_for_update``), so a
double click, two tabs, or a request racing the worker never both act: the
second sees the status the first left and is told why nothing happened.
"""

import contextlib
import csv
from collections.abc import Iterator

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Length

from ..exports.spreadsheet import BYTE_ORDER_MARK, spreadsheet_text
from ..imports import layouts, readers, storage
from ..imports.readers import ImportFileError
from ..models import Import, ImportChunk, ImportRow, display_name
from .teams import contact_defaults

Status = Import.Status


MiB = 1024 * 1024


def _amount(size: int, *, places: int = 1) -> str:
    return f"{size / MiB:,.{places}f} MiB" if size >= MiB else f"{size:,} bytes"


def _too_big(size: int | None = None) -> str:
    """Say that a file of ``size`` bytes (None: a growing upload) is over the limit."""
    limit = _amount(readers.max_import_bytes(), places=0)
    if size is None:
        return f"The file is larger than the {limit} an import takes."
    return f"The file is {_amount(size)}; an import takes files up to {limit}."


@contextlib.contextmanager
def _locked(import_run: Import, *, allowed, doing: str):
    """
    Lock the import's row in a transaction and yield it fresh from the database,
    if its status is one of ``allowed``; else raise ValueError saying why
    ``doing`` cannot be done now. On the way out, copy what was saved onto
    ``import_run``, so the caller's object stays true.
    """
    with transaction.atomic():
        locked = Import.objects.select_for_update().get(pk=import_run.pk)
        if locked.status not in allowed:
            raise ValueError(
                f"Cannot {doing}: the import is {locked.get_status_display().lower()}."
            )
        yield locked
    for field in Import._meta.concrete_fields:
        setattr(import_run, field.attname, getattr(locked, field.attname))


def import_start(*, author, file_name: str, size: int) -> Import:
    """
    Record the upload of a file of ``size`` bytes by ``author``; its chunks
    follow. Raise NoTeam when ``author`` may not create contacts (in no team,
    when each team sees its own).
    """
    contact_defaults(user=author)
    if size < 0:
        raise ValueError("The file's size cannot be negative.")
    if size > readers.max_import_bytes():
        raise ImportFileError(_too_big(size))
    name = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    field = Import._meta.get_field("file_name")
    return Import.objects.create(
        author=author, file_name=name[: field.max_length] or "upload", size=size
    )


def import_add_chunk(*, import_run: Import, number: int, data: bytes) -> None:
    """
    Store piece ``number`` (from 0) of the file: at most 1 MiB, sent again replaces it.

    Past the import size limit, the upload fails: its chunks are dropped, the
    import is FAILED and ImportFileError says why.
    """
    if number < 0:
        raise ValueError("Chunks are numbered from 0.")
    if not data:
        raise ValueError("A chunk cannot be empty.")
    if len(data) > storage.CHUNK_BYTES:
        raise ValueError(f"A chunk may hold at most {storage.CHUNK_BYTES} bytes.")
    failure = None
    with _locked(import_run, allowed=[Status.UPLOADING], doing="add to the file") as run:
        others = run.chunks.exclude(number=number).aggregate(size=Sum(Length("data")))["size"] or 0
        if others + len(data) > readers.max_import_bytes():
            failure = ImportFileError(_too_big())
            _fail(run, str(failure))
        else:
            ImportChunk.objects.update_or_create(
                import_run=run, number=number, defaults={"data": data}
            )
    if failure:
        raise failure


def _fail(run: Import, message: str) -> None:
    """Mark ``run`` (locked) FAILED because of its file: the file is of no further use."""
    run.chunks.all().delete()
    run.status = Status.FAILED
    run.error = message
    run.save(update_fields=["status", "error"])


def _check_complete(run: Import) -> int:
    """Return the stored file's size; raise ImportFileError when a chunk is missing."""
    sizes = storage.chunk_sizes(run)
    total = sum(size for _, size in sizes)
    if [number for number, _ in sizes] != list(range(len(sizes))) or (
        run.size and total != run.size
    ):
        raise ImportFileError(
            f"The upload is incomplete ({total} of {run.size} bytes arrived). "
            "Please upload the file again."
        )
    if total > readers.max_import_bytes():
        raise ImportFileError(_too_big(total))
    return total


def import_inspect(*, import_run: Import) -> Import:
    """
    Read the head of the uploaded file: its format, encoding, layout and
    columns, and a guess of the mapping; the import is then UPLOADED.

    A file that cannot be imported (empty, binary, not text...) makes the
    import FAILED with the reason, and the ImportFileError is raised again.
    """
    failure = None
    with _locked(
        import_run, allowed=[Status.UPLOADING, Status.UPLOADED], doing="inspect the file"
    ) as run:
        try:
            run.size = _check_complete(run)
            with storage.open_file(run) as stream:
                info = readers.inspect(stream, name=run.file_name)
        except ImportFileError as exc:
            failure = exc
            _fail(run, str(exc))
        else:
            for field in ("format", "encoding", "delimiter", "layout", "header", "mapping"):
                setattr(run, field, getattr(info, field))
            run.samples = info.samples
            run.progress_total = info.rows_estimate
            run.progress_done = 0
            run.status = Status.UPLOADED
            run.error = ""
            run.save()
    if failure:
        raise failure
    return import_run


def _checked_mapping(run: Import, mapping) -> list[str]:
    """Return ``mapping`` for the run's file, or raise ValueError saying what is wrong."""
    if run.format != "csv":
        if mapping:
            raise ValueError("Only a CSV file has columns to map.")
        return []
    mapping = list(mapping)
    if len(mapping) != len(run.header):
        raise ValueError(
            f"The mapping names {len(mapping)} columns; the file has {len(run.header)}."
        )
    for column, key in zip(run.header, mapping, strict=True):
        if key and key not in layouts.FIELDS:
            raise ValueError(f"Column “{column}” is mapped to an unknown field: {key!r}.")
    if not any(mapping):
        raise ValueError("Map at least one column to a field: every column is ignored.")
    return mapping


def import_request_preview(
    *, import_run: Import, match: str, on_match: str, mapping: list[str] | None = None
) -> None:
    """
    Ask the worker for a preview with these options (and, for a CSV, this
    column ``mapping``; None keeps the one guessed); a previewed import may
    ask again with other options.
    """
    if match not in Import.Match.values:
        raise ValueError(f"Unknown way to match a contact: {match!r}.")
    if on_match not in Import.OnMatch.values:
        raise ValueError(f"Unknown choice for a matching contact: {on_match!r}.")
    allowed = [Status.UPLOADED, Status.PREVIEWED, Status.FAILED]
    with _locked(import_run, allowed=allowed, doing="preview") as run:
        if not run.format:
            # Failed before it was inspected: there is no file to preview.
            raise ValueError(f"Cannot preview: {run.error or 'the file was not read.'}")
        if mapping is not None:
            run.mapping = _checked_mapping(run, mapping)
        run.match, run.on_match = match, on_match
        run.status = Status.PREVIEW_QUEUED
        run.progress_done = 0
        run.counts = {}
        run.error = ""
        run.save()


def import_change_options(*, import_run: Import) -> None:
    """Go back from a preview (or a failed one) to the options and mapping, to preview again."""
    allowed = [Status.UPLOADED, Status.PREVIEWED, Status.FAILED]
    with _locked(import_run, allowed=allowed, doing="change the options") as run:
        if not run.format:
            raise ValueError(f"Cannot change the options: {run.error or 'the file was not read.'}")
        run.status = Status.UPLOADED
        run.progress_done = 0
        run.error = ""
        run.save(update_fields=["status", "progress_done", "error"])


def import_request_commit(*, import_run: Import) -> None:
    """Ask the worker to write the previewed rows to the contact book."""
    with _locked(import_run, allowed=[Status.PREVIEWED], doing="import") as run:
        run.status = Status.COMMIT_QUEUED
        run.progress_done = 0
        run.error = ""
        run.save(update_fields=["status", "progress_done", "error"])


def import_request_undo(*, import_run: Import) -> None:
    """Ask the worker to undo a committed import."""
    with _locked(import_run, allowed=[Status.COMMITTED], doing="undo the import") as run:
        run.status = Status.UNDO_QUEUED
        run.progress_done = 0
        run.error = ""
        run.save(update_fields=["status", "progress_done", "error"])


class _Line:
    """A file-like object whose write() returns the line, for csv.writer."""

    def write(self, value):
        return value


def _row_name(values: dict) -> str:
    """Return the name of a row's contact, from its values (see crm.imports.normalise)."""
    own = values.get("contact") or {}
    return own.get("name") or display_name(own)


def import_errors_csv(*, import_run: Import) -> Iterator[str]:
    """
    Yield, as CSV lines, the rows the preview found errors in, to fix and
    import again: a CSV's own header and cells, as the file had them, with
    an "Error" column added; for vCards, the card's number, its name and the
    errors.

    The text starts with a byte-order mark, as the exports do. The file's
    cells go back as they came (an export of this site's has its formula
    guards already, and adding one would change a "+44" number on the way
    back in); the cells this site writes cannot run as a spreadsheet formula.
    """
    delimiter = import_run.delimiter if import_run.format == "csv" else ","
    writer = csv.writer(_Line(), delimiter=delimiter or ",")
    rows = (
        ImportRow.objects.filter(import_run=import_run, outcome=ImportRow.Outcome.ERROR)
        .order_by("line")
        .values_list("line", "cells", "values", "errors")
    )
    if import_run.format == "csv":
        yield BYTE_ORDER_MARK + writer.writerow([*import_run.header, "Error"])
        for _, cells, _, errors in rows.iterator(chunk_size=1000):
            yield writer.writerow([*cells, spreadsheet_text(" ".join(errors))])
    else:
        yield BYTE_ORDER_MARK + writer.writerow(["Card", "Name", "Error"])
        for number, _, values, errors in rows.iterator(chunk_size=1000):
            name = spreadsheet_text(_row_name(values or {}))
            yield writer.writerow([number, name, spreadsheet_text(" ".join(errors))])
