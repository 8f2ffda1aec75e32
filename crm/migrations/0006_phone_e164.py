"""
Phones keyed by their normalised number: recompute every key, merge the rows that become equal.

"200 000 0682" and "+1 (200) 000-0682" had two keys (their digits) and now
have one (12000000682), so their two rows become one: the row that holds the
key already, or else the first one converted, stays; every contact's link
to the others moves to it (a contact that had both keeps one link) and the
others are deleted. No contact loses a number.

Two passes over the table in primary-key batches, so that a large table is
never read into memory and the unique constraint on the key holds at every
step: the first sets ``e164`` and parks each row whose key changes under a
key no number can have ("~" and its id); the second gives each parked row
its key, or merges it into the row that has the key. Reversing keeps the
keys: a merge cannot be undone.
"""

from django.db import migrations, models

from crm.phones import normalize

BATCH = 2000
PARKED = "~"


def batches(queryset):
    """Yield lists of up to BATCH rows of ``queryset``, by primary key."""
    last = 0
    while batch := list(queryset.filter(pk__gt=last).order_by("pk")[:BATCH]):
        yield batch
        last = batch[-1].pk


def park_changed_keys(Phone):
    for batch in batches(Phone.objects.only("number", "digits", "e164")):
        for phone in batch:
            key, e164 = normalize(phone.number)
            phone.e164 = e164 or ""
            if key != phone.digits:
                phone.digits = f"{PARKED}{phone.pk}"
        Phone.objects.bulk_update(batch, ["digits", "e164"])


def key_or_merge_parked(Phone, Link):
    parked = Phone.objects.filter(digits__startswith=PARKED).only("number", "digits")
    for batch in batches(parked):
        keys = {phone.pk: normalize(phone.number)[0] for phone in batch}
        holders = dict(
            Phone.objects.filter(digits__in=set(keys.values())).values_list("digits", "pk")
        )
        keyed, merged = [], []
        for phone in batch:
            key = keys[phone.pk]
            if key in holders:
                merge(Link, phone.pk, into=holders[key])
                merged.append(phone.pk)
            else:
                holders[key] = phone.pk
                phone.digits = key
                keyed.append(phone)
        Phone.objects.filter(pk__in=merged).delete()
        Phone.objects.bulk_update(keyed, ["digits"])


def merge(Link, pk, *, into):
    """Move the contacts' links of phone ``pk`` to phone ``into``, once per contact."""
    both = Link.objects.filter(phone_id=into).values("contact_id")
    Link.objects.filter(phone_id=pk, contact_id__in=both).delete()
    Link.objects.filter(phone_id=pk).update(phone_id=into)


def normalize_keys(apps, schema_editor):
    Phone = apps.get_model("crm", "Phone")
    Link = apps.get_model("crm", "Contact").phones.through
    park_changed_keys(Phone)
    key_or_merge_parked(Phone, Link)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0005_phone_number_validator"),
    ]

    operations = [
        migrations.AddField(
            model_name="phone",
            name="e164",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="The number in E.164 form; empty when it is not normalised (an extension, a short code): it is kept as typed.",
                max_length=16,
                verbose_name="E.164",
            ),
        ),
        migrations.AlterField(
            model_name="phone",
            name="digits",
            field=models.CharField(
                editable=False,
                help_text="Key for sharing, de-duplication and search: the E.164 digits when normalised, else the digits as typed.",
                max_length=40,
            ),
        ),
        migrations.RunPython(normalize_keys, migrations.RunPython.noop),
    ]
