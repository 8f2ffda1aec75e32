"""
Labels on the links: a number shared by two contacts can be "Office" for one and "Work" for the other.

The many-to-many tables Django made for ``Contact.phones`` and
``Contact.addresses`` become the explicit models ``ContactPhone`` and
``ContactAddress`` with their tables and rows as they are (only the state
changes); each link then gets a label, copied from its phone or address in
primary-key batches of links, as one UPDATE a batch on PostgreSQL and SQLite
alike. crm.0008 drops the labels of the shared rows. Reversing gives each row
the label of its first link.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

BATCH = 5000
LINKS = [("ContactPhone", "Phone", "phone_id"), ("ContactAddress", "Address", "address_id")]


def batches(queryset):
    """Yield lists of up to BATCH primary keys of ``queryset``, in order."""
    pks = queryset.order_by("pk").values_list("pk", flat=True)
    last = 0
    while batch := list(pks.filter(pk__gt=last)[:BATCH]):
        yield batch
        last = batch[-1]


def labels_to_links(apps, schema_editor):
    for link_name, row_name, column in LINKS:
        Link, Row = apps.get_model("crm", link_name), apps.get_model("crm", row_name)
        label = Subquery(Row.objects.filter(pk=OuterRef(column)).values("label"))
        for batch in batches(Link.objects.all()):
            Link.objects.filter(pk__in=batch).update(label=label)


def labels_to_rows(apps, schema_editor):
    for link_name, row_name, column in LINKS:
        Link, Row = apps.get_model("crm", link_name), apps.get_model("crm", row_name)
        first = Link.objects.filter(**{column: OuterRef("pk")}).order_by("pk").values("label")
        default = Row._meta.get_field("label").default
        for batch in batches(Row.objects.all()):
            Row.objects.filter(pk__in=batch).update(
                label=Coalesce(Subquery(first[:1]), Value(default))
            )


def link_model(name, target, table, **options):
    """Return the state of the explicit model for the table Django made for a many-to-many."""
    return migrations.CreateModel(
        name=name,
        fields=[
            (
                "id",
                models.BigAutoField(
                    auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                ),
            ),
            (
                "contact",
                models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name=f"{target}_links",
                    to="crm.contact",
                ),
            ),
            (
                target,
                models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="+",
                    to=f"crm.{target}",
                ),
            ),
        ],
        # As Django made it; crm.0008 turns it into a named constraint.
        options={"db_table": table, "unique_together": {("contact", target)}, **options},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0007_contact_sort_name_without_accents"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                link_model("ContactPhone", "phone", "crm_contact_phones", verbose_name="phone"),
                link_model(
                    "ContactAddress",
                    "address",
                    "crm_contact_addresses",
                    verbose_name="address",
                    verbose_name_plural="addresses",
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="phones",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="contacts",
                        through="crm.ContactPhone",
                        to="crm.phone",
                    ),
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="addresses",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="contacts",
                        through="crm.ContactAddress",
                        to="crm.address",
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="contactphone",
            name="label",
            field=models.CharField(
                choices=[
                    ("mobile", "Mobile"),
                    ("office", "Office"),
                    ("home", "Home"),
                    ("fax", "Fax"),
                    ("other", "Other"),
                ],
                default="mobile",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="contactaddress",
            name="label",
            field=models.CharField(
                choices=[("home", "Home"), ("work", "Work"), ("other", "Other")],
                default="home",
                max_length=10,
            ),
        ),
        migrations.RunPython(labels_to_links, labels_to_rows),
    ]
