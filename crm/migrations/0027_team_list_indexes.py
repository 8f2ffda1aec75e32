"""
A contact's team indexed with its id and (PostgreSQL) whether it is in the
trash: the list's count in "team" visibility reads the index alone
(crm.visibility.visible_parts).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0023_bulk_assign"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["team", "id"], include=["trashed"], name="crm_contact_team"),
        ),
    ]
