"""
The rich contact: name parts, nickname, organisation and title on the
contact; emails, URLs and dates in tables of their own.

Each contact's one email becomes its primary email (labelled "other": nobody
said what it was), and its name key (the duplicates' match on names) starts
as its sort key, which was the same rule until now. The check that a contact
has a name would fail on a contact saved with an empty name by hand: the
forms never allowed one.
"""

from importlib import import_module

import django.core.validators
import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models
from django.db.models.functions import Upper

_search_indexes = import_module("crm.migrations.0002_search_trigram_indexes")
AddIndexOnPostgreSQL, trigram = _search_indexes.AddIndexOnPostgreSQL, _search_indexes.trigram
STATISTICS_TARGET = import_module("crm.migrations.0003_search_statistics").STATISTICS_TARGET


def email_statistics(apps, schema_editor):
    """Sample the searched email addresses as finely as 0003 did for the old column."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER INDEX crm_email_address_trgm ALTER COLUMN 1 SET STATISTICS {STATISTICS_TARGET}"
        )
        schema_editor.execute("ANALYZE crm_email")


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0010_tags"),
    ]

    operations = [
        migrations.CreateModel(
            name="ContactDate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("birthday", "Birthday"),
                            ("anniversary", "Anniversary"),
                            ("other", "Other"),
                        ],
                        default="birthday",
                        max_length=12,
                    ),
                ),
                (
                    "label",
                    models.CharField(
                        blank=True, help_text="What the date is, for another date.", max_length=50
                    ),
                ),
                (
                    "year",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        null=True,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(9999),
                        ],
                    ),
                ),
                (
                    "month",
                    models.PositiveSmallIntegerField(
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(12),
                        ]
                    ),
                ),
                (
                    "day",
                    models.PositiveSmallIntegerField(
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(31),
                        ]
                    ),
                ),
            ],
            options={
                "verbose_name": "date",
                "ordering": ["month", "day", "pk"],
            },
        ),
        migrations.CreateModel(
            name="Email",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("address", models.EmailField(max_length=254)),
                (
                    "label",
                    models.CharField(
                        choices=[("home", "Home"), ("work", "Work"), ("other", "Other")],
                        default="home",
                        max_length=10,
                    ),
                ),
                ("primary", models.BooleanField(default=False)),
            ],
            options={
                "ordering": ["-primary", "pk"],
            },
        ),
        migrations.CreateModel(
            name="Url",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("url", models.URLField(max_length=500, verbose_name="URL")),
                (
                    "label",
                    models.CharField(
                        choices=[
                            ("home", "Personal"),
                            ("work", "Work"),
                            ("profile", "Profile"),
                            ("blog", "Blog"),
                            ("other", "Other"),
                        ],
                        default="home",
                        max_length=10,
                    ),
                ),
            ],
            options={
                "verbose_name": "URL",
                "ordering": ["pk"],
            },
        ),
        migrations.AddField(
            model_name="contact",
            name="additional_names",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="contact",
            name="family_name",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="contact",
            name="given_name",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="contact",
            name="honorific_prefix",
            field=models.CharField(blank=True, max_length=50, verbose_name="prefix"),
        ),
        migrations.AddField(
            model_name="contact",
            name="honorific_suffix",
            field=models.CharField(blank=True, max_length=50, verbose_name="suffix"),
        ),
        migrations.AddField(
            model_name="contact",
            name="job_title",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="contact",
            name="name_key",
            field=models.CharField(
                default="",
                editable=False,
                help_text="The display name as duplicates are matched: see sort_key().",
                max_length=200,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="contact",
            name="nickname",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="contact",
            name="organization",
            field=models.CharField(blank=True, max_length=200, verbose_name="organisation"),
        ),
        migrations.AlterField(
            model_name="contact",
            name="name",
            field=models.CharField(
                blank=True,
                help_text="Left empty, made from the name parts, else the nickname or the organisation.",
                max_length=200,
                verbose_name="display name",
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["name_key"], name="crm_contact_name_key"),
        ),
        migrations.AddConstraint(
            model_name="contact",
            constraint=models.CheckConstraint(
                condition=models.Q(("name", ""), _negated=True),
                name="crm_contact_has_name",
                violation_error_code="no_name",
                violation_error_message="Give a name: a display name, a given or family "
                "name, a nickname or an organisation.",
            ),
        ),
        migrations.AddField(
            model_name="contactdate",
            name="contact",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="dates", to="crm.contact"
            ),
        ),
        migrations.AddField(
            model_name="email",
            name="contact",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="emails", to="crm.contact"
            ),
        ),
        migrations.AddField(
            model_name="url",
            name="contact",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="urls", to="crm.contact"
            ),
        ),
        migrations.AddConstraint(
            model_name="contactdate",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind__in", ["birthday", "anniversary"])),
                fields=("contact", "kind"),
                name="crm_date_one_birthday_one_anniversary",
            ),
        ),
        migrations.AddConstraint(
            model_name="contactdate",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("day__gte", 1), ("day__lte", 31), ("month__gte", 1), ("month__lte", 12)
                ),
                name="crm_date_month_day",
            ),
        ),
        migrations.AddIndex(
            model_name="email",
            index=models.Index(
                django.db.models.functions.text.Lower("address"), name="crm_email_lower_address"
            ),
        ),
        migrations.AddConstraint(
            model_name="email",
            constraint=models.UniqueConstraint(
                models.F("contact"),
                django.db.models.functions.text.Lower("address"),
                name="crm_email_unique_per_contact",
            ),
        ),
        migrations.AddConstraint(
            model_name="email",
            constraint=models.UniqueConstraint(
                condition=models.Q(("primary", True)),
                fields=("contact",),
                name="crm_email_one_primary",
            ),
        ),
        # Every contact's email becomes its primary email; its name key is
        # its sort key so far (both were sort_key(name)). Plain SQL, one
        # statement each, on both databases: no row goes through Python.
        migrations.RunSQL(
            [
                'INSERT INTO crm_email (contact_id, address, label, "primary")'
                " SELECT id, email, 'other', TRUE FROM crm_contact WHERE email <> ''",
                "UPDATE crm_contact SET name_key = sort_name",
            ],
            [
                "UPDATE crm_contact SET email = COALESCE((SELECT address FROM crm_email"
                " WHERE contact_id = crm_contact.id AND \"primary\"), '')",
            ],
        ),
        AddIndexOnPostgreSQL("email", trigram(Upper("address"), "crm_email_address_trgm")),
        migrations.RunPython(email_statistics, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="contact", name="crm_contact_email"),
        migrations.RemoveField(model_name="contact", name="email"),
    ]
