"""Applications that send log records, the records they sent, and the alerts on them."""

# The issue asks for NULL, not "", where a record had no value ("None" on the wire),
# so that "empty" and "not sent" stay apart: nullable text columns are deliberate.
# ruff: noqa: DJ001

import datetime
import hashlib
import hmac
import logging
import secrets

from django.core.validators import URLValidator, validate_email
from django.db import connections, models
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

# A secret is a long random token, so a fast digest is enough to store it: a
# password hasher's deliberate slowness would cap ingestion at a few records a
# second, because the stock handler authenticates every record.
SECRET_PREFIX = "rl_"  # noqa: S105  (a marker for secret scanners, not a secret)


def secret_digest(secret):
    """Return the hex SHA-256 digest stored for ``secret``."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def secret_matches(secret, digest):
    """Return whether ``secret`` has the stored ``digest``, in constant time."""
    return hmac.compare_digest(secret_digest(secret), digest or "")


class Application(models.Model):
    """A program allowed to send log records under its own slug and secret."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(
        max_length=50, unique=True, help_text="In the URL and the user name of the credentials."
    )
    secret_digest = models.CharField(max_length=64, blank=True, editable=False)
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive applications are refused (401)."
    )
    is_open = models.BooleanField(
        "open",
        default=False,
        help_text="Accept records without credentials. Only for trusted networks.",
    )
    retention_days = models.PositiveIntegerField(
        default=90,
        null=True,
        blank=True,
        help_text="remotelog_purge deletes older records; empty keeps them forever.",
    )
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name

    def set_new_secret(self):
        """Give the application a new secret, store its digest, and return it (unsaved)."""
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        self.secret_digest = secret_digest(secret)
        return secret

    def check_secret(self, secret):
        """Return whether ``secret`` is the application's secret, in constant time."""
        return secret_matches(secret, self.secret_digest)


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


def _webhook_secret():
    return secrets.token_urlsafe(32)


def _recipients(value):
    """Return the addresses of a comma- or newline-separated list, without blanks."""
    return [address.strip() for address in value.replace("\n", ",").split(",") if address.strip()]


def validate_recipients(value):
    """Refuse a recipient list holding anything but e-mail addresses."""
    for address in _recipients(value):
        validate_email(address)


class AlertRule(models.Model):
    """
    When to tell someone about an application's records, and how (e-mail, webhook or both).

    remotelog/alerts/ evaluates the rules and delivers their notifications,
    outside any ingest request (`manage.py remotelog_notify`).
    """

    class Kind(models.TextChoices):
        NEW_GROUP = "new_group", "a new group appears"
        REOPENED = "reopened", "a resolved group reopens"
        THRESHOLD = "threshold", "N records at level L or above within M minutes"

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="alert_rules"
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind)
    is_active = models.BooleanField("active", default=True)
    min_level = models.PositiveIntegerField(
        "level or above",
        default=logging.ERROR,
        help_text="Threshold rules count records at this level number or above (40: ERROR).",
    )
    threshold = models.PositiveIntegerField(
        "records (N)", null=True, blank=True, help_text="Threshold rules only."
    )
    window_minutes = models.PositiveIntegerField(
        "within minutes (M)", null=True, blank=True, help_text="Threshold rules only."
    )
    email_to = models.TextField(
        "e-mail recipients",
        blank=True,
        validators=[validate_recipients],
        help_text="Addresses separated by commas or new lines.",
    )
    webhook_url = models.URLField(
        blank=True,
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Receives a JSON POST signed with the rule's secret.",
    )
    webhook_secret = models.CharField(
        max_length=64,
        default=_webhook_secret,
        editable=False,
        help_text="Key of the X-Remotelog-Signature HMAC; give it to the receiver.",
    )
    # Groups with a higher id are looked at by the next pass (new-group rules);
    # set when the rule is made, so that older groups are never announced.
    group_watermark = models.BigIntegerField(default=0, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(email_to="", webhook_url=""),
                name="remotelog_alert_has_channel",
                violation_error_message="Give e-mail recipients, a webhook URL or both.",
            ),
            models.CheckConstraint(
                # NULL would pass a CHECK (unknown is not false): refused explicitly.
                condition=~models.Q(kind="threshold")
                | models.Q(
                    threshold__isnull=False,
                    window_minutes__isnull=False,
                    threshold__gte=1,
                    window_minutes__gte=1,
                ),
                name="remotelog_alert_threshold_complete",
                violation_error_message="A threshold rule needs N and M of at least 1.",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self._state.adding and not self.group_watermark:
            # Groups made before the rule are never announced as new.
            top = LogGroup.objects.filter(application_id=self.application_id).aggregate(
                top=models.Max("id")
            )
            self.group_watermark = top["top"] or 0
        super().save(*args, **kwargs)

    @property
    def recipients(self):
        """Return the e-mail recipients as a list."""
        return _recipients(self.email_to)

    @property
    def channels(self):
        """Return the channels the rule delivers by, as `Delivery.Channel` values."""
        return [
            channel
            for channel, wanted in [
                (Delivery.Channel.EMAIL, bool(self.recipients)),
                (Delivery.Channel.WEBHOOK, bool(self.webhook_url)),
            ]
            if wanted
        ]


class Notification(models.Model):
    """
    One thing a rule announces: a group's appearance or reopening, or a window's records.

    Its row is made before anything is sent, and (rule, key) is unique: two
    workers evaluating the same rule at once make it once, so it is sent once.
    """

    rule = models.ForeignKey(
        AlertRule,
        on_delete=models.CASCADE,
        related_name="notifications",
        # The unique (rule, key) index serves the foreign key.
        db_index=False,
    )
    group = models.ForeignKey(
        LogGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    key = models.CharField(
        max_length=100,
        help_text="The group and period (new, reopening number, or window) announced.",
    )
    reopening = models.PositiveIntegerField(
        null=True, blank=True, help_text="Which reopening of the group it announces."
    )
    subject = models.CharField(max_length=255)
    payload = models.JSONField(help_text="What the e-mail says and the webhook sends.")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "key"], name="remotelog_unique_notification"),
        ]

    def __str__(self):
        return self.subject


class DeliveryQuerySet(models.QuerySet):
    def due(self, now):
        """Return the pending deliveries whose next attempt is due at ``now``."""
        return self.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)


class Delivery(models.Model):
    """A notification sent by one channel: its attempts, and how the last one went."""

    class Channel(models.TextChoices):
        EMAIL = "email", "e-mail"
        WEBHOOK = "webhook", "webhook"

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        SENT = "sent", "sent"
        FAILED = "failed", "failed (gave up)"

    notification = models.ForeignKey(
        Notification,
        on_delete=models.CASCADE,
        related_name="deliveries",
        # The unique (notification, channel) index serves the foreign key.
        db_index=False,
    )
    channel = models.CharField(max_length=7, choices=Channel)
    status = models.CharField(max_length=7, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-next_attempt_at", "-id"]
        indexes = [
            # The worker's question: which pending deliveries are due.
            models.Index(fields=["status", "next_attempt_at"], name="remotelog_delivery_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="remotelog_unique_delivery"
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()}: {self.notification}"
