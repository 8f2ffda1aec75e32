"""
What the API says of an import: its schemas, and the functions filling them
from an ``Import`` (``summary()``, ``detail()``, ``error_rows()``).

Rows naming a contact name it only when the user sees it (crm.visibility):
a contact matched or created by an import may have moved to another team since.
"""

import math
from datetime import datetime
from typing import Literal

from django.urls import reverse
from ninja import Schema
from pydantic import Field

from ...imports import storage
from ...imports.layouts import FIELDS
from ...imports.normalise import display_name
from ...imports.readers import MAX_COLUMNS, max_import_bytes
from ...models import Contact, Import, ImportRow

ImportStatus = Import.Status
Outcome = ImportRow.Outcome
ID_MAX = 2**63 - 1  # the largest id a BigAutoField holds
SAMPLE_ROWS = 20
# Statuses whose rows are a preview of the whole file (and, once committed, what it did).
PREVIEWED = {
    ImportStatus.PREVIEWED,
    ImportStatus.COMMIT_QUEUED,
    ImportStatus.COMMITTING,
    ImportStatus.COMMITTED,
    ImportStatus.UNDO_QUEUED,
    ImportStatus.UNDOING,
    ImportStatus.UNDONE,
}


def _size_limit(schema: dict) -> None:
    # Read when the schema is made, as the import's own checks read it.
    schema["maximum"] = max_import_bytes()


class StartIn(Schema):
    file_name: str = Field(
        max_length=1000,
        # A name after its folders, not blank: the web's form says the same.
        pattern=r"^[^\x00]*[^\x00\s\x1c-\x1f\x85/\\][^\x00/\\]*$",
        description="The file's name, e.g. contacts.csv (folders before it are dropped).",
    )
    size: int = Field(
        ge=1,
        json_schema_extra=_size_limit,
        description="The file's size in bytes, at most the import's limit (CRM_IMPORT_MAX_BYTES).",
    )


class Upload(Schema):
    chunk_size: int = Field(description="Bytes of each chunk but the last, which has the rest.")
    chunks_expected: int = Field(description="How many chunks make the file.")
    chunks_received: int | None = Field(
        description="How many have arrived, while the import is uploading (else null)."
    )
    url_template: str = Field(description="Where to PUT chunk n (from 0): replace {number} with n.")


class Progress(Schema):
    done: int = Field(description="Rows the running (or last) step has gone through.")
    total: int = Field(description="Rows it will go through (an estimate until previewed).")
    percent: int = Field(ge=0, le=100, description="done over total, 0 to 100.")


class Column(Schema):
    index: int = Field(description="The column's place, from 0.")
    heading: str = Field(description="The column's heading in the file.")
    field: str = Field(description='The field it fills ("" ignored), as the mapping says.')
    samples: list[str] = Field(description="A few values of the column, from filled rows.")


class FileInfo(Schema):
    format: Literal["", "csv", "vcard"] = Field(description='"csv" or "vcard"; "" unread.')
    encoding: str = Field(description="The text encoding detected.")
    delimiter: str = Field(description="A CSV's delimiter.")
    layout: str = Field(description="A CSV's layout: google, outlook, crm (ours) or custom.")
    columns: list[Column] = Field(description="A CSV's columns; none for a vCard.")


MatchBy = Literal[tuple(Import.Match.values)]
OnMatch = Literal[tuple(Import.OnMatch.values)]
MappedField = Literal[("", *FIELDS)]


class Options(Schema):
    match: MatchBy = Field(description="How a row finds an existing contact.")
    on_match: OnMatch = Field(description="What a row matching a contact does.")
    mapping: list[str] = Field(description="A CSV's field per column, in order.")


class Counts(Schema):
    create: int = Field(0, description="Rows that create a contact (or created one).")
    update: int = Field(0, description="Rows that update a contact (or updated one).")
    skip: int = Field(0, description="Rows skipped: they match a contact, nothing to change.")
    error: int = Field(0, description="Rows refused, each with its reasons.")
    duplicate: int = Field(0, description="Rows matching an earlier row of the file.")


class ContactRef(Schema):
    id: int = Field(description="The contact's id.")
    name: str = Field(description="The contact's name.")


