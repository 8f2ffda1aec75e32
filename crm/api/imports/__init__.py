"""
Importing a file through the API, in steps, as the web's import pages do:
announce the file, send it in chunks, have it inspected, ask for a preview
with options, then commit it, and undo it if need be.

Each step calls the import's services (``crm.services.imports``), which own
every rule and status change; the long steps (preview, commit, undo) are
only queued, for the import worker (``manage.py crm_worker``): their
operations answer 202 with the import, whose ``url`` tells how it goes.
Who may see an import is ``Import.objects.seen_by()``: its author, or
staff; anyone else's is 404, as on the web. What the answers hold is in
``crm.api.imports.schemas``.
"""

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpResponse, RawPostDataException
from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router, Status

from ...exceptions import NoTeam
from ...forms.imports import OptionsForm, StartForm
from ...imports import storage
from ...imports.layouts import FIELDS
from ...imports.readers import ImportFileError
from ...models import Import
from ...permissions import IMPORT, UNDO_IMPORT
from ...services.imports import (
    import_add_chunk,
    import_inspect,
    import_request_commit,
    import_request_preview,
    import_request_undo,
    import_start,
)
from ..access import require
from ..problems import ERRORS, Problem, problem
from .schemas import (
    ID_MAX,
    ErrorPage,
    ImportOut,
    ImportPage,
    PreviewIn,
    StartIn,
    chunks_expected,
    detail,
    error_rows,
    summary,
    url,
)

router = Router(tags=["imports"])

ImportStatus = Import.Status
PAGE_SIZE, PAGE_SIZE_MAX = 50, 200
# A page of rows with errors stops once their cells pass this many characters
# (a row may hold up to 1 MiB): every page stays a bounded answer.
ERRORS_PAGE_CHARS = 1024 * 1024

ImportId = Path(..., ge=1, le=ID_MAX, description="The import's id.")
Cursor = Query(
    None, max_length=18, pattern=r"^\d+$", description="The `next` of the previous page."
)
Limit = Query(PAGE_SIZE, ge=1, le=PAGE_SIZE_MAX, description="How many items a page holds.")


def _import_or_404(request, import_id: int) -> Import:
    """Return the import if the user may see it (its author, or staff), else 404."""
    return get_object_or_404(Import.objects.seen_by(request.user), pk=import_id)


def _accepted(request, response: HttpResponse, run: Import) -> Status:
    """Answer 202 with the import, its status URL also in ``Location``."""
    response["Location"] = url("import_read", run)
    return Status(202, detail(request.user, run))


