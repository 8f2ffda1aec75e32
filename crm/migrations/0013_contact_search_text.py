"""
Word search: each contact's folded search text, filled for every contact,
and on PostgreSQL its trigram index.

The text is computed in Python (``crm.search``: the same folding on SQLite
and PostgreSQL), in primary-key batches of a thousand contacts. The GIN
index with ``gin_trgm_ops`` serves ``search_text LIKE '%word%'``; it is made
after the rows are filled (one build, not a million updates of it), and
kept out of the model state as 0002's are, so that ``makemigrations``
never wants it on SQLite. The column's statistics are sampled as finely as
0003 did for the columns searched before, so that the planner expects
about as many matches as a word has. Backwards, the index and the column
are dropped.
"""

from importlib import import_module

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations, models

_search_indexes = import_module("crm.migrations.0002_search_trigram_indexes")
AddIndexOnPostgreSQL = _search_indexes.AddIndexOnPostgreSQL
STATISTICS_TARGET = import_module("crm.migrations.0003_search_statistics").STATISTICS_TARGET


def fill(apps, schema_editor):
    from crm.services.search import contact_search_rebuild

    contact_search_rebuild(model=apps.get_model("crm", "Contact"))


def statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE crm_contact ALTER COLUMN search_text SET STATISTICS {STATISTICS_TARGET}"
        )
        schema_editor.execute("ANALYZE crm_contact")


class Migration(migrations.Migration):
    dependencies = [("crm", "0012_contact_list_indexes")]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="search_text",
            field=models.TextField(
                blank=True,
                default="",
                editable=False,
                help_text="What search compares, folded (crm.search): the words of the contact's own fields, then of its emails, phones, addresses and tags.",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        AddIndexOnPostgreSQL(
            "contact",
            GinIndex(
                fields=["search_text"], opclasses=["gin_trgm_ops"], name="crm_contact_search_trgm"
            ),
        ),
        migrations.RunPython(statistics, migrations.RunPython.noop),
    ]
