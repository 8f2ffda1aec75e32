"""
Owners and teams (crm.visibility): a contact's owner, team and the teams it is
shared with, and what Managers get to see every team's contacts and to manage
teams and owners.
"""

from importlib import import_module

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The roles' migration makes a permission that Django has not made yet.
permission = import_module("crm.migrations.0021_roles").permission

# What Managers get, written out here so that this migration keeps its meaning.
MANAGERS = [
    ("contact", "view_all_contacts"),
    ("contact", "assign_contact"),
    *[("team", f"{action}_team") for action in ("view", "add", "change", "delete")],
]


def grant_managers(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name="Managers"):
        group.permissions.add(*(permission(apps, *grant) for grant in MANAGERS))


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0021_roles"),
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
                    ("view_all_contacts", "Can see every team's contacts"),
                    ("assign_contact", "Can change the owner and teams of contacts"),
                ],
            },
        ),
        migrations.AddField(
            model_name="contact",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="owned_contacts",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.CreateModel(
            name="Team",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, unique=True)),
                (
                    "members",
                    models.ManyToManyField(
                        blank=True, related_name="crm_teams", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["name"],
            },
        ),
        migrations.AddField(
            model_name="contact",
            name="shared_with",
            field=models.ManyToManyField(
                blank=True,
                help_text="Other teams that see this contact.",
                related_name="shared_contacts",
                to="crm.team",
            ),
        ),
        migrations.AddField(
            model_name="contact",
            name="team",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="contacts",
                to="crm.team",
            ),
        ),
        migrations.RunPython(grant_managers, migrations.RunPython.noop),
    ]
