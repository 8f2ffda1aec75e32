"""The log records applications sent."""

# The issue asks for NULL, not "", where a record had no value ("None" on the wire),
# so that "empty" and "not sent" stay apart: nullable text columns are deliberate.
# ruff: noqa: DJ001

import datetime

from django.db import connections, models
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from .applications import Application
from .groups import LogGroup


class LogMessageQuerySet(models.QuerySet):
    def count_per_period_and_level(self, kind, *, since, until):
        """
        Return {(period start, levelno): records} for records made in [since, until).

        ``kind`` is "hour" or "day"; periods start in the current time zone.
        """
        trunc = {"hour": TruncHour, "day": TruncDay}[kind]
        rows = (
            self.filter(created__gte=since, created__lt=until)
            .annotate(period=trunc("created"))
            .values_list("period", "levelno")
            .annotate(records=models.Count("id"))
            .order_by()
        )
        return {(period, levelno): records for period, levelno, records in rows}

    def estimated_count(self):
        """
        Return the planner's estimate of the table's rows on PostgreSQL, else None.

        Kept current by autovacuum's ANALYZE; free, where COUNT(*) reads every row.
        A partitioned table's estimate is its partitions' (autovacuum analyzes
        those, never the parent).
        """
        if connections[self.db].vendor != "postgresql":
            return None
        with connections[self.db].cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE relkind = 'r' AND ("
                "oid = to_regclass(%s) OR oid IN "
                "(SELECT inhrelid FROM pg_inherits WHERE inhparent = to_regclass(%s)))",
                [self.model._meta.db_table] * 2,
            )
            # -1 means never analyzed.
            estimates = [row[0] for row in cursor.fetchall() if row[0] >= 0]
        return int(sum(estimates)) if estimates else None

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        """
        Return the periods that hold records, as QuerySet.datetimes() would, in a list.

        The admin's date hierarchy asks for the years, months or days of a
        million rows, and the stock query truncates and sorts every one of them.
        This walks the (created) index instead: the first record's period, then
        the first record after that period, and so on; one index lookup per
        period that holds records.
        """
        if field_name != "created" or kind not in ("year", "month", "day") or order != "ASC":
            return super().datetimes(field_name, kind, order, tzinfo)
        tz = tzinfo or timezone.get_current_timezone()
        found = []
        rows = self.order_by()
        while len(found) < 1000:
            first = rows.aggregate(first=models.Min("created"))["first"]
            if first is None:
                break
            start, end = _period(first.astimezone(tz), kind, tz)
            found.append(start)
            if end is None:
                break
            rows = self.order_by().filter(created__gte=end)
        return found


def _period(moment, kind, tz):
    """Return the aware (start, end) of the year, month or day holding ``moment``."""
    if kind == "year":
        start = datetime.datetime(moment.year, 1, 1)
        end = (moment.year + 1, 1, 1)
    elif kind == "month":
        start = datetime.datetime(moment.year, moment.month, 1)
        end = (moment.year + moment.month // 12, moment.month % 12 + 1, 1)
    else:
        start = datetime.datetime(moment.year, moment.month, moment.day)
        following = start + datetime.timedelta(days=1) if start.year < 9999 else None
        end = following and (following.year, following.month, following.day)
    if end is None or end[0] > 9999:
        return timezone.make_aware(start, tz), None
    return timezone.make_aware(start, tz), timezone.make_aware(datetime.datetime(*end), tz)


class LogMessage(models.Model):
    """
    One log record sent by an application, with every field of `logging.LogRecord`.

    The record's own attribute names are kept (`funcName`, `relativeCreated`) so
    the admin and the Python docs speak the same language.
    """

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="log_messages",
        # The composite indexes below start with application and serve its lookups.
        db_index=False,
    )
    group = models.ForeignKey(
        LogGroup,
        # Records leave by purge and groups with their application; deleting
        # one group from the admin is not offered (it would have to visit every
        # record). Records stored before grouping existed have none.
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="log_messages",
        # The (group, created, id) index serves the foreign key.
        db_index=False,
    )
    client_id = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        help_text="Id the client gave the record in a batch; a retried batch repeats it.",
    )
    name = models.CharField("logger", max_length=255)
    levelno = models.IntegerField("level number")
    levelname = models.CharField("level", max_length=50)
    msg = models.TextField()
    args = models.TextField(null=True, blank=True)
    message = models.TextField(help_text="msg formatted with args when that was safe.")
    pathname = models.TextField(null=True, blank=True)
    filename = models.TextField(null=True, blank=True)
    module = models.TextField(null=True, blank=True)
    lineno = models.IntegerField("line", null=True, blank=True)
    funcName = models.TextField("function", null=True, blank=True)
    created = models.DateTimeField("time", help_text="When the program made the record.")
    msecs = models.FloatField("msecs", null=True, blank=True)
    relativeCreated = models.FloatField("ms since logging started", null=True, blank=True)
    thread = models.BigIntegerField(null=True, blank=True)
    threadName = models.TextField("thread name", null=True, blank=True)
    process = models.BigIntegerField(null=True, blank=True)
    processName = models.TextField("process name", null=True, blank=True)
    taskName = models.TextField("asyncio task", null=True, blank=True)
    exc_info = models.TextField(
        null=True, blank=True, help_text="The exception as the stock handler sends it: a repr."
    )
    exc_text = models.TextField("traceback text", null=True, blank=True)
    stack_info = models.TextField("stack", null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True, help_text="Non-standard record fields.")
    remote_addr = models.GenericIPAddressField("sender", null=True, blank=True)
    received = models.DateTimeField(default=timezone.now)

    objects = LogMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            # The admin's default ordering, its date hierarchy, the overview.
            models.Index(fields=["created", "id"], name="remotelog_created"),
            # One per admin filter, each followed by the ordering so that a
            # filtered page is an index range read backwards: application
            # (also purge and the foreign key), level, logger name.
            models.Index(fields=["application", "created", "id"], name="remotelog_app_created"),
            models.Index(fields=["levelno", "created", "id"], name="remotelog_level_created"),
            models.Index(fields=["name", "created", "id"], name="remotelog_name_created"),
            # A group's latest records. Built CONCURRENTLY on PostgreSQL (migration 0003).
            models.Index(fields=["group", "created", "id"], name="remotelog_group_created"),
        ]
        constraints = [
            # A retried batch repeats its client ids: the duplicate rows are refused.
            models.UniqueConstraint(
                fields=["application", "client_id"], name="remotelog_unique_client_id"
            ),
        ]

    def __str__(self):
        return f"{self.levelname} {self.name}: {self.message[:80]}"

    @property
    def traceback(self):
        """Return the formatted traceback, or the exception's repr when none was sent."""
        return self.exc_text or self.exc_info or ""
