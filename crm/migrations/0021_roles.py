"""
The contact book's permissions and the three roles that hold them: the groups
Viewers, Editors and Managers (crm.roles), editable afterwards in the admin.
"""

from django.conf import settings
from django.db import migrations

from crm.conf import settings as crm_settings

# What each role may do, written out here (not imported) so that this
# migration keeps meaning what it meant when it was written.
VIEWERS = [("contact", "view_contact"), ("contact", "export_contact")]
EDITORS = [
    *VIEWERS,
    ("contact", "add_contact"),
    ("contact", "change_contact"),
    ("contact", "import_contacts"),
    ("entry", "add_entry"),
    ("entry", "change_entry"),
    ("entry", "delete_entry"),
]
MANAGERS = [
    *EDITORS,
    ("contact", "delete_contact"),
    ("contact", "merge_contact"),
    ("contact", "undo_import"),
    ("contact", "restore_contact"),
    ("contact", "destroy_contact"),
]
ROLES = {"Viewers": VIEWERS, "Editors": EDITORS, "Managers": MANAGERS}
GROUPS = {"viewers": "Viewers", "editors": "Editors", "managers": "Managers"}


def permission(apps, model_name, codename):
    """
    Return a permission, created when missing: Django creates them after the
    last migration (post_migrate), too late for the groups made here.
    """
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="crm", model=model_name)
    opts = apps.get_model("crm", model_name)._meta
    names = dict(opts.permissions)
    action = codename.split("_", 1)[0]
    default = f"Can {action} {opts.verbose_name_raw}"
    found, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename=codename,
        defaults={"name": names.get(codename, default)},
    )
    return found


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*(permission(apps, *grant) for grant in grants))
    # The users there already get the role a new user would: without one,
    # they could no longer open the contact book.
    default = GROUPS.get(crm_settings.DEFAULT_ROLE)
    if default:
        User = apps.get_model(settings.AUTH_USER_MODEL)
        Group.objects.get(name=default).user_set.add(*User.objects.all())


def delete_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("crm", "0020_timeline"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="contact",
            options={
                "ordering": ["sort_name", "id"],
                "permissions": [
                    ("export_contact", "Can export contacts"),
                    ("import_contacts", "Can import contacts"),
                    ("undo_import", "Can undo an import"),
                    ("merge_contact", "Can merge duplicate contacts"),
                    ("restore_contact", "Can restore contacts from the trash or their history"),
                    ("destroy_contact", "Can delete contacts for good"),
                ],
            },
        ),
        migrations.RunPython(create_roles, delete_roles),
    ]
