"""
Pages of the contact import: upload a file, choose how it maps and matches,
see the preview, commit it, undo it.

The work itself (reading the file, planning, committing, undoing) is done
by the import worker (``crm.imports.worker``, run by ``manage.py
crm_worker``), so a 100,000-row file never holds a request: these views
store the upload, queue a step, and show the import's state, which
``crm/static/crm/imports.js`` polls while a step runs.
"""

import contextlib

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Length
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..exceptions import NoTeam
from ..forms.imports import (
    PLAIN_UPLOAD_MAX_BYTES,
    OptionsForm,
    RowFilterForm,
    StartForm,
    UploadForm,
    limit_text,
)
from ..imports.normalise import display_name
from ..imports.readers import ImportFileError
from ..imports.storage import CHUNK_BYTES
from ..models import Import, ImportRow
from ..services.imports import (
    import_add_chunk,
    import_errors_csv,
    import_inspect,
    import_request_commit,
    import_request_preview,
    import_request_undo,
    import_start,
)
from .contacts import _download, downloads_not_stored

Status = Import.Status
IMPORTS_PER_PAGE = 20
ROWS_PER_PAGE = 50
# While one of these runs, the page shows its progress and reloads when it ends.
WORKING = {*Import.QUEUED, *Import.RUNNING}
# The outcomes a preview counts, in the order the page lists them: what the
# rows will do, then (committed) what they did.
TOTALS = [
    ("create", "To create", "Created"),
    ("update", "To update", "Updated"),
    ("skip", "To skip", "Skipped"),
    ("error", "With errors", "With errors"),
    ("duplicate", "Duplicates in the file", "Duplicates in the file"),
]


# Layouts the reader recognises from a CSV's header, as the options page names them.
LAYOUTS = {
    "google": "a Google Contacts CSV",
    "outlook": "an Outlook CSV",
    "crm": "this site's CSV export",
}


def _import_or_404(request, pk):
    """Return the import ``pk`` if the user may see it (its author, or staff), else 404."""
    return get_object_or_404(Import.objects.seen_by(request.user).select_related("author"), pk=pk)


def _refusal(message, status):
    """Answer imports.js with ``message`` (shown to the user) and an HTTP error status."""
    return JsonResponse({"error": message}, status=status)


@require_http_methods(["GET", "POST"])
def import_list(request):
    """
    Show the upload form and the user's imports, newest first. A file posted
    whole (the form without JavaScript) is stored and inspected here.
    """
    form = UploadForm(request.POST or None, request.FILES or None)
    if form.is_bound and form.is_valid():
        return _store_upload(request, form.cleaned_data["file"])
    imports = Import.objects.filter(author=request.user).order_by("-created", "-pk")
    page = Paginator(imports, IMPORTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "crm/imports/list.html",
        {
            "form": form,
            "page": page,
            "imports": page.object_list,
            "chunk_bytes": CHUNK_BYTES,
            "plain_max_bytes": PLAIN_UPLOAD_MAX_BYTES,
            "limit": limit_text(),
        },
    )


def _store_upload(request, upload):
    """Store a file posted whole through the same services the chunked upload uses."""
    name = StartForm({"name": upload.name or "file", "size": upload.size})
    if not name.is_valid():
        messages.error(request, name.error_message())
        return redirect("crm:import_list")
    try:
        import_run = import_start(
            author=request.user, file_name=name.cleaned_data["name"], size=upload.size
        )
    except NoTeam as exc:
        messages.error(request, str(exc))
        return redirect("crm:import_list")
    try:
        for number, data in enumerate(upload.chunks(CHUNK_BYTES)):
            import_add_chunk(import_run=import_run, number=number, data=data)
        import_inspect(import_run=import_run)
    except ImportFileError:
        pass  # the import is marked failed; its page says why
    return redirect(import_run)


