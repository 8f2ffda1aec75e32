"""
One owner for labels: the links (crm.0007 copied the labels there), not the shared rows.

The unique pair of each link table becomes a named constraint, added before
the unnamed one Django made is dropped, so that it holds at every step.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0008_contact_links"),
    ]

    operations = [
        migrations.RemoveField(model_name="phone", name="label"),
        migrations.RemoveField(model_name="address", name="label"),
        migrations.AddConstraint(
            model_name="contactphone",
            constraint=models.UniqueConstraint(
                fields=("contact", "phone"), name="crm_contactphone_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="contactaddress",
            constraint=models.UniqueConstraint(
                fields=("contact", "address"), name="crm_contactaddress_unique"
            ),
        ),
        migrations.AlterUniqueTogether(name="contactphone", unique_together=set()),
        migrations.AlterUniqueTogether(name="contactaddress", unique_together=set()),
    ]
