"""The log viewer: records newest first, every filter in the URL, and its live tail."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.text import Truncator

from ..forms import RecordFilterForm
from ..models import Application, LogGroup
from ..queries.records import Cursor, record_page, record_rows
from .chips import filter_chips

# Records per page: a screenful or two to read, and what one tail answer carries.
PAGE_SIZE = 50
# How often the live tail asks for newer records, in seconds.
POLL_SECONDS = 3
# The form's field names, and the arguments of record_rows they fill.
QUERY_ARGUMENTS = {
    "app": "application",
    "level": "min_level",
    "logger": "logger",
    "group": "group",
    "since": "since",
    "until": "until",
    "q": "text",
}


def filtered(request):
    """Return the viewer's filter form and the records its valid filters select."""
    applications = list(Application.objects.order_by("name"))
    form = RecordFilterForm(request.GET, applications=applications)
    filters = form.filters()
    rows = record_rows(**{QUERY_ARGUMENTS[name]: value for name, value in filters.items()})
    return form, filters, rows


@staff_member_required
def record_list(request):
    """
    Show a page of records, newest first, with the filters as chips.

    ``?before=`` and ``?after=`` (cursors) page towards older and newer
    records; the newest page, whose range is open, keeps itself current
    through `record_feed` when JavaScript runs.
    """
    form, filters, rows = filtered(request)
    before = Cursor.parse(request.GET.get("before"))
    after = None if before else Cursor.parse(request.GET.get("after"))
    page = record_page(rows, size=PAGE_SIZE, before=before, after=after)
    labels = {}
    if "group" in filters:
        group = LogGroup.objects.filter(pk=filters["group"]).first()
        labels["group"] = f"#{filters['group']} {Truncator(group).chars(60) if group else '(none)'}"
    return render(
        request,
        "remotelog/records.html",
        {
            "form": form,
            "chips": filter_chips(form, filters, params=request.GET, labels=labels),
            "page": page,
            # A page that starts below the newest record, or a range that
            # ends, has nothing to tail.
            "tail": before is None and "until" not in filters,
            "poll_seconds": POLL_SECONDS,
        },
    )


@staff_member_required
def record_feed(request):
    """
    Answer the live tail: the records newer than ``?after=`` matching the filters, as JSON.

    ``html`` holds their rows, newest first, to put above those shown;
    ``after`` is where the next look starts; ``more`` says whether more are
    already waiting (a burst larger than a page).
    """
    _, _, rows = filtered(request)
    after = Cursor.parse(request.GET.get("after"))
    if after is None:
        return JsonResponse({"error": "after=<microseconds>,<id> is required."}, status=400)
    page = record_page(rows, size=PAGE_SIZE, after=after)
    html = render_to_string(
        "remotelog/includes/record_rows.html", {"records": page.records}, request=request
    )
    return JsonResponse({"html": html, "after": str(page.tail), "more": page.more_newer})
