"""
The contact book's roles: three of Django's groups, made by the migration
``crm.0021_roles`` with their permissions and editable in the admin.

Viewers read and export; Editors also create, edit, tag, relate, write the
timeline and import; Managers also move to the trash, merge, undo imports,
restore and delete for good, see every team's contacts (crm.visibility),
manage teams and owners, and register webhooks. Superusers may do
everything. What each page asks for is in ``crm.permissions``.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from .conf import settings

# The role as a command or a setting names it, and its group.
ROLES = {"viewers": "Viewers", "editors": "Editors", "managers": "Managers"}

# What each role's group holds when it is made (the admin may change it later).
VIEWERS = ["view_contact", "export_contact"]
EDITORS = [
    *VIEWERS,
    *["add_contact", "change_contact", "import_contacts"],
    *["add_entry", "change_entry", "delete_entry"],
]
MANAGERS = [
    *EDITORS,
    *["delete_contact", "merge_contact", "undo_import", "restore_contact", "destroy_contact"],
    # Teams and owners (crm.visibility): see every team's contacts, reassign them.
    *["view_all_contacts", "assign_contact"],
    *["view_team", "add_team", "change_team", "delete_team"],
    # Webhooks (crm.models.webhooks): tell other systems when contacts change.
    "manage_webhooks",
]
GRANTS = {"viewers": VIEWERS, "editors": EDITORS, "managers": MANAGERS}


class UnknownRole(ValueError):
    """A role that is not one of ROLES."""


def role_set(*, user, role: str) -> None:
    """
    Give ``user`` the role ``role`` (a key of ROLES) and no other of the three;
    their other groups stay.
    """
    if role not in ROLES:
        raise UnknownRole(f"Unknown role {role!r}: choose one of {', '.join(ROLES)}.")
    with transaction.atomic():
        group = role_group(role)
        user.groups.remove(*Group.objects.filter(name__in=ROLES.values()).exclude(pk=group.pk))
        user.groups.add(group)


def role_group(role, *, using="default"):
    """
    Return the group of ``role``, made with its permissions when missing (a
    test database flushed, a group deleted by hand); a group that exists is
    left as the admin made it.
    """
    group, created = Group.objects.using(using).get_or_create(name=ROLES[role])
    if created:
        found = Permission.objects.using(using).filter(
            content_type__app_label="crm", codename__in=GRANTS[role]
        )
        group.permissions.add(*found)
    return group


def roles_ensure(sender=None, using="default", **kwargs):
    """Make the roles' groups that are missing (a post_migrate receiver)."""
    for role in ROLES:
        role_group(role, using=using)


def join_default_role(sender, instance, created, raw=False, **kwargs):
    """Give a new user the role CRM_DEFAULT_ROLE names, if any (a post_save receiver)."""
    if created and not raw and (role := settings.DEFAULT_ROLE):
        role_set(user=instance, role=role)
