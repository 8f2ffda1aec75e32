"""
Drop the trigram indexes no query uses any more (PostgreSQL only).

Search reads the contacts' search text (``crm_contact_search_trgm``,
migration 0013), not the emails and phone digits themselves; these two
indexes only cost every write of an email or a phone (on a million demo
contacts: 75 and 39 MB, kept up to date on every save and import). The
contact name's and the city's stay: the admin searches them.
"""

from django.db import migrations

# Migration 0002's, and 0011's: the same definitions, to put them back.
UNUSED = {
    "crm_email_address_trgm": "ON crm_email USING gin (UPPER(address) gin_trgm_ops)",
    "crm_phone_digits_trgm": "ON crm_phone USING gin (digits gin_trgm_ops)",
}


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in UNUSED:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, definition in UNUSED.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")


class Migration(migrations.Migration):
    dependencies = [("crm", "0016_bulk_jobs")]

    operations = [migrations.RunPython(drop, create, elidable=True)]
