"""
What each page of the contact book asks of its user: one rule per URL name,
a permission for each method it answers (the roles that hold them are in
``crm.roles``).

``PermissionMiddleware`` (crm.middleware) applies these rules before the view
runs; a page of the contact book without a rule is refused to everyone but
superusers, and ``crm/tests/views/test_permissions.py`` fails until it has one.
A user without the permission gets a 403 page saying what they may not do.
"""

from dataclasses import dataclass, field

VIEW = "crm.view_contact"
EXPORT = "crm.export_contact"
ADD = "crm.add_contact"
CHANGE = "crm.change_contact"  # edit, tag, relate
IMPORT = "crm.import_contacts"
ADD_ENTRY = "crm.add_entry"
CHANGE_ENTRY = "crm.change_entry"
DELETE_ENTRY = "crm.delete_entry"
DELETE = "crm.delete_contact"  # move to the trash, one or many
MERGE = "crm.merge_contact"
UNDO_IMPORT = "crm.undo_import"
RESTORE = "crm.restore_contact"  # from the trash or from a contact's history
DESTROY = "crm.destroy_contact"  # delete for good, from the trash
ASSIGN = "crm.assign_contact"  # change owners, teams and sharing, one or many
MANAGE_WEBHOOKS = "crm.manage_webhooks"  # one's own webhooks (crm.models.webhooks)
# No role holds it: a page of the contact book left without a rule is closed, not open.
MISSING = "crm.page_without_a_rule"

# Why a user is refused, in the words of the 403 page.
REASONS = {
    VIEW: "read the contact book",
    EXPORT: "export contacts",
    ADD: "add contacts",
    CHANGE: "change contacts",
    IMPORT: "import contacts",
    ADD_ENTRY: "add timeline entries",
    CHANGE_ENTRY: "change timeline entries",
    DELETE_ENTRY: "delete timeline entries",
    DELETE: "move contacts to the trash",
    MERGE: "merge contacts",
    UNDO_IMPORT: "undo imports",
    RESTORE: "restore contacts",
    DESTROY: "delete contacts for good",
    ASSIGN: "change the owner and teams of contacts",
    MANAGE_WEBHOOKS: "manage webhooks",
    MISSING: "open this page",
}

# The list's bulk actions (crm.forms.bulk) share one URL: the action posted decides.
BULK_ACTIONS = {
    "tag": CHANGE,
    "untag": CHANGE,
    "export_csv": EXPORT,
    "export_vcf": EXPORT,
    "delete": DELETE,
    "merge": MERGE,
    "assign": ASSIGN,
}


@dataclass(frozen=True)
class Rule:
    """
    The permission each method of a page needs; HEAD and OPTIONS need GET's.
    A method not named is not allowed (405). ``post_by_action`` picks POST's
    permission by the posted ``action`` (any other action needs ``post``).
    """

    get: str | None = None
    post: str | None = None
    post_by_action: dict = field(default_factory=dict)

    def allowed_methods(self):
        return [*(["GET", "HEAD", "OPTIONS"] if self.get else []), *(["POST"] if self.post else [])]

    def permission(self, request):
        """Return the permission ``request`` needs, or None when its method is not allowed."""
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return self.get
        if request.method == "POST" and self.post_by_action:
            return self.post_by_action.get(request.POST.get("action"), self.post)
        if request.method == "POST":
            return self.post
        return None


def read(permission=VIEW):
    """A page that only shows."""
    return Rule(get=permission)


def form(permission):
    """A page showing a form that it posts to itself: both need ``permission``."""
    return Rule(get=permission, post=permission)


def action(permission):
    """A POST-only action."""
    return Rule(post=permission)


# Keyed by view name: the home page (the list, under the user's follow-ups)
# and every URL of the ``crm`` namespace.
RULES = {
    "home": read(),
    "crm:contact_list": read(),
    "crm:contact_create": form(ADD),
    "crm:contact_bulk": Rule(post=VIEW, post_by_action=BULK_ACTIONS),
    "crm:bulk_job": read(),
    "crm:import_list": form(IMPORT),
    "crm:import_start": action(IMPORT),
    "crm:import_detail": read(IMPORT),
    "crm:import_chunk": action(IMPORT),
    "crm:import_inspect": action(IMPORT),
    "crm:import_progress": read(IMPORT),
    "crm:import_options": form(IMPORT),
    "crm:import_commit": action(IMPORT),
    "crm:import_undo": form(UNDO_IMPORT),
    "crm:import_errors": read(IMPORT),
    "crm:contact_export_csv": read(EXPORT),
    "crm:contact_export_vcf": read(EXPORT),
    "crm:contact_detail": read(),
    "crm:contact_edit": form(CHANGE),
    "crm:contact_delete": form(DELETE),
    # The warning of the add and edit forms, before saving.
    "crm:contact_possible_duplicates": action(VIEW),
    "crm:contact_vcard": read(EXPORT),
    "crm:contact_history": read(),
    "crm:contact_history_restore": action(RESTORE),
    "crm:contact_history_undo": action(RESTORE),
    "crm:relationship_add": form(CHANGE),
    # The picker of the relationship and timeline forms: names one may read anyway.
    "crm:relationship_candidates": read(),
    "crm:relationship_edit": form(CHANGE),
    "crm:relationship_remove": action(CHANGE),
    "crm:entry_add": form(ADD_ENTRY),
    "crm:entry_edit": form(CHANGE_ENTRY),
    "crm:entry_delete": form(DELETE_ENTRY),
    "crm:entry_done": action(CHANGE_ENTRY),
    "crm:tag_list": read(),
    "crm:tag_detail": read(),
    "crm:duplicate_list": read(),
    "crm:trash_list": read(),
    "crm:trash_restore": action(RESTORE),
    "crm:trash_delete": form(DESTROY),
    "crm:contact_merge": form(MERGE),
    "crm:webhook_list": read(MANAGE_WEBHOOKS),
    "crm:webhook_create": form(MANAGE_WEBHOOKS),
    "crm:webhook_edit": form(MANAGE_WEBHOOKS),
    "crm:webhook_secret": action(MANAGE_WEBHOOKS),
    "crm:webhook_test": action(MANAGE_WEBHOOKS),
    "crm:webhook_delete": form(MANAGE_WEBHOOKS),
    "crm:webhook_deliveries": read(MANAGE_WEBHOOKS),
}


def rule_for(view_name):
    """
    Return the rule of a page, None for a page outside the contact book, or
    a rule nobody but a superuser passes for a page of it that has none.
    """
    if view_name in RULES:
        return RULES[view_name]
    if view_name.startswith("crm:"):
        return Rule(get=MISSING, post=MISSING)
    return None
