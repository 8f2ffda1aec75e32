"""
Names compared without accents: recompute every ``Contact.sort_name``.

``sort_key()`` now drops accents as well as case and spacing, so that
"Adá Costa" is listed with, and found a duplicate of, "Ada Costa". Only
names with accents (or other marks) change key, so only their place in the
list moves. In primary-key batches, writing only the rows that change.
Reversing recomputes the keys by the rule before (case and spacing only).
"""

from django.db import migrations

from crm.models import sort_key

BATCH = 2000


def old_sort_key(name):
    return " ".join((name or "").split()).casefold()


def recompute(key):
    def run(apps, schema_editor):
        Contact = apps.get_model("crm", "Contact")
        contacts = Contact.objects.only("name", "sort_name").order_by("pk")
        last = 0
        while batch := list(contacts.filter(pk__gt=last)[:BATCH]):
            last = batch[-1].pk
            changed = [c for c in batch if c.sort_name != key(c.name)]
            for contact in changed:
                contact.sort_name = key(contact.name)
            Contact.objects.bulk_update(changed, ["sort_name"])

    return run


class Migration(migrations.Migration):
    dependencies = [("crm", "0006_phone_e164")]

    operations = [
        migrations.RunPython(recompute(sort_key), recompute(old_sort_key), elidable=True),
    ]
