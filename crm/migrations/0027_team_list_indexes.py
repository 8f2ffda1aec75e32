"""
The contact list in "team" visibility (crm.visibility), on PostgreSQL: a
team's contacts indexed with their id and whether in the trash, so that the
list's count reads that index alone (crm.visibility.visible_parts); and the
sort indexes rebuilt with the team and whether in the trash included, so that
a page skips other teams' rows in the index without reading the table.
"""

import datetime

import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0026_webhooks"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["team", "id"], include=["trashed"], name="crm_contact_team"),
        ),
        migrations.RemoveIndex(
            model_name="contact",
            name="crm_contact_sort",
        ),
        migrations.RemoveIndex(
            model_name="contact",
            name="crm_contact_organization_sort",
        ),
        migrations.RemoveIndex(
            model_name="contact",
            name="crm_contact_organization_desc",
        ),
        migrations.RemoveIndex(
            model_name="contact",
            name="crm_contact_created_sort",
        ),
        migrations.RemoveIndex(
            model_name="contact",
            name="crm_contact_updated_sort",
        ),
        migrations.RemoveIndex(
            model_name="contact",
            name="crm_contact_interaction_sort",
        ),
        migrations.RemoveIndex(
            model_name="contact",
            name="crm_contact_interaction_desc",
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                fields=["sort_name", "id"], include=("team", "trashed"), name="crm_contact_sort"
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                models.ExpressionWrapper(
                    models.Q(("organization", "")), output_field=models.BooleanField()
                ),
                models.F("organization"),
                models.F("id"),
                include=("team", "trashed"),
                name="crm_contact_organization_sort",
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                models.ExpressionWrapper(
                    models.Q(("organization", ""), _negated=True),
                    output_field=models.BooleanField(),
                ),
                models.F("organization"),
                models.F("id"),
                include=("team", "trashed"),
                name="crm_contact_organization_desc",
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                fields=["created", "id"],
                include=("team", "trashed"),
                name="crm_contact_created_sort",
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                fields=["updated", "id"],
                include=("team", "trashed"),
                name="crm_contact_updated_sort",
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                models.ExpressionWrapper(
                    models.Q(("last_interaction", None)), output_field=models.BooleanField()
                ),
                django.db.models.functions.comparison.Coalesce(
                    "last_interaction",
                    models.Value(datetime.datetime(1, 1, 1, 0, 0, tzinfo=datetime.UTC)),
                ),
                models.F("id"),
                include=("team", "trashed"),
                name="crm_contact_interaction_sort",
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                models.ExpressionWrapper(
                    models.Q(("last_interaction", None), _negated=True),
                    output_field=models.BooleanField(),
                ),
                django.db.models.functions.comparison.Coalesce(
                    "last_interaction",
                    models.Value(datetime.datetime(1, 1, 1, 0, 0, tzinfo=datetime.UTC)),
                ),
                models.F("id"),
                include=("team", "trashed"),
                name="crm_contact_interaction_desc",
            ),
        ),
    ]
