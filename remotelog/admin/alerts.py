"""Admin for alert rules and the notifications they made, with each delivery's state."""

from django.contrib import admin, messages
from django.db import models
from django.db.models import Count
from django.utils import timezone
from django.utils.html import format_html_join

from ..models import AlertRule, Delivery, Notification


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    """Rules per application; the webhook secret is shown on the rule's page, for its receiver."""

    list_display = [
        "name",
        "application",
        "kind",
        "is_active",
        "email_to",
        "webhook_url",
        "notification_count",
    ]
    list_filter = ["kind", "is_active", "application"]
    list_select_related = ["application"]
    search_fields = ["name", "email_to", "webhook_url"]
    fields = [
        "application",
        "name",
        "kind",
        "is_active",
        ("min_level", "threshold", "window_minutes"),
        "email_to",
        "webhook_url",
        "webhook_secret",
        "created",
    ]
    readonly_fields = ["webhook_secret", "created"]
    # A URL typed without a scheme is taken as https (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(notification_total=Count("notifications"))

    @admin.display(description="notifications", ordering="notification_total")
    def notification_count(self, obj):
        return obj.notification_total


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ["channel", "status", "attempts", "next_attempt_at", "sent_at", "last_error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """What the rules announced and how each delivery went; failed ones can be retried."""

    list_display = ["created", "subject", "rule", "application", "delivery_status"]
    list_filter = ["deliveries__status", "rule__kind", "rule__application"]
    list_select_related = ["rule__application"]
    search_fields = ["subject"]
    fields = ["created", "rule", "group", "key", "subject", "payload"]
    readonly_fields = fields
    inlines = [DeliveryInline]
    actions = ["retry"]
    show_full_result_count = False

    def get_queryset(self, request):
        # One query for a whole page's deliveries, not one per row.
        return super().get_queryset(request).prefetch_related("deliveries")

    def has_add_permission(self, request):
        return False

    @admin.display(description="application", ordering="rule__application__name")
    def application(self, obj):
        return obj.rule.application

    @admin.display(description="deliveries")
    def delivery_status(self, obj):
        return format_html_join(
            ", ",
            "{}: {} ({} attempts)",
            (
                (row.get_channel_display(), row.get_status_display(), row.attempts)
                for row in obj.deliveries.all()
            ),
        )

    @admin.action(
        description="Retry the failed deliveries of the selected notifications",
        permissions=["change"],
    )
    def retry(self, request, queryset):
        count = Delivery.objects.filter(
            notification__in=queryset, status=Delivery.Status.FAILED
        ).update(status=Delivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now())
        messages.success(request, f"{count} failed deliveries will be retried by the worker.")
