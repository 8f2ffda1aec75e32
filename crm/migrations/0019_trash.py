"""The trash: when a contact went there and who put it, and the contact a merge moved it into."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0018_history"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="merged_into",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                help_text="The contact a merge moved this one's rows to, when it trashed this one.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="merged_away",
                to="crm.contact",
            ),
        ),
        migrations.AddField(
            model_name="contact",
            name="trashed",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="contact",
            name="trashed_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                condition=models.Q(("trashed__isnull", False)),
                fields=["trashed", "id"],
                name="crm_contact_trash",
            ),
        ),
    ]
