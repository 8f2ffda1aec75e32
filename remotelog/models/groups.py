"""Groups of similar records, and their counts per hour and per day."""

from django.db import models
from django.utils import timezone

from .applications import Application


class LogGroupQuerySet(models.QuerySet):
    def resolve(self):
        """Mark the groups resolved; return how many changed. A new record reopens one."""
        return self.exclude(status=LogGroup.Status.RESOLVED).update(
            status=LogGroup.Status.RESOLVED, resolved_at=timezone.now()
        )

    def mute(self):
        """Mute the groups (new records still count, but never reopen them); return how many."""
        return self.exclude(status=LogGroup.Status.MUTED).update(
            status=LogGroup.Status.MUTED, resolved_at=None
        )

    def reopen(self):
        """Mark the groups open again; return how many changed."""
        return self.exclude(status=LogGroup.Status.OPEN).update(
            status=LogGroup.Status.OPEN, resolved_at=None
        )

    def set_status(self, status):
        """Move the groups to ``status`` by `resolve`, `mute` or `reopen`; return how many."""
        move = {
            LogGroup.Status.OPEN: self.reopen,
            LogGroup.Status.RESOLVED: self.resolve,
            LogGroup.Status.MUTED: self.mute,
        }
        return move[status]()


class LogGroup(models.Model):
    """
    The records of one application that share a fingerprint: one problem, counted.

    remotelog/groups.py makes and updates groups as records arrive; the
    fingerprint is computed by remotelog/fingerprints.py unless the record
    names its own.
    """

    class Status(models.TextChoices):
        OPEN = "open", "open"
        RESOLVED = "resolved", "resolved"
        MUTED = "muted", "muted"

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="log_groups",
        # The (application, ...) indexes below serve its lookups.
        db_index=False,
    )
    fingerprint = models.CharField(max_length=64, help_text="Hex SHA-256 of the grouping key.")
    levelno = models.IntegerField("level number")
    levelname = models.CharField("level", max_length=50)
    logger = models.CharField(max_length=255)
    template = models.TextField(help_text="The message before its arguments (msg).")
    exception = models.CharField("exception type", max_length=255, blank=True)
    place = models.TextField(blank=True, help_text="path:line function")
    count = models.BigIntegerField("records", default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)
    resolved_at = models.DateTimeField(null=True, blank=True)
    times_reopened = models.PositiveIntegerField(
        default=0, help_text="How often a new record reopened the group after it was resolved."
    )

    objects = LogGroupQuerySet.as_manager()

    class Meta:
        ordering = ["-last_seen", "-id"]
        indexes = [
            # The group lists: per application, sorted by last seen, count or first seen.
            models.Index(fields=["application", "last_seen", "id"], name="remotelog_group_last"),
            models.Index(fields=["application", "count", "id"], name="remotelog_group_count"),
            models.Index(fields=["application", "first_seen", "id"], name="remotelog_group_first"),
            # The admin's default list over every application.
            models.Index(fields=["last_seen", "id"], name="remotelog_group_last_all"),
        ]
        constraints = [
            # Ingest upserts on this pair (INSERT ... ON CONFLICT).
            models.UniqueConstraint(
                fields=["application", "fingerprint"], name="remotelog_unique_fingerprint"
            ),
        ]

    def __str__(self):
        return f"{self.levelname} {self.logger}: {self.template[:80]}"


class LogGroupCount(models.Model):
    """How many records a group received in one hour or one day: its sparkline's points."""

    class Period(models.TextChoices):
        HOUR = "hour", "hour"
        DAY = "day", "day"

    group = models.ForeignKey(
        LogGroup,
        on_delete=models.CASCADE,
        related_name="counts",
        # The unique (group, period, start) index serves the foreign key.
        db_index=False,
    )
    period = models.CharField(max_length=4, choices=Period)
    start = models.DateTimeField(help_text="Start of the hour or day, in the site's time zone.")
    count = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["group", "period", "start"]
        indexes = [
            # remotelog_purge drops old buckets by their start.
            models.Index(fields=["period", "start"], name="remotelog_count_start"),
        ]
        constraints = [
            # Ingest adds to a bucket with INSERT ... ON CONFLICT on these columns.
            models.UniqueConstraint(
                fields=["group", "period", "start"], name="remotelog_unique_count"
            ),
        ]

    def __str__(self):
        return f"{self.count} in the {self.period} from {self.start:%Y-%m-%d %H:%M}"


class LogGroupTally(models.Model):
    """
    Records counted in a group at ingest and not yet added to its totals.

    Ingest appends a tally instead of updating the group's row: every record
    of a busy group would otherwise wait for that row's lock, held until the
    previous record's commit. `remotelog.groups.tallies_fold` adds the tallies
    to their group (count, first and last seen) and to its hourly and daily
    counts, then deletes them; the alert worker folds on each pass and the
    pages that show counts fold before reading. A tally's records lie in one
    hour, the hour of its ``first_seen``.
    """

    group = models.ForeignKey(
        LogGroup,
        on_delete=models.CASCADE,
        related_name="tallies",
        # The table holds seconds' worth of rows, read whole by the fold: an
        # index on the group would only slow ingest.
        db_index=False,
    )
    count = models.BigIntegerField(default=1)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    def __str__(self):
        return f"{self.count} record(s) of group {self.group_id} since {self.first_seen}"
