"""The JSON API's idempotency keys: the answers of creates a client may retry."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0024_api_tokens"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="IdempotencyKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=255)),
                (
                    "fingerprint",
                    models.CharField(help_text="SHA-256 of the request, in hex.", max_length=64),
                ),
                ("status", models.PositiveSmallIntegerField(help_text="The answer's HTTP status.")),
                ("body", models.TextField(help_text="The answer's JSON body, as sent.")),
                (
                    "headers",
                    models.JSONField(default=dict, help_text="The answer's headers to send again."),
                ),
                ("created", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["created"], name="crm_idempotency_created")],
                "constraints": [
                    models.UniqueConstraint(fields=("user", "key"), name="crm_idempotency_user_key")
                ],
            },
        ),
    ]
