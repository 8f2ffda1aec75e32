"""Root URLs of the site: the contact book (namespace ``crm``), login, the admin, the remote log."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from .api.site import urls as api_urls
from .site import views as site
from .views import (
    bulk,
    contacts,
    duplicates,
    history,
    imports,
    relationships,
    tags,
    timeline,
    trash,
    webhooks,
)

contact_book = [
    path("contacts/", contacts.contact_list, name="contact_list"),
    path("contacts/new/", contacts.contact_create, name="contact_create"),
    path("contacts/bulk/", bulk.contact_bulk, name="contact_bulk"),
    path("contacts/bulk/<id:job_id>/", bulk.bulk_job, name="bulk_job"),
    path("contacts/import/", imports.import_list, name="import_list"),
    path("contacts/import/start/", imports.import_start_view, name="import_start"),
    path("contacts/import/<id:import_id>/", imports.import_detail, name="import_detail"),
    path(
        "contacts/import/<id:import_id>/chunk/<int:number>/",
        imports.import_chunk,
        name="import_chunk",
    ),
    path(
        "contacts/import/<id:import_id>/inspect/",
        imports.import_inspect_view,
        name="import_inspect",
    ),
    path(
        "contacts/import/<id:import_id>/progress/", imports.import_progress, name="import_progress"
    ),
    path("contacts/import/<id:import_id>/options/", imports.import_options, name="import_options"),
    path("contacts/import/<id:import_id>/commit/", imports.import_commit, name="import_commit"),
    path("contacts/import/<id:import_id>/undo/", imports.import_undo, name="import_undo"),
    path("contacts/import/<id:import_id>/errors.csv", imports.import_errors, name="import_errors"),
    path("contacts/export.csv", contacts.contact_export_csv, name="contact_export_csv"),
    path("contacts/export.vcf", contacts.contact_export_vcf, name="contact_export_vcf"),
    path("contacts/<id:pk>/", contacts.contact_detail, name="contact_detail"),
    path("contacts/<id:pk>/edit/", contacts.contact_edit, name="contact_edit"),
    path("contacts/<id:pk>/delete/", contacts.contact_delete_view, name="contact_delete"),
    path(
        "contacts/possible-duplicates/",
        contacts.contact_possible_duplicates,
        name="contact_possible_duplicates",
    ),
    path(
        "contacts/<id:pk>/possible-duplicates/",
        contacts.contact_possible_duplicates,
        name="contact_possible_duplicates",
    ),
    path("contacts/<id:pk>/contact.vcf", contacts.contact_vcard, name="contact_vcard"),
    path("contacts/<id:pk>/history/", history.contact_history, name="contact_history"),
    path(
        "contacts/<id:pk>/history/restore/",
        history.contact_history_restore,
        name="contact_history_restore",
    ),
    path(
        "contacts/<id:pk>/history/undo/", history.contact_history_undo, name="contact_history_undo"
    ),
    path(
        "contacts/<id:pk>/relationships/add/",
        relationships.relationship_add,
        name="relationship_add",
    ),
    path(
        "contacts/<id:pk>/relationships/candidates/",
        relationships.relationship_candidates,
        name="relationship_candidates",
    ),
    path(
        "contacts/<id:pk>/relationships/<id:other_pk>/",
        relationships.relationship_edit,
        name="relationship_edit",
    ),
    path(
        "contacts/<id:pk>/relationships/<id:other_pk>/remove/",
        relationships.relationship_remove,
        name="relationship_remove",
    ),
    path("contacts/<id:pk>/timeline/add/", timeline.entry_add_view, name="entry_add"),
    path(
        "contacts/<id:pk>/timeline/<id:entry_id>/edit/",
        timeline.entry_edit_view,
        name="entry_edit",
    ),
    path(
        "contacts/<id:pk>/timeline/<id:entry_id>/delete/",
        timeline.entry_delete_view,
        name="entry_delete",
    ),
    path(
        "contacts/<id:pk>/timeline/<id:entry_id>/done/",
        timeline.entry_done_view,
        name="entry_done",
    ),
    path("contacts/tags/", tags.tag_list, name="tag_list"),
    path("contacts/tags/<slug:slug>/", tags.tag_detail, name="tag_detail"),
    path("contacts/duplicates/", duplicates.duplicate_list, name="duplicate_list"),
    path("contacts/webhooks/", webhooks.webhook_list, name="webhook_list"),
    path("contacts/webhooks/new/", webhooks.webhook_create, name="webhook_create"),
    path("contacts/webhooks/<id:webhook_id>/", webhooks.webhook_edit, name="webhook_edit"),
    path(
        "contacts/webhooks/<id:webhook_id>/secret/", webhooks.webhook_secret, name="webhook_secret"
    ),
    path(
        "contacts/webhooks/<id:webhook_id>/test/", webhooks.webhook_test_view, name="webhook_test"
    ),
    path(
        "contacts/webhooks/<id:webhook_id>/delete/", webhooks.webhook_delete, name="webhook_delete"
    ),
    path(
        "contacts/webhooks/<id:webhook_id>/deliveries/",
        webhooks.webhook_deliveries,
        name="webhook_deliveries",
    ),
    path("contacts/trash/", trash.trash_list, name="trash_list"),
    path("contacts/trash/<id:trashed_id>/restore/", trash.trash_restore, name="trash_restore"),
    path("contacts/trash/<id:trashed_id>/delete/", trash.trash_delete, name="trash_delete"),
    path(
        "contacts/merge/<id:keep_pk>/<id:duplicate_pk>/",
        duplicates.contact_merge_view,
        name="contact_merge",
    ),
]

urlpatterns = [
    # The contact list is the home page, under the user's follow-ups due.
    path("", contacts.home, name="home"),
    path("", include((contact_book, "crm"))),
    path("accounts/login/", site.LoginView.as_view(), name="login"),
    path("accounts/logout/", site.LogoutView.as_view(), name="logout"),
    # Every signed-in user's own API tokens, whatever their role: outside the
    # contact book's namespace, so no permission of crm.permissions applies.
    path("account/tokens/", site.token_list, name="account_tokens"),
    path("account/tokens/new/", site.token_create, name="account_token_create"),
    path("account/tokens/<id:token_id>/revoke/", site.token_revoke, name="account_token_revoke"),
    path("admin/", admin.site.urls),
    path("remotelog/", include("remotelog.urls")),
    path("api/", api_urls()),
    *([path("__debug__/", include("debug_toolbar.urls"))] if settings.DEBUG_TOOLBAR else []),
]

# A path nobody serves: the site's page, or a problem under /api/.
handler404 = site.page_not_found
