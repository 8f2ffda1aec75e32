"""
Trigram indexes for the contact search, on PostgreSQL only.

Search matches substrings anywhere in a name, email, city or phone number
(``icontains`` compiles to ``UPPER(col) LIKE UPPER('%q%')`` on PostgreSQL),
which a B-tree cannot serve; a GIN index with ``gin_trgm_ops`` on the same
expression can. SQLite has no such index: the operations below do nothing
there, and the indexes stay out of the model state, so that
``makemigrations`` never wants to create them elsewhere.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from django.db.migrations.operations.base import Operation
from django.db.models.functions import Upper


class AddIndexOnPostgreSQL(Operation):
    """Create ``index`` on ``model_name`` when the database is PostgreSQL."""

    reversible = True

    def __init__(self, model_name, index):
        self.model_name = model_name
        self.index = index

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(to_state.apps.get_model(app_label, self.model_name), self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            model = from_state.apps.get_model(app_label, self.model_name)
            schema_editor.remove_index(model, self.index)

    def describe(self):
        return f"Create index {self.index.name} on {self.model_name} (PostgreSQL only)"

    def deconstruct(self):
        return self.__class__.__name__, [], {"model_name": self.model_name, "index": self.index}


def trigram(expression, name):
    return GinIndex(OpClass(expression, name="gin_trgm_ops"), name=name)


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]

    operations = [
        # Only on PostgreSQL (the operation checks the vendor itself).
        TrigramExtension(),
        AddIndexOnPostgreSQL("contact", trigram(Upper("name"), "crm_contact_name_trgm")),
        AddIndexOnPostgreSQL("contact", trigram(Upper("email"), "crm_contact_email_trgm")),
        AddIndexOnPostgreSQL("address", trigram(Upper("city"), "crm_address_city_trgm")),
        AddIndexOnPostgreSQL("phone", trigram("digits", "crm_phone_digits_trgm")),
    ]