@require_POST
def import_start_view(request):
    """Start a chunked upload of the file announced (name, size); answer where to send it."""
    form = StartForm(request.POST)
    if not form.is_valid():
        return _refusal(form.error_message(), 400)
    try:
        import_run = import_start(
            author=request.user,
            file_name=form.cleaned_data["name"],
            size=form.cleaned_data["size"],
        )
    except NoTeam as exc:
        return _refusal(str(exc), 403)
    return JsonResponse(
        {
            "id": import_run.pk,
            # Chunk n goes to chunk_url + "n/".
            "chunk_url": reverse("crm:import_chunk", args=[import_run.pk, 0]).removesuffix("0/"),
            "chunk_bytes": CHUNK_BYTES,
            "inspect_url": reverse("crm:import_inspect", args=[import_run.pk]),
        },
        status=201,
    )


def _stored(import_run):
    """Return how many chunks and bytes of ``import_run``'s file have arrived."""
    stored = import_run.chunks.aggregate(chunks=Count("pk"), size=Sum(Length("data")))
    return stored["chunks"], stored["size"] or 0


@require_POST
def import_chunk(request, import_id, number):
    """
    Store chunk ``number`` of an upload (the request's body, at most
    ``CHUNK_BYTES``). Chunks come in order, each once: anything else is
    refused with its reason, and the file so far stays as it was.
    """
    import_run = _import_or_404(request, import_id)
    if import_run.status != Status.UPLOADING:
        return _refusal("This import has its whole file already: upload the file again.", 409)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    # Said before the body is read: a body over the limit is never held in memory.
    if length > CHUNK_BYTES:
        return _refusal(f"A chunk is at most {CHUNK_BYTES:,} bytes; this one has {length:,}.", 413)
    data = request.body
    if not data:
        return _refusal("The chunk is empty.", 400)
    chunks, size = _stored(import_run)
    if number != chunks:
        return _refusal(
            f"Chunk {chunks} was expected, not chunk {number}: chunks are sent in order, once.",
            409,
        )
    if size + len(data) > import_run.size:
        return _refusal(
            f"The file is longer than the {import_run.size:,} bytes announced: upload it again.",
            413,
        )
    try:
        with transaction.atomic():
            import_add_chunk(import_run=import_run, number=number, data=data)
    except ImportFileError as exc:
        return _refusal(str(exc), 413)
    except ValueError as exc:
        # The import moved on meanwhile (another tab finished or failed it).
        return _refusal(str(exc), 409)
    except IntegrityError:
        return _refusal(f"Chunk {number} arrived twice.", 409)
    return JsonResponse({"number": number, "received": size + len(data)})


@require_POST
def import_inspect_view(request, import_id):
    """Once every chunk is in, read the file's head (format, columns); answer the import's page."""
    import_run = _import_or_404(request, import_id)
    if import_run.status == Status.UPLOADING:
        chunks, size = _stored(import_run)
        if size != import_run.size:
            return _refusal(
                f"The upload is incomplete: {size:,} of {import_run.size:,} bytes arrived. "
                "Upload the file again.",
                400,
            )
        # A file that cannot be imported marks the import failed, and an import
        # another request moved on is as that one left it: its page says which.
        with contextlib.suppress(ValueError):
            import_inspect(import_run=import_run)
    return JsonResponse({"url": import_run.get_absolute_url()})


@require_GET
def import_progress(request, import_id):
    """Answer how far the import's current step is, for imports.js to draw and to reload."""
    import_run = _import_or_404(request, import_id)
    return JsonResponse(
        {
            "status": import_run.status,
            "status_label": import_run.get_status_display(),
            "percent": import_run.percent,
            "done": import_run.progress_done,
            "total": import_run.progress_total,
            "counts": import_run.counts,
        }
    )


def _rows_page(request, import_run):
    """Return the filter form and the page of rows it chooses, each row with its name."""
    filter_form = RowFilterForm(request.GET)
    rows = (
        filter_form.rows(import_run)
        .select_related("contact")
        .only(
            *(f.name for f in ImportRow._meta.concrete_fields if f.name not in ("cells", "before")),
            "contact__name",
        )
    )
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    for row in page.object_list:
        values = row.values if isinstance(row.values, dict) else {}
        # The name the file gives (the plan's values), else the matched contact's.
        row.display_name = display_name(values.get("contact") or {}) or (
            row.contact.name if row.contact else ""
        )
    return filter_form, page


