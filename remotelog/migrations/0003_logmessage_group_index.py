from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(migrations.AddIndex):
    """
    Add an index; on PostgreSQL with CREATE INDEX CONCURRENTLY.

    A plain CREATE INDEX blocks inserts into the log table for as long as the
    build reads every row; CONCURRENTLY lets ingest go on. SQLite has no such
    option, and its table is small enough not to need it.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index, concurrently=True)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("remotelog", "0002_groups"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="logmessage",
            index=models.Index(fields=["group", "created", "id"], name="remotelog_group_created"),
        ),
    ]
