"""
The contact list's count in "team" visibility: the live contacts of a team
by id, read from the index alone (crm.visibility.visible_parts).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0023_bulk_assign"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                condition=models.Q(("trashed__isnull", True)),
                fields=["team", "id"],
                name="crm_contact_team_live",
            ),
        ),
    ]