def _totals(import_run):
    counts, done = import_run.counts or {}, import_run.status == Status.COMMITTED
    return [(key, done and past or label, counts.get(key, 0)) for key, label, past in TOTALS]


@require_GET
def import_detail(request, import_id):
    """Show the import as its status has it: options, progress, preview, result or error."""
    import_run = _import_or_404(request, import_id)
    status = import_run.status
    if status == Status.UPLOADED:
        return _options_page(request, import_run, OptionsForm(import_run=import_run))
    context = {
        "import_run": import_run,
        "working": status in WORKING,
        "queued": status in Import.QUEUED,
    }
    if status in (Status.PREVIEWED, Status.COMMITTED):
        filter_form, page = _rows_page(request, import_run)
        counts = import_run.counts or {}
        context |= {
            "totals": _totals(import_run),
            "filter_form": filter_form,
            "page": page,
            "rows": page.object_list,
            "to_write": counts.get("create", 0) + counts.get("update", 0),
            "errors": counts.get("error", 0),
        }
    return render(request, "crm/imports/detail.html", context)


def _options_page(request, import_run, form):
    return render(
        request,
        "crm/imports/options.html",
        {
            "import_run": import_run,
            "form": form,
            "recognised": import_run.layout in LAYOUTS,
            "layout_label": LAYOUTS.get(import_run.layout, ""),
        },
    )


@require_http_methods(["GET", "POST"])
def import_options(request, import_id):
    """Choose how rows match and, for a CSV, what each column is; then queue the preview."""
    import_run = _import_or_404(request, import_id)
    # A preview that failed mid-file (a bad line) may be tried with other options.
    if import_run.status not in (Status.UPLOADED, Status.PREVIEWED) and not (
        import_run.status == Status.FAILED and import_run.format
    ):
        messages.error(request, "The options of this import can no longer be changed.")
        return redirect(import_run)
    form = OptionsForm(request.POST if request.method == "POST" else None, import_run=import_run)
    if form.is_bound and form.is_valid():
        try:
            import_request_preview(
                import_run=import_run,
                match=form.cleaned_data["match"],
                on_match=form.cleaned_data["on_match"],
                mapping=form.mapping(),
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect(import_run)
    if form.is_bound:
        messages.error(request, "The preview was not started: please correct the options below.")
    return _options_page(request, import_run, form)


@require_POST
def import_commit(request, import_id):
    """Queue the import of the previewed rows into the contact book."""
    import_run = _import_or_404(request, import_id)
    try:
        import_request_commit(import_run=import_run)
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect(import_run)


def _undo_counts(import_run):
    """Return how many contacts an undo removes (created) and restores (updated)."""
    return import_run.rows.filter(contact__isnull=False).aggregate(
        removed=Count("pk", filter=Q(outcome=ImportRow.Outcome.CREATE)),
        restored=Count("pk", filter=Q(outcome=ImportRow.Outcome.UPDATE)),
    )


@require_http_methods(["GET", "POST"])
def import_undo(request, import_id):
    """Ask to confirm, then queue the undo: created contacts removed, updated ones restored."""
    import_run = _import_or_404(request, import_id)
    if request.method == "POST":
        try:
            import_request_undo(import_run=import_run)
        except ValueError as exc:
            messages.error(request, str(exc))
        return redirect(import_run)
    if import_run.status != Status.COMMITTED:
        messages.error(request, "Only an imported file can be undone.")
        return redirect(import_run)
    context = {"import_run": import_run, **_undo_counts(import_run)}
    return render(request, "crm/imports/undo_confirm.html", context)


@require_GET
@downloads_not_stored
def import_errors(request, import_id):
    """Download the rows with errors as CSV, to fix them and import them again."""
    import_run = _import_or_404(request, import_id)
    if not import_run.rows.filter(outcome=ImportRow.Outcome.ERROR).exists():
        messages.info(request, "No row of this import has an error.")
        return redirect(import_run)
    stem = slugify(import_run.file_name.rsplit(".", 1)[0]) or "import"
    return _download(
        import_errors_csv(import_run=import_run),
        content_type="text/csv; charset=utf-8",
        filename=f"{stem}-errors.csv",
    )
