"""The list's bulk action "assign" (owner, team, sharing), left to the worker past 1,000 contacts."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0022_teams"),
    ]

    operations = [
        migrations.AddField(
            model_name="bulkjob",
            name="assignment",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="What an assign gives: the ids of the owner, team, team to share with or not.",
            ),
        ),
        migrations.AlterField(
            model_name="bulkjob",
            name="action",
            field=models.CharField(
                choices=[
                    ("tag", "Add tag"),
                    ("untag", "Remove tag"),
                    ("delete", "Delete"),
                    ("assign", "Assign"),
                ],
                max_length=10,
            ),
        ),
    ]