def _page(rows, key, limit: int):
    """Return a page's items and the cursor of the next (``key`` of its last item), or None."""
    items = list(rows[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return items, (str(key(items[-1])) if more and items else None)


@router.post(
    "/",
    response={201: ImportOut, **ERRORS},
    url_name="import_create",
    summary="Start an import",
    description="Announce a file (its name and size) to send in chunks. The answer says how "
    "big each chunk is, how many to send and where (`upload.url_template`).",
)
def import_create(request, response: HttpResponse, payload: StartIn):
    require(request, IMPORT)
    form = StartForm({"name": payload.file_name, "size": payload.size})
    if not form.is_valid():
        errors = [
            {"field": "body.file_name" if name == "name" else f"body.{name}", "message": message}
            for name, messages in form.errors.items()
            for message in messages
        ]
        return problem(422, "Some values were refused: see errors.", errors=errors)
    try:
        run = import_start(
            author=request.user, file_name=form.cleaned_data["name"], size=payload.size
        )
    except NoTeam as exc:
        return problem(403, str(exc))
    except ImportFileError as exc:  # over the size limit
        return problem(422, str(exc), errors=[{"field": "body.size", "message": str(exc)}])
    response["Location"] = url("import_read", run)
    return Status(201, detail(request.user, run))


@router.get(
    "/",
    response={200: ImportPage, **ERRORS},
    url_name="import_list",
    summary="List your imports",
    description="Your imports, newest first, a page at a time.",
)
def import_list(request, cursor: str | None = Cursor, limit: int = Limit):
    require(request, IMPORT)
    imports = Import.objects.filter(author=request.user).order_by("-pk")
    if cursor is not None:
        imports = imports.filter(pk__lt=int(cursor))
    items, following = _page(imports, lambda run: run.pk, limit)
    return {"items": [summary(run) for run in items], "next": following}


@router.get(
    "/{import_id}",
    response={200: ImportOut, **ERRORS},
    url_name="import_read",
    summary="Read an import",
    description="The import's status and progress, what its file is, its options and, once "
    "previewed, the preview's totals and first rows. Poll it while a step runs.",
)
def import_read(request, import_id: int = ImportId):
    require(request, IMPORT)
    return Status(200, detail(request.user, _import_or_404(request, import_id)))


CHUNK_BODY = {
    "requestBody": {
        "required": True,
        "description": "The chunk's bytes: each chunk but the last is exactly "
        "`upload.chunk_size` bytes of the file, the last has the rest.",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def _chunk_bytes(request) -> bytes | HttpResponse:
    """Return the request's body, or the problem refusing it (never reading one too big)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    too_big = f"A chunk is at most {storage.CHUNK_BYTES:,} bytes"
    # Said before the body is read: a body over the limit is never held in memory.
    if length > storage.CHUNK_BYTES:
        return problem(413, f"{too_big}; this one has {length:,}.")
    try:
        data = request.body
    except (RequestDataTooBig, RawPostDataException):
        return problem(413, f"{too_big}.")
    return data


@router.put(
    "/{import_id}/chunks/{number}",
    response={204: None, **ERRORS, 409: Problem, 413: Problem},
    url_name="import_chunk",
    openapi_extra=CHUNK_BODY,
    summary="Send a chunk of the file",
    description="Store chunk `number` (from 0) of the file, in any order; sending one again "
    "replaces it. A number past the file announced, or a chunk of another length than its "
    "place in the file, is a 409; a body over the chunk size a 413. Refused (409) once the "
    "file is inspected.",
)
def import_chunk(
    request,
    import_id: int = ImportId,
    number: int = Path(..., ge=0, le=ID_MAX, description="The chunk's number, from 0."),
):
    require(request, IMPORT)
    run = _import_or_404(request, import_id)
    data = _chunk_bytes(request)
    if isinstance(data, HttpResponse):
        return data
    expected = chunks_expected(run)
    if number >= expected:
        # Not a bad number as such: one past the end of the file announced.
        return problem(409, f"The file has {expected} chunks, numbered from 0 to {expected - 1}.")
    start = number * storage.CHUNK_BYTES
    length = min(storage.CHUNK_BYTES, run.size - start)
    if len(data) != length:
        # As for the number: the body is judged against the file announced.
        return problem(
            409,
            f"Chunk {number} holds bytes {start:,} to {start + length - 1:,} of the file: "
            f"{length:,} bytes, not {len(data):,}.",
        )
    try:
        with transaction.atomic():
            import_add_chunk(import_run=run, number=number, data=data)
    except ImportFileError as exc:
        return problem(413, str(exc))
    except ValueError as exc:  # the import has its file, or failed
        return problem(409, str(exc))
    except IntegrityError:  # the same chunk, sent twice at once
        return problem(409, f"Chunk {number} arrived twice at once: send it again.")
    return Status(204, None)


@router.post(
    "/{import_id}/inspect",
    response={200: ImportOut, **ERRORS, 409: Problem},
    url_name="import_inspect",
    summary="Inspect the uploaded file",
    description="Once every chunk is in, read the head of the file: its format, encoding, "
    "columns and a guessed mapping (as the web does, in the request: it reads at most "
    "1,000 rows). A file that cannot be imported fails the import, answered 422 with why.",
)
def import_inspect_op(request, import_id: int = ImportId):
    require(request, IMPORT)
    run = _import_or_404(request, import_id)
    if run.status == ImportStatus.UPLOADING:
        received = set(run.chunks.values_list("number", flat=True))
        missing = [n for n in range(chunks_expected(run)) if n not in received]
        if missing:
            listed = ", ".join(map(str, missing[:20])) + (", ..." if len(missing) > 20 else "")
            return problem(409, f"The upload is incomplete: chunks {listed} are missing.")
    elif run.status == ImportStatus.UPLOADED:
        return Status(200, detail(request.user, run))  # inspected already
    try:
        import_inspect(import_run=run)
    except ImportFileError as exc:
        return problem(422, str(exc))
    except ValueError as exc:
        return problem(409, str(exc))
    return Status(200, detail(request.user, run))


def _form_errors(form) -> list[dict]:
    """Return ``form``'s errors as the problem's, named as PreviewIn names its fields."""
    fields = {"__all__": "body", "match": "body.match", "on_match": "body.on_match"}
    return [
        {"field": fields.get(name) or f"body.mapping.{name.removeprefix('column_')}", "message": m}
        for name, messages in form.errors.items()
        for m in messages
    ]


@router.post(
    "/{import_id}/preview",
    response={202: ImportOut, **ERRORS, 409: Problem},
    url_name="import_preview",
    summary="Preview the import",
    description="Queue a preview with these options, checked as the web's options form "
    "checks them (422): what each row would do, nothing written. A mapping naming another "
    "number of columns than the file has is a 409. A previewed (or failed) import may be "
    "previewed again with other options.",
)
def import_preview_op(
    request, response: HttpResponse, payload: PreviewIn, import_id: int = ImportId
):
    require(request, IMPORT)
    run = _import_or_404(request, import_id)
    mapping = payload.mapping
    if run.format == "csv" and mapping is not None and len(mapping) != len(run.header):
        # A mapping of another file: well formed, but not this file's (a conflict, as chunks).
        message = f"The file has {len(run.header)} columns; the mapping names {len(mapping)}."
        return problem(409, message, errors=[{"field": "body.mapping", "message": message}])
    # Left out, the import's own mapping, as the options page shows it.
    columns = (
        mapping if mapping is not None else [f if f in FIELDS else "" for f in run.mapping or []]
    )
    data = {"match": payload.match, "on_match": payload.on_match}
    data |= {f"column_{i}": field for i, field in enumerate(columns)}
    form = OptionsForm(data, import_run=run)
    if not form.is_valid():
        return problem(422, "Some values were refused: see errors.", errors=_form_errors(form))
    try:
        import_request_preview(
            import_run=run,
            match=form.cleaned_data["match"],
            on_match=form.cleaned_data["on_match"],
            mapping=form.mapping() if form.columns else mapping or None,
        )
    except ValueError as exc:
        return problem(409, str(exc))
    return _accepted(request, response, run)


@router.post(
    "/{import_id}/commit",
    response={202: ImportOut, **ERRORS, 409: Problem},
    url_name="import_commit",
    summary="Import the previewed rows",
    description="Queue the commit of a previewed import: all of its rows but those with "
    "errors written to the contact book, in one transaction.",
)
def import_commit_op(request, response: HttpResponse, import_id: int = ImportId):
    require(request, IMPORT)
    run = _import_or_404(request, import_id)
    try:
        import_request_commit(import_run=run)
    except ValueError as exc:
        return problem(409, str(exc))
    return _accepted(request, response, run)


@router.post(
    "/{import_id}/undo",
    response={202: ImportOut, **ERRORS, 409: Problem},
    url_name="import_undo",
    summary="Undo the import",
    description="Queue the undo of a committed import: the contacts it created are removed "
    "and those it updated restored, except those changed since, left and listed.",
)
def import_undo_op(request, response: HttpResponse, import_id: int = ImportId):
    require(request, UNDO_IMPORT)
    run = _import_or_404(request, import_id)
    try:
        import_request_undo(import_run=run)
    except ValueError as exc:
        return problem(409, str(exc))
    return _accepted(request, response, run)


@router.get(
    "/{import_id}/errors",
    response={200: ErrorPage, **ERRORS},
    url_name="import_errors",
    summary="List the rows with errors",
    description="The rows the preview refused, in file order, with their reasons and (for a "
    "CSV) their cells as the file had them, to fix and import again. JSON, a page at a time; "
    "a page holds fewer rows than `limit` when their cells pass 1 MiB.",
)
def import_errors(
    request, import_id: int = ImportId, cursor: str | None = Cursor, limit: int = Limit
):
    require(request, IMPORT)
    run = _import_or_404(request, import_id)
    after = int(cursor) if cursor is not None else 0
    return error_rows(run, after=after, limit=limit, max_chars=ERRORS_PAGE_CHARS)