class Change(Schema):
    field: str = Field(description="The field, as the preview names it.")
    before: str = Field(description="The contact's value now.")
    after: str = Field(description="The file's value.")


class Row(Schema):
    line: int = Field(description="The row's line in a CSV, or the card's number.")
    outcome: Literal[tuple(Outcome.values)] = Field(description="What the row does.")
    name: str = Field(description="The name the row gives (or its contact's).")
    contact: ContactRef | None = Field(description="The contact it matches or created.")
    diff: list[Change] = Field(description="What an update changes, field by field.")
    errors: list[str] = Field(description="Why the row is refused.")
    warnings: list[str] = Field(description="What was read differently than given.")
    duplicate_of: int | None = Field(description="The earlier line of the file it matches.")


class Preview(Schema):
    counts: Counts = Field(description="Rows per outcome (once committed: what was done).")
    sample: list[Row] = Field(description=f"The file's first {SAMPLE_ROWS} rows.")
    errors_url: str = Field(description="Where the rows with errors are listed.")


class Left(Schema):
    contact: ContactRef | None = Field(description="The contact (null: gone or unseen).")
    reason: str = Field(description="Why the undo left it as it is.")


class ImportSummary(Schema):
    id: int = Field(description="The import's id.")
    url: str = Field(description="The import's status URL.")
    file_name: str = Field(description="The file's name.")
    size: int = Field(description="The file's size in bytes.")
    created: datetime = Field(description="When the upload started.")
    status: Literal[tuple(ImportStatus.values)] = Field(description="Where the import is.")
    status_label: str = Field(description="The status, for a person.")
    error: str = Field(description="Why the import failed (or an undo did), else empty.")
    progress: Progress = Field(description="How far the running (or last) step went.")


class ImportOut(ImportSummary):
    upload: Upload = Field(description="How to send the file.")
    file: FileInfo = Field(description="What inspecting the file found.")
    options: Options = Field(description="The options of the preview.")
    preview: Preview | None = Field(description="The preview, once the import is previewed.")
    left_by_undo: list[Left] = Field(description="Contacts changed since, left by the undo.")
    previewed_at: datetime | None = Field(description="When the last preview ended.")
    committed_at: datetime | None = Field(description="When the commit ended.")
    undone_at: datetime | None = Field(description="When the undo ended.")


class ImportPage(Schema):
    items: list[ImportSummary] = Field(description="The user's imports, newest first.")
    next: str | None = Field(description="The cursor of the next page; null on the last.")


class PreviewIn(Schema):
    match: MatchBy = Field(description="Find an existing contact by email, phone, name or never.")
    on_match: OnMatch = Field(description="Update a matching contact, skip the row, or create.")
    mapping: list[MappedField] | None = Field(
        None,
        max_length=MAX_COLUMNS,
        description='For a CSV, the field each column fills, in order ("" ignores it); '
        "left out, the mapping guessed (or last chosen) stays.",
    )


class ErrorRow(Schema):
    line: int = Field(description="The row's line in a CSV, or the card's number.")
    name: str = Field(description="The name the row gives.")
    cells: list[str] = Field(description="A CSV row's cells as the file had them.")
    errors: list[str] = Field(description="Why the row is refused.")


class ErrorPage(Schema):
    items: list[ErrorRow] = Field(description="The rows with errors, in file order.")
    next: str | None = Field(description="The cursor of the next page; null on the last.")


def url(name: str, run: Import) -> str:
    """Return the URL of the API's operation ``name`` on ``run``."""
    return reverse(f"api:{name}", kwargs={"import_id": run.pk})


def chunk_template(run: Import) -> str:
    """Return where chunk n of ``run``'s file goes, with ``{number}`` for n."""
    first = reverse("api:import_chunk", kwargs={"import_id": run.pk, "number": 0})
    return first.removesuffix("0") + "{number}"


def chunks_expected(run: Import) -> int:
    """Return how many chunks make the file of ``run``."""
    return math.ceil(run.size / storage.CHUNK_BYTES)


