"""Admin for applications: who may send records, and their secrets."""

from django.contrib import admin, messages
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html

from ..models import Application, LogMessage


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Applications; a new or rotated secret is shown once, on the page that answers."""

    list_display = ["name", "slug", "is_active", "is_open", "retention_days", "created"]
    list_filter = ["is_active", "is_open"]
    search_fields = ["name", "slug"]
    ordering = ["slug"]
    fields = ["name", "slug", "is_active", "is_open", "retention_days", "created"]
    readonly_fields = ["created"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["rotate_secret", "disable"]

    def get_deleted_objects(self, objs, request):
        """
        List the applications and only count their records.

        The stock confirmation page loads every related row to list it, which
        at a million log messages would not finish; the delete itself is one
        DELETE of the records, then of the applications.
        """
        applications = list(objs)
        to_delete = [format_html("Application: {}", app) for app in applications]
        records = LogMessage.objects.filter(application__in=applications).count()
        model_count = {"applications": len(applications), "log messages": records}
        # Nothing protects an application or its records (CASCADE, no PROTECT).
        perms_needed = set() if self.has_delete_permission(request) else {"application"}
        return to_delete, model_count, perms_needed, []

    def save_model(self, request, obj, form, change):
        if not change:
            request.remotelog_secret = obj.set_new_secret()
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        secret = getattr(request, "remotelog_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        messages.success(request, f"Application “{obj}” added.")
        return self.secrets_page(request, [(obj, secret)])

    @admin.action(description="Give the selected applications new secrets")
    def rotate_secret(self, request, queryset):
        pairs = []
        for application in queryset.order_by("slug"):
            pairs.append((application, application.set_new_secret()))
            application.save(update_fields=["secret_digest"])
        messages.success(request, f"{len(pairs)} new secret(s); the old ones no longer work.")
        return self.secrets_page(request, pairs)

    @admin.action(description="Disable the selected applications")
    def disable(self, request, queryset):
        count = queryset.update(is_active=False)
        messages.success(request, f"{count} application(s) disabled: their records are refused.")

    def secrets_page(self, request, pairs):
        """Render the new secrets once; never stored, never cached."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "New secret" if len(pairs) == 1 else "New secrets",
            "pairs": pairs,
            "host": request.get_host(),
        }
        response = render(request, "admin/remotelog/application/secrets.html", context)
        add_never_cache_headers(response)
        return response
