"""Admin for groups of similar records."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from ..groups import tallies_fold
from ..models import LogGroup
from .display import level_swatch
from .messages import LevelFilter


@admin.register(LogGroup)
class LogGroupAdmin(admin.ModelAdmin):
    """
    Groups of similar records: resolve, mute or reopen them; see their records.

    Counts and times are kept by ingest (folded from its tallies before each
    page) and never written here: a change saves
    the status alone, so no concurrent record's count is lost.
    """

    list_display = [
        "last_seen",
        "application_name",
        "level",
        "logger",
        "excerpt",
        "exception",
        "records",
        "status",
        "first_seen",
    ]
    list_filter = ["status", LevelFilter, "application"]
    list_select_related = ["application"]
    search_fields = ["template", "logger"]
    ordering = ["-last_seen", "-id"]
    list_per_page = 100
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = ["resolve", "mute", "reopen"]
    fields = [
        "application",
        "status",
        "resolved_at",
        ("levelno", "levelname"),
        "logger",
        "template",
        "exception",
        "place",
        ("count", "records"),
        ("first_seen", "last_seen"),
        "times_reopened",
        "fingerprint",
    ]
    readonly_fields = [
        "application",
        "resolved_at",
        "levelno",
        "levelname",
        "logger",
        "template",
        "exception",
        "place",
        "count",
        "records",
        "first_seen",
        "last_seen",
        "times_reopened",
        "fingerprint",
    ]

    class Media:
        css = {"all": ["remotelog/remotelog.css"]}

    def changelist_view(self, request, extra_context=None):
        tallies_fold()  # counts and times as of this request
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        tallies_fold()
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Groups leave with their application; deleting one here would have to
        # visit each of its records (a million) to unlink them.
        return False

    def save_model(self, request, obj, form, change):
        if change and "status" in form.changed_data:
            LogGroup.objects.filter(pk=obj.pk).set_status(obj.status)

    @admin.display(description="application", ordering="application__name")
    def application_name(self, obj):
        return obj.application.name

    @admin.display(description="level", ordering="levelno")
    def level(self, obj):
        return level_swatch(obj)

    @admin.display(description="message template")
    def excerpt(self, obj):
        return Truncator(obj.template[:200].replace("\n", " ")).chars(120)

    @admin.display(description="records", ordering="count")
    def records(self, obj):
        url = reverse("admin:remotelog_logmessage_changelist") + f"?group={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, f"{obj.count:,}")

    @admin.action(description="Resolve the selected groups", permissions=["change"])
    def resolve(self, request, queryset):
        count = queryset.resolve()
        messages.success(request, f"{count} group(s) resolved: a new record reopens them.")

    @admin.action(description="Mute the selected groups", permissions=["change"])
    def mute(self, request, queryset):
        count = queryset.mute()
        messages.success(request, f"{count} group(s) muted: they stay muted.")

    @admin.action(description="Reopen the selected groups", permissions=["change"])
    def reopen(self, request, queryset):
        count = queryset.reopen()
        messages.success(request, f"{count} group(s) reopened.")