def summary(run: Import) -> dict:
    """Return ``run`` as ImportSummary has it."""
    return {
        "id": run.pk,
        "url": url("import_read", run),
        "file_name": run.file_name,
        "size": run.size,
        "created": run.created,
        "status": run.status,
        "status_label": run.get_status_display(),
        "error": run.error,
        "progress": {
            "done": run.progress_done,
            "total": run.progress_total,
            "percent": run.percent,
        },
    }


def _visible_names(user, ids) -> dict[int, str]:
    """Return {id: name} of the contacts among ``ids`` that ``user`` sees (one query)."""
    ids = {pk for pk in ids if pk}
    if not ids:
        return {}
    return dict(Contact.objects.visible_to(user).filter(pk__in=ids).values_list("pk", "name"))


def _ref(pk, names):
    return {"id": pk, "name": names[pk]} if pk in names else None


def _sample(user, run: Import) -> list[dict]:
    rows = list(run.rows.order_by("line").defer("cells", "before")[:SAMPLE_ROWS])
    names = _visible_names(user, [row.contact_id for row in rows])
    return [
        {
            "line": row.line,
            "outcome": row.outcome,
            "name": display_name((row.values or {}).get("contact") or {})
            or names.get(row.contact_id, ""),
            "contact": _ref(row.contact_id, names),
            "diff": [
                {key: str(change.get(key, "")) for key in Change.model_fields}
                for change in row.diff
            ],
            "errors": row.errors,
            "warnings": row.warnings,
            "duplicate_of": row.duplicate_of,
        }
        for row in rows
    ]


def _left(user, run: Import) -> list[dict]:
    report = run.undo_report or []
    names = _visible_names(user, [entry.get("contact") for entry in report])
    return [
        {"contact": _ref(entry.get("contact"), names), "reason": entry.get("reason", "")}
        for entry in report
    ]


def _columns(run: Import) -> list[dict]:
    if run.format != "csv":
        return []
    mapping, samples = run.mapping or [], run.samples or []
    return [
        {
            "index": i,
            "heading": heading,
            "field": mapping[i] if i < len(mapping) else "",
            "samples": samples[i] if i < len(samples) else [],
        }
        for i, heading in enumerate(run.header or [])
    ]


def detail(user, run: Import) -> dict:
    """Return the import as ImportOut has it."""
    uploading = run.status == ImportStatus.UPLOADING
    previewed = run.status in PREVIEWED
    return {
        **summary(run),
        "upload": {
            "chunk_size": storage.CHUNK_BYTES,
            "chunks_expected": chunks_expected(run),
            "chunks_received": run.chunks.count() if uploading else None,
            "url_template": chunk_template(run),
        },
        "file": {
            "format": run.format,
            "encoding": run.encoding,
            "delimiter": run.delimiter,
            "layout": run.layout,
            "columns": _columns(run),
        },
        "options": {"match": run.match, "on_match": run.on_match, "mapping": run.mapping or []},
        "preview": {
            "counts": run.counts or {},
            "sample": _sample(user, run),
            "errors_url": url("import_errors", run),
        }
        if previewed
        else None,
        "left_by_undo": _left(user, run),
        "previewed_at": run.previewed_at,
        "committed_at": run.committed_at,
        "undone_at": run.undone_at,
    }


def _chars(cells) -> int:
    return sum(len(str(cell)) for cell in cells or ())


def error_rows(run: Import, *, after: int, limit: int, max_chars: int) -> dict:
    """
    Return the page of ``run``'s rows with errors after line ``after``, as
    ErrorPage: up to ``limit`` rows, fewer once their cells pass ``max_chars``
    (always one at least).
    """
    rows = run.rows.filter(outcome=Outcome.ERROR, line__gt=after).order_by("line")
    rows = rows.values_list("line", "cells", "values", "errors")
    items, chars, following = [], 0, None
    for line, cells, values, errors in rows[: limit + 1]:
        if len(items) == limit or (items and chars + _chars(cells) > max_chars):
            following = str(items[-1]["line"])
            break
        chars += _chars(cells)
        items.append(
            {
                "line": line,
                "name": display_name((values or {}).get("contact") or {}),
                "cells": [str(cell) for cell in cells or ()],
                "errors": errors or [],
            }
        )
    return {"items": items, "next": following}
