"""
Admin for log messages.

The log message list is built to stay fast at a million rows on PostgreSQL: no
COUNT(*) over the table (a bounded count, or the planner's estimate), no facet
counts, filters whose choices cost no scan, a date hierarchy that probes
indexes, and an index behind every filter and the default ordering.
"""

from django.contrib import admin
from django.contrib.admin.views.main import ALL_VAR, ORDER_VAR, PAGE_VAR, ChangeList
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import Truncator

from .. import levels
from ..models import LogGroup, LogMessage
from .display import level_swatch, shown, shown_field, shown_json


class LogPaginator(Paginator):
    """
    Count at most `cap` rows, so no page pays for a COUNT(*) over the table.

    The count reads the ids of the first `cap` + 1 matching rows, in order, and
    a page within them is then fetched by id: a search (which has no index)
    scans the table once per page view, not once to count and again to list.
    Past the cap, an unfiltered list shows the planner's estimate of the table
    (PostgreSQL) and a filtered one says "more than <cap>"; the pages stay
    reachable up to the count shown.
    """

    cap = 10_000

    def __init__(self, *args, whole_table=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.whole_table = whole_table
        self.is_estimate = False
        self.is_capped = False

    @cached_property
    def first_ids(self):
        return list(self.object_list.values_list("pk", flat=True)[: self.cap + 1])

    @cached_property
    def count(self):
        counted = len(self.first_ids)
        if counted <= self.cap:
            return counted
        if self.whole_table:
            estimate = LogMessage.objects.estimated_count()
            if estimate is not None and estimate > self.cap:
                self.is_estimate = True
                return estimate
        self.is_capped = True
        return self.cap

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top > self.cap:
            return super().page(number)
        rows = self.object_list.filter(pk__in=self.first_ids[bottom:top])
        return self._get_page(rows, number, self)


class LogChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        if not self.multi_page or (self.show_all and self.can_show_all):
            # Every row is among the ids the count read: fetch them by id rather
            # than run the search or filters a second time.
            self.result_list = self.queryset.filter(pk__in=self.paginator.first_ids)


class LevelFilter(admin.SimpleListFilter):
    """Filter by standard level; an exact level number uses the (levelno, created) index."""

    title = "level"
    parameter_name = "levelno"

    def lookups(self, request, model_admin):
        return [(str(number), levels.name(number)) for number in reversed(levels.STANDARD)]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        try:
            return queryset.filter(levelno=int(value))
        except ValueError:
            return queryset.none()


class LoggerNameFilter(admin.SimpleListFilter):
    """
    Filter by logger name, offering the names seen in the latest records.

    Listing every distinct name would scan the whole table on each page; the
    latest records are read from the (created, id) index. Any name still works
    through the URL (?logger=app.jobs).
    """

    title = "logger"
    parameter_name = "logger"
    recent = 5_000
    most_choices = 50

    def lookups(self, request, model_admin):
        latest = LogMessage.objects.order_by("-created", "-id").values_list("name", flat=True)
        names = set(latest[: self.recent])
        if self.value():
            names.add(self.value())
        return [(name, name) for name in sorted(names)[: self.most_choices]]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(name=self.value())


class GroupFilter(admin.SimpleListFilter):
    """Filter by group (?group=12, the group page's link), shown while it applies."""

    title = "group"
    parameter_name = "group"

    def lookups(self, request, model_admin):
        # No list of every group: only the chosen one, so the filter shows it is on.
        value = self.value()
        group = LogGroup.objects.filter(pk=value).first() if value and value.isdigit() else None
        return [] if group is None else [(value, f"#{group.pk} {Truncator(str(group)).chars(60)}")]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(group=value) if value.isdigit() else queryset.none()


@admin.register(LogMessage)
class LogMessageAdmin(admin.ModelAdmin):
    """Read-only browsing of log messages: filter, search, sort, read the traceback."""

    list_display = ["time", "application_name", "level", "name", "excerpt", "remote_addr"]
    list_filter = ["application", LevelFilter, LoggerNameFilter, GroupFilter]
    date_hierarchy = "created"
    search_fields = ["message", "name", "pathname", "exc_text", "exc_info"]
    list_per_page = 100
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = LogPaginator
    readonly_fields = [
        "application",
        "group_link",
        "created",
        "received",
        "remote_addr",
        "coloured_level",
        "levelno",
        "name",
        "message_shown",
        "traceback_pre",
        "stack_info_pre",
        "pathname_shown",
        "filename_shown",
        "module_shown",
        "lineno",
        "funcName_shown",
        "process",
        "processName_shown",
        "thread",
        "threadName_shown",
        "taskName_shown",
        "msecs",
        "relativeCreated",
        "msg_shown",
        "args_shown",
        "extra_pre",
        "client_id",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("application", "group_link"),
                    ("created", "received"),
                    "remote_addr",
                    ("coloured_level", "levelno"),
                    "name",
                    "message_shown",
                ]
            },
        ),
        ("Traceback", {"fields": ["traceback_pre", "stack_info_pre"]}),
        (
            "Source",
            {
                "fields": [
                    "pathname_shown",
                    ("filename_shown", "module_shown"),
                    ("lineno", "funcName_shown"),
                ]
            },
        ),
        (
            "Process",
            {
                "fields": [
                    ("process", "processName_shown"),
                    ("thread", "threadName_shown"),
                    "taskName_shown",
                    ("msecs", "relativeCreated"),
                ]
            },
        ),
        ("As sent", {"fields": ["msg_shown", "args_shown", "extra_pre", "client_id"]}),
    ]

    class Media:
        # The level swatches and tracebacks that wrap: no style attribute (CSP).
        css = {"all": ["remotelog/remotelog.css"]}

    def get_queryset(self, request):
        # The default order after any column the user sorts by, so that sorting
        # by level or logger reads the (column, created, id) index.
        return (
            super().get_queryset(request).select_related("application").order_by("-created", "-id")
        )

    def get_changelist(self, request, **kwargs):
        return LogChangeList

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        if changelist.query:
            # Finding the periods of a search result would scan the table again
            # for each period (search has no index); the dates return with the
            # search cleared, and a date already chosen still applies.
            changelist.date_hierarchy = None
        return changelist

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        whole_table = not set(request.GET) - {ORDER_VAR, PAGE_VAR, ALL_VAR}
        return self.paginator(
            queryset, per_page, orphans, allow_empty_first_page, whole_table=whole_table
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Records leave by retention (remotelog_purge); the admin's deletion
        # would load every selected row to list it, a million with "select all".
        return False

    @admin.display(description="time", ordering="created")
    def time(self, obj):
        return obj.created

    @admin.display(description="application", ordering="application_id")
    def application_name(self, obj):
        return obj.application.name

    @admin.display(description="level", ordering="levelno")
    def level(self, obj):
        return level_swatch(obj)

    @admin.display(description="group")
    def group_link(self, obj):
        if obj.group_id is None:
            return "-"  # stored before grouping
        url = reverse("admin:remotelog_loggroup_change", args=[obj.group_id])
        return format_html('<a href="{}">{}</a>', url, obj.group)

    @admin.display(description="level")
    def coloured_level(self, obj):
        return self.level(obj)

    @admin.display(description="message")
    def excerpt(self, obj):
        # Rows stored before REMOTELOG_MAX_MESSAGE may hold millions of characters.
        return Truncator(obj.message[:200].replace("\n", " ")).chars(120)

    message_shown = shown_field("message")
    pathname_shown = shown_field("pathname")
    filename_shown = shown_field("filename")
    module_shown = shown_field("module")
    funcName_shown = shown_field("funcName")
    processName_shown = shown_field("processName")
    threadName_shown = shown_field("threadName")
    taskName_shown = shown_field("taskName")
    msg_shown = shown_field("msg")
    args_shown = shown_field("args")

    @admin.display(description="traceback")
    def traceback_pre(self, obj):
        return self._pre(shown(obj.traceback))

    @admin.display(description="stack")
    def stack_info_pre(self, obj):
        return self._pre(obj.stack_info and shown(obj.stack_info))

    @admin.display(description="extra fields")
    def extra_pre(self, obj):
        if not obj.extra:
            return "-"
        return self._pre(shown_json(obj.extra))

    def _pre(self, text):
        if not text:
            return "-"
        # format_html escapes the text: a traceback may quote any input.
        return format_html('<pre class="remotelog-pre">{}</pre>', text)
