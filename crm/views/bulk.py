"""
The contact list's bulk actions: tag, untag, export, delete, merge or assign
(owner, team, sharing) the selected contacts.
"""

import functools

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from .. import exports
from ..conf import settings
from ..exceptions import ContactBookError
from ..forms.bulk import BulkActionForm, list_filters
from ..models import BulkJob
from ..services.bulk import contacts_tag, contacts_untag
from ..services.history import source
from ..services.jobs import INLINE_MAX, bulk_job_queue
from ..services.teams import contacts_assign
from ..services.trash import contacts_trash
from .contacts import _download, downloads_not_stored

# Names the delete confirmation lists before "and N more".
NAMED = 5


def _contacts(count):
    return f"{number_format(count, force_grouping=True)} contact{'s' if count != 1 else ''}"


def _back(request, form, *, done, nothing):
    """Go back to the list saying ``done``, or ``nothing`` when ``done`` is empty."""
    if done:
        messages.success(request, done)
    else:
        messages.info(request, nothing)
    return redirect(form.list_url)


def _many(form):
    """
    Return how many "all matching" contacts there are past ``INLINE_MAX``,
    or 0 when they are few enough (or ticked) for the request to act on.
    """
    if not form.cleaned_data["all"]:
        return 0
    contacts = form.contacts().order_by().values("pk")
    if contacts[: INLINE_MAX + 1].count() <= INLINE_MAX:
        return 0
    return contacts.count()


def _queue(request, form, matched):
    """Leave the action on ``matched`` contacts to the worker; show its page."""
    job = bulk_job_queue(
        author=request.user,
        action=form.cleaned_data["action"],
        tag_name=form.cleaned_data["tag_name"],
        assignment=form.assignment() if form.cleaned_data["action"] == "assign" else None,
        filters=list_filters(form.data),
        list_url=form.list_url,
        matched=matched,
    )
    return redirect(job)


def _tag(request, form):
    if matched := _many(form):
        return _queue(request, form, matched)
    name = form.cleaned_data["tag_name"]
    count = contacts_tag(contacts=form.contacts(), tag=name)
    done = count and f"Tagged {_contacts(count)} with “{name}”."
    nothing = "No contact was tagged: the selected contacts no longer exist."
    return _back(request, form, done=done, nothing=nothing)


def _untag(request, form):
    if matched := _many(form):
        return _queue(request, form, matched)
    name = form.cleaned_data["tag_name"]
    count = contacts_untag(contacts=form.contacts(), tag=name)
    done = count and f"Removed “{name}” from {_contacts(count)}."
    nothing = f"None of the selected contacts is tagged “{name}”."
    return _back(request, form, done=done, nothing=nothing)


def _assign(request, form):
    if matched := _many(form):
        return _queue(request, form, matched)
    count = contacts_assign(contacts=form.contacts(), **form.assignment(), author=request.user)
    done = count and f"Assigned {_contacts(count)}: {form.assignment_text()}."
    nothing = "Nothing was assigned: the selected contacts no longer exist."
    return _back(request, form, done=done, nothing=nothing)


def _export(request, form, *, render_rows, content_type, extension):
    contacts = form.contacts()
    if not contacts.exists():
        messages.error(request, "Nothing to export: the selected contacts no longer exist.")
        return redirect(form.list_url)
    return _download(
        render_rows(contacts), content_type=content_type, filename=f"contacts.{extension}"
    )


def _delete(request, form):
    contacts = form.contacts()
    if "confirmed" not in request.POST:
        count = contacts.count()
        if not count:
            messages.error(request, "Nothing to delete: the selected contacts no longer exist.")
            return redirect(form.list_url)
        names = contacts.order_by("sort_name", "pk").values_list("name", flat=True)[:NAMED]
        context = {"form": form, "count": count, "names": names, "more": count - len(names)}
        context["days"] = settings.TRASH_DAYS
        return render(request, "crm/contact_bulk_confirm_delete.html", context)
    if matched := _many(form):
        return _queue(request, form, matched)
    count = contacts_trash(contacts=contacts, by=request.user)
    trash = reverse("crm:trash_list")
    done = count and format_html('Moved {} to the <a href="{}">trash</a>.', _contacts(count), trash)
    nothing = "Nothing was deleted: the selected contacts were deleted already."
    return _back(request, form, done=done, nothing=nothing)


def _merge(request, form):
    pks = list(form.contacts().order_by("pk").values_list("pk", flat=True)[:3])
    if len(pks) != 2:
        messages.error(request, "Select exactly two contacts to merge them.")
        return redirect(form.list_url)
    # The older contact is kept by default; the merge page lets one choose every value.
    return redirect("crm:contact_merge", *pks)


def _exporter(render_rows, *, content_type, extension):
    return downloads_not_stored(
        functools.partial(
            _export, render_rows=render_rows, content_type=content_type, extension=extension
        )
    )


ACTIONS = {
    "tag": _tag,
    "untag": _untag,
    "export_csv": _exporter(
        exports.csv_lines, content_type="text/csv; charset=utf-8", extension="csv"
    ),
    "export_vcf": _exporter(
        exports.vcards, content_type="text/vcard; charset=utf-8", extension="vcf"
    ),
    "delete": _delete,
    "merge": _merge,
    "assign": _assign,
}


@require_POST
def contact_bulk(request):
    """
    Act on the contacts selected on the list, or on all those it matches,
    then go back to the list as it was. Delete asks for confirmation first.
    """
    form = BulkActionForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, form.error_message())
        return redirect(form.list_url)
    try:
        with source("bulk"):
            return ACTIONS[form.cleaned_data["action"]](request, form)
    except ContactBookError as exc:
        messages.error(request, str(exc))
        return redirect(form.list_url)


def bulk_job(request, job_id):
    """
    Show a bulk action left to the worker: waiting, running, or what it did.
    Only its author (or staff) sees it; the page reloads itself while it works.
    """
    job = get_object_or_404(BulkJob, pk=job_id)
    if job.author_id != request.user.pk and not request.user.is_staff:
        raise Http404("No such job.")
    return render(request, "crm/bulk_job.html", {"job": job, "matched": _contacts(job.matched)})
