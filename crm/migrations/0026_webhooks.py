"""
Webhooks (crm.models.webhooks): subscriptions and their outbox of events, and
the permission to manage them, given to the Managers.
"""

import uuid
from importlib import import_module

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import crm.models.webhooks

# The roles' migration makes a permission that Django has not made yet.
permission = import_module("crm.migrations.0021_roles").permission


def grant_managers(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name="Managers"):
        group.permissions.add(permission(apps, "webhook", "manage_webhooks"))


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0025_api_idempotency"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Webhook",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "url",
                    models.URLField(
                        help_text="Receives a JSON POST for each event, signed with the secret.",
                        max_length=500,
                        validators=[django.core.validators.URLValidator(schemes=["http", "https"])],
                        verbose_name="URL",
                    ),
                ),
                (
                    "secret",
                    models.CharField(
                        default=crm.models.webhooks.new_secret,
                        editable=False,
                        help_text="Key of the X-CRM-Signature HMAC; give it to the receiver.",
                        max_length=64,
                    ),
                ),
                (
                    "events",
                    models.JSONField(default=list, help_text="The Event values it receives."),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                ("created", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="crm_webhooks",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["url", "id"],
                "permissions": [("manage_webhooks", "Can manage webhooks")],
                "default_permissions": (),
            },
        ),
        migrations.CreateModel(
            name="WebhookEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("event_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("type", models.CharField(max_length=20)),
                ("contact_id", models.BigIntegerField(blank=True, null=True)),
                (
                    "payload",
                    models.JSONField(
                        help_text="What each attempt sends, with its timestamp added."
                    ),
                ),
                ("created", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "pending"),
                            ("sent", "sent"),
                            ("failed", "failed (gave up)"),
                        ],
                        default="pending",
                        max_length=7,
                    ),
                ),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("next_attempt_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                (
                    "answer_status",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="The HTTP status of the last answer, if any.",
                        null=True,
                    ),
                ),
                (
                    "answer",
                    models.TextField(
                        blank=True, help_text="The start of the last answer's body, or the error."
                    ),
                ),
                (
                    "webhook",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="crm.webhook",
                    ),
                ),
            ],
            options={
                "ordering": ["-id"],
                "indexes": [
                    models.Index(fields=["status", "next_attempt_at"], name="crm_webhookevent_due"),
                    models.Index(fields=["webhook", "-id"], name="crm_webhookevent_recent"),
                ],
            },
        ),
        migrations.RunPython(grant_managers, migrations.RunPython.noop),
    ]
