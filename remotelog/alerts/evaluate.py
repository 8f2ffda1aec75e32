"""
What each alert rule announces: new groups, reopened groups, busy windows.

Ingest never sends anything: a pass of the worker reads the groups and the
record counts, and makes a `Notification` (with one `Delivery` per channel)
for each group and period not announced yet. The notification's key names
the period, and (rule, key) is unique, so however many workers run, each
period is announced once.
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef

from ..models import AlertRule, Delivery, LogGroup, LogMessage, Notification

# Ids come from a sequence in the order groups are made, not the order they
# commit: a pass looks back over this many ids below the highest it saw, so a
# group whose batch commits late is still found (the notification's unique
# key keeps it from being announced twice).
ID_LOOKBACK = 10_000
# Reopened groups are found by their last record's time (the sender's clock),
# read from the (application, last_seen) index; this far back, for clocks
# that run late.
REOPEN_LOOKBACK = datetime.timedelta(days=1)
# The most notifications one rule makes in one pass: a storm of new groups
# is announced over several passes instead of in one long transaction.
PER_PASS = 100


def evaluate(rule, *, now):
    """Make the notifications ``rule`` owes at ``now``; return how many were made."""
    if rule.kind == AlertRule.Kind.THRESHOLD:
        return _threshold(rule, now)
    if rule.kind == AlertRule.Kind.NEW_GROUP:
        return _new_groups(rule, now)
    return _reopened_groups(rule, now)


def _new_groups(rule, now):
    announced = Notification.objects.filter(rule=rule, group=OuterRef("pk"))
    groups = list(
        LogGroup.objects.filter(application_id=rule.application_id, id__gt=rule.group_watermark)
        .exclude(Exists(announced))
        .order_by("id")[:PER_PASS]
    )
    made = sum(
        _notify(rule, now=now, group=group, key=f"new:{group.pk}", what="new group")
        for group in groups
    )
    if len(groups) < PER_PASS:
        top = LogGroup.objects.filter(application_id=rule.application_id).aggregate(top=Max("id"))
        watermark = max(rule.group_watermark, (top["top"] or 0) - ID_LOOKBACK)
        AlertRule.objects.filter(pk=rule.pk).update(group_watermark=watermark)
    return made


def _reopened_groups(rule, now):
    groups = list(
        LogGroup.objects.filter(
            application_id=rule.application_id,
            last_seen__gte=max(rule.created, now - REOPEN_LOOKBACK),
            times_reopened__gt=0,
        )
        .exclude(
            Exists(
                Notification.objects.filter(
                    rule=rule, group=OuterRef("pk"), reopening=OuterRef("times_reopened")
                )
            )
        )
        .order_by("last_seen", "id")[:PER_PASS]
    )
    return sum(
        _notify(
            rule,
            now=now,
            group=group,
            key=f"reopened:{group.pk}:{group.times_reopened}",
            what=f"reopened ({group.times_reopened}×)",
        )
        for group in groups
    )


def window_start(rule, now):
    """Return the start of the M-minute window (counted from the epoch) holding ``now``."""
    minutes = int(now.timestamp() // 60)
    start = minutes - minutes % rule.window_minutes
    return datetime.datetime.fromtimestamp(start * 60, tz=datetime.UTC)


def _threshold(rule, now):
    """
    Notify once per window when the last M minutes hold N records at level L or above.

    The count reads the (application, created) index over the window's time
    range only: on PostgreSQL, one or two day partitions. It stops at N.
    """
    since = now - datetime.timedelta(minutes=rule.window_minutes)
    start = window_start(rule, now)
    key = f"window:{start:%Y-%m-%dT%H:%M}"
    if Notification.objects.filter(rule=rule, key=key).exists():
        return 0
    records = LogMessage.objects.filter(
        application_id=rule.application_id,
        created__gt=since,
        created__lte=now,
        levelno__gte=rule.min_level,
    ).order_by()
    if records[: rule.threshold].count() < rule.threshold:
        return 0
    what = f"{rule.threshold} or more records at level {rule.min_level} or above"
    return _notify(rule, now=now, group=None, key=key, what=f"{what} in {rule.window_minutes} min")


def notification(rule, *, now, group, key, what):
    """Return the unsaved notification of ``rule`` announcing ``what`` about ``group``."""
    application = rule.application
    subject = f"[remotelog] {application.name}: {what}"
    if group is not None:
        subject += f": {group.levelname} {group.logger}: {group.template[:80]}"
    return Notification(
        rule=rule,
        group=group,
        key=key,
        reopening=group.times_reopened if group else None,
        subject=subject.replace("\n", " ")[:255],
        payload={
            "rule": rule.name,
            "kind": rule.kind,
            "application": application.slug,
            "event": what,
            "key": key,
            "group": group and _group_fields(group),
            "noticed_at": now.isoformat(),
        },
        created=now,
    )


def _notify(rule, *, now, group, key, what):
    """Make the notification ``key`` of ``rule`` and its deliveries; return 1, or 0 if it exists."""
    try:
        with transaction.atomic():
            made = notification(rule, now=now, group=group, key=key, what=what)
            made.save(force_insert=True)
            Delivery.objects.bulk_create(
                Delivery(notification=made, channel=channel, next_attempt_at=now)
                for channel in rule.channels
            )
    except IntegrityError:
        # Another worker made it a moment ago: it is theirs to deliver.
        return 0
    return 1


def _group_fields(group):
    return {
        "id": group.pk,
        "level": group.levelname,
        "logger": group.logger,
        "template": group.template,
        "exception": group.exception,
        "place": group.place,
        "count": group.count,
        "status": group.status,
        "times_reopened": group.times_reopened,
        "first_seen": group.first_seen.isoformat(),
        "last_seen": group.last_seen.isoformat(),
    }
