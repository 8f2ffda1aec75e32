"""Pages of groups of similar records: the list, one group, and its status actions."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..charts import daily_periods, hourly_periods
from ..forms import GroupFilterForm
from ..groups import tallies_fold
from ..models import Application, LogGroup, LogMessage
from ..queries.groups import group_counts, group_rows
from ..queries.records import Cursor, record_page, record_rows, record_senders
from ..sparklines import sparkline
from .chips import filter_chips

GROUPS_PER_PAGE = 50
RECORDS_PER_PAGE = 20
# Each action: what its button says, and what it says it did.
ACTIONS = {
    LogGroup.Status.RESOLVED: "Resolve",
    LogGroup.Status.MUTED: "Mute",
    LogGroup.Status.OPEN: "Reopen",
}
DONE = {
    LogGroup.Status.RESOLVED: "Resolved: a new record reopens it.",
    LogGroup.Status.MUTED: "Muted: new records still count, and never reopen it.",
    LogGroup.Status.OPEN: "Reopened.",
}


@staff_member_required
def group_list(request):
    """List groups, filtered, searched and sorted, each with its last 48 hours drawn."""
    # Counts as of this request, whatever the worker has folded yet.
    tallies_fold()
    applications = list(Application.objects.order_by("name"))
    form = GroupFilterForm(request.GET, applications=applications)
    filters = form.filters()
    rows = group_rows(
        application=filters.get("app"),
        min_level=filters.get("level"),
        status=filters.get("status", ""),
        search=filters.get("q", ""),
        sort=filters.get("sort", "last_seen"),
    )
    page = Paginator(rows, GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    periods = hourly_periods(timezone.now(), hours=48)
    # One query for every row's sparkline.
    counts = group_counts([group.pk for group in page], period="hour", periods=periods)
    for group in page:
        group.sparkline = sparkline(counts[group.pk], title="Last 48 hours")
    return render(
        request,
        "remotelog/groups.html",
        {
            "form": form,
            "chips": filter_chips(form, filters, params=request.GET, skip=("sort",)),
            "page": page,
            "sort": filters.get("sort", "last_seen"),
        },
    )


@staff_member_required
def group_detail(request, group_id):
    """Show a group: its sparklines, its latest records, who sent them, and its actions."""
    tallies_fold()
    group = get_object_or_404(LogGroup.objects.select_related("application"), pk=group_id)
    now = timezone.now()
    sparklines = []
    for period, periods, title in (
        ("hour", hourly_periods(now, hours=48), "Per hour, last 48 hours"),
        ("day", daily_periods(now, days=30), "Per day, last 30 days"),
    ):
        counts = group_counts([group.pk], period=period, periods=periods)[group.pk]
        sparklines.append(sparkline(counts, width=480, height=48, title=title))
    # The group's records all lie between its first and last seen: PostgreSQL
    # reads only the day partitions in between.
    page = record_page(
        record_rows(group=group, since=group.first_seen, until=group.last_seen),
        size=RECORDS_PER_PAGE,
        before=Cursor.parse(request.GET.get("before")),
    )
    senders = record_senders(
        LogMessage.objects.filter(
            group=group, created__gte=group.first_seen, created__lte=group.last_seen
        )
    )
    return render(
        request,
        "remotelog/group_detail.html",
        {
            "group": group,
            "sparklines": sparklines,
            "page": page,
            "senders": senders,
            "actions": [
                (status.value, label) for status, label in ACTIONS.items() if status != group.status
            ],
        },
    )


@staff_member_required
@require_POST
def group_status(request, group_id):
    """Resolve, mute or reopen a group (POST ``status``), writing its status alone."""
    group = get_object_or_404(LogGroup, pk=group_id)
    status = request.POST.get("status")
    if status not in LogGroup.Status.values:
        messages.error(request, "Choose resolved, muted or open.")
    else:
        LogGroup.objects.filter(pk=group.pk).set_status(status)
        messages.success(request, DONE[status])
    return redirect("remotelog:group_detail", group_id=group.pk)
