"""
Reading groups of similar records: the list, and their sparklines' counts.

Groups are few per application (one per distinct problem), so a list of them
is paged and counted the ordinary way; log records are never counted here.
"""

from django.db.models import Q

from ..models import LogGroup, LogGroupCount

# The orders the list offers, each newest or largest first, each read from an
# (application, <column>, id) index.
SORTS = {
    "last_seen": ("-last_seen", "-id"),
    "count": ("-count", "-id"),
    "first_seen": ("-first_seen", "-id"),
}


def group_rows(*, application=None, min_level=None, status="", search="", sort="last_seen"):
    """Return the groups matching every filter given, in the order ``sort`` names."""
    rows = LogGroup.objects.select_related("application")
    if application is not None:
        rows = rows.filter(application=application)
    if min_level is not None:
        rows = rows.filter(levelno__gte=min_level)
    if status:
        rows = rows.filter(status=status)
    if search:
        rows = rows.filter(
            Q(template__icontains=search)
            | Q(logger__icontains=search)
            | Q(exception__icontains=search)
        )
    return rows.order_by(*SORTS.get(sort, SORTS["last_seen"]))


def group_counts(group_ids, *, period, periods):
    """
    Return {group id: [records in each of ``periods``]} for the groups, in one query.

    ``period`` is "hour" or "day"; ``periods`` are the (start, end) pairs of
    the buckets wanted, oldest first, as remotelog.charts makes them.
    """
    index = {start: position for position, (start, _) in enumerate(periods)}
    counts = {group_id: [0] * len(periods) for group_id in group_ids}
    buckets = LogGroupCount.objects.filter(
        group__in=group_ids, period=period, start__gte=periods[0][0], start__lt=periods[-1][1]
    ).values_list("group_id", "start", "count")
    for group_id, start, records in buckets:
        position = index.get(start)
        if position is not None:
            counts[group_id][position] += records
    return counts
