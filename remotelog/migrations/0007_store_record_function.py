"""
Store a record with a function on PostgreSQL; nothing changes on other databases.

`remotelog.services.log_message_store` calls ``remotelog_store_record`` for
every record of the single-record endpoint: it checks the grant, reads the
record's group (or makes it, or reopens it), appends its tally and inserts
the record, in one round trip and one transaction. PL/pgSQL plans each of its
statements once per server connection, transparently: the endpoint no
longer needs a PREPAREd statement, which is session state that a pooler in
transaction mode (PgBouncer) does not keep. Its parameters are named after
the grant, the group and the record's columns: a column added to LogMessage
without a new version of this function makes every call fail, not store less.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION remotelog_store_record(
    grant_application_id bigint,
    grant_secret_digest varchar(64),
    group_fingerprint varchar(64),
    group_template text,
    group_exception varchar(255),
    group_place text,
    record_client_id varchar(64),
    record_name varchar(255),
    record_levelno integer,
    record_levelname varchar(50),
    record_msg text,
    record_args text,
    record_message text,
    record_pathname text,
    record_filename text,
    record_module text,
    record_lineno integer,
    record_funcname text,
    record_created timestamptz,
    record_msecs double precision,
    record_relativecreated double precision,
    record_thread bigint,
    record_threadname text,
    record_process bigint,
    record_processname text,
    record_taskname text,
    record_exc_info text,
    record_exc_text text,
    record_stack_info text,
    record_extra jsonb,
    record_remote_addr inet,
    record_received timestamptz
) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    found_group bigint;
BEGIN
    -- The grant still holds (remotelog.grants.condition).
    PERFORM FROM remotelog_application
    WHERE id = grant_application_id AND is_active
        AND (is_open OR secret_digest = grant_secret_digest);
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    -- Grouping on: the group read, or made, or reopened, and a tally (remotelog.groups).
    IF group_fingerprint IS NOT NULL THEN
        SELECT id INTO found_group FROM remotelog_loggroup
        WHERE application_id = grant_application_id AND fingerprint = group_fingerprint;
        IF found_group IS NULL THEN
            INSERT INTO remotelog_loggroup (
                application_id, fingerprint, levelno, levelname, logger, template,
                exception, place, first_seen, last_seen, count, status, times_reopened
            ) VALUES (
                grant_application_id, group_fingerprint, record_levelno, record_levelname,
                record_name, group_template, group_exception, group_place,
                record_created, record_created, 0, 'open', 0
            )
            ON CONFLICT (application_id, fingerprint) DO NOTHING
            RETURNING id INTO found_group;
            IF found_group IS NULL THEN
                -- A concurrent record made it and committed: this new statement sees it.
                SELECT id INTO found_group FROM remotelog_loggroup
                WHERE application_id = grant_application_id AND fingerprint = group_fingerprint;
            END IF;
        ELSE
            -- Concurrent records of a resolved group: the first reopens it, the
            -- others wait for its commit, re-read the row and find it open.
            UPDATE remotelog_loggroup
            SET status = 'open', resolved_at = NULL, times_reopened = times_reopened + 1
            WHERE id = found_group AND status = 'resolved';
        END IF;
        INSERT INTO remotelog_loggrouptally (group_id, count, first_seen, last_seen)
        VALUES (found_group, 1, record_created, record_created);
    END IF;
    INSERT INTO remotelog_logmessage (
        application_id, group_id, client_id, name, levelno, levelname, msg, args,
        message, pathname, filename, module, lineno, "funcName", created, msecs,
        "relativeCreated", thread, "threadName", process, "processName", "taskName",
        exc_info, exc_text, stack_info, extra, remote_addr, received
    ) VALUES (
        grant_application_id, found_group, record_client_id, record_name, record_levelno,
        record_levelname, record_msg, record_args, record_message, record_pathname,
        record_filename, record_module, record_lineno, record_funcname, record_created,
        record_msecs, record_relativecreated, record_thread, record_threadname,
        record_process, record_processname, record_taskname, record_exc_info,
        record_exc_text, record_stack_info, record_extra, record_remote_addr,
        record_received
    );
    RETURN true;
END
$$
"""

DROP = "DROP FUNCTION IF EXISTS remotelog_store_record"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("remotelog", "0006_group_tallies"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
