"""Day partitions on PostgreSQL: where records land, what purge drops, the migration."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from locking.testing import test_concurrently
from remotelog.models import Application, LogMessage
from remotelog.partitions import (
    create_partition,
    ensure_partitions,
    is_partitioned,
    partition_name,
    partitions,
)
from remotelog.services import log_messages_purge

from .conftest import make_log_message

postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="Partitions are PostgreSQL's."
)
TABLE = LogMessage._meta.db_table
DEFAULT = f"{TABLE}_default"


def day(days_ago):
    """Return the UTC date ``days_ago`` days before today."""
    return timezone.now().astimezone(datetime.UTC).date() - datetime.timedelta(days=days_ago)


def noon(date):
    return datetime.datetime.combine(date, datetime.time(12), datetime.UTC)


def partition_of(message):
    """Return the name of the table (partition) that holds ``message``'s row."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {TABLE} WHERE id = %s", [message.pk])  # noqa: S608
        return cursor.fetchone()[0]


def command(name, *args):
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


@postgresql
@pytest.mark.django_db
def test_records_land_in_the_partition_of_their_day(application):
    for age in (40, 41, 42):
        create_partition(day(age))
    made = {age: make_log_message(application, created=noon(day(age))) for age in (40, 41, 42)}
    # Midnight UTC starts a day: the bounds are [00:00, next 00:00).
    midnight = make_log_message(
        application, created=datetime.datetime.combine(day(41), datetime.time(), datetime.UTC)
    )
    assert is_partitioned()
    assert {age: partition_of(m) for age, m in made.items()} == {
        age: partition_name(day(age)) for age in (40, 41, 42)
    }
    assert partition_of(midnight) == partition_name(day(41))
    assert LogMessage.objects.count() == 4


@postgresql
@pytest.mark.django_db
def test_a_record_without_its_day_lands_in_default_and_moves_when_the_day_is_made(application):
    lost = make_log_message(application, created=noon(day(50)), msg="early")
    other = make_log_message(application, created=noon(day(51)), msg="other day")
    assert partition_of(lost) == partition_of(other) == DEFAULT

    assert create_partition(day(50)) is True
    assert partition_of(lost) == partition_name(day(50))
    assert partition_of(other) == DEFAULT
    moved = LogMessage.objects.get(pk=lost.pk)
    assert (moved.msg, moved.created, moved.application_id) == (
        "early",
        lost.created,
        application.pk,
    )
    assert create_partition(day(50)) is False


@postgresql
@pytest.mark.django_db(transaction=True)
def test_making_a_day_while_its_records_arrive_loses_none(application):
    target = day(70)
    turns, made = iter(range(10)), []

    @test_concurrently(10)
    def make_or_send():
        if next(turns) % 2:
            made.append(create_partition(target))
        else:
            make_log_message(application, created=noon(target))

    try:
        make_or_send()
        assert sorted(made) == [False, False, False, False, True]
        rows = LogMessage.objects.filter(created__date=target)
        assert {partition_of(m) for m in rows} == {partition_name(target)}
        assert rows.count() == 5
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {partition_name(target)}")


@postgresql
@pytest.mark.django_db
def test_ensure_partitions_makes_the_days_ahead_once(application, django_assert_num_queries):
    ahead = day(-30)  # Thirty days from now: beyond what the migration made.
    early = make_log_message(application, created=noon(ahead + datetime.timedelta(days=2)))
    made = ensure_partitions(days_ahead=3, today=ahead)
    assert made == [partition_name(ahead + datetime.timedelta(days=n)) for n in range(4)]
    assert partition_of(early) == partition_name(ahead + datetime.timedelta(days=2))
    # The daily run reads which partitions exist, once, and makes none.
    with django_assert_num_queries(2):
        assert ensure_partitions(days_ahead=3, today=ahead) == []
    assert "Made 0 day partition(s)." in command("remotelog_partitions", "--days-ahead", "0")


@pytest.fixture
def old_days(make_application):
    """Records 100, 40, 20 and 3 days old, each day in its own partition, of two applications."""
    apps = {
        "month": make_application("month", retention_days=30),
        "week": make_application("week", retention_days=7),
    }
    for age in (100, 40, 20, 3):
        create_partition(day(age))
        for slug, application in apps.items():
            make_log_message(application, created=noon(day(age)), msg=f"{slug} {age}")
    # The test's transaction holds the rows' deferred foreign key checks, and
    # PostgreSQL drops no table with checks pending; a purge runs after commit.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return apps


def remaining():
    return sorted(LogMessage.objects.values_list("msg", flat=True))


@postgresql
@pytest.mark.django_db
def test_purge_drops_the_days_past_every_retention_and_deletes_the_rest(old_days):
    output = command("remotelog_purge")
    # Past 30 days (the longest retention) whole days go; "week" loses day 20 row by row.
    assert remaining() == ["month 20", "month 3", "week 3"]
    assert set(partitions()) & {day(100), day(40)} == set()
    assert {day(20), day(3)} <= set(partitions())
    assert f"Dropped 2 day partition(s): {partition_name(day(100))}" in output
    # The dropped days' rows were never deleted one by one.
    assert "month: deleted 0 log message(s)" in output
    assert "week: deleted 1 log message(s)" in output


@postgresql
@pytest.mark.django_db
def test_purge_drops_a_day_a_stopped_purge_left_detached(old_days):
    name = partition_name(day(100))
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {name}")
    assert day(100) not in partitions()
    command("remotelog_purge")
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [name])
        assert cursor.fetchone()[0] is None


@postgresql
@pytest.mark.django_db
def test_the_chunked_delete_reads_only_the_days_before_its_cutoff(old_days):
    with CaptureQueriesContext(connection) as queries:
        log_messages_purge(application=old_days["week"], before=noon(day(30)), chunk_size=10)
    delete = next(query["sql"] for query in queries if query["sql"].startswith("DELETE"))
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {delete}")
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert partition_name(day(40)) in plan
    assert partition_name(day(20)) not in plan
    assert partition_name(day(3)) not in plan
    assert remaining() == ["month 100", "month 20", "month 3", "month 40", "week 20", "week 3"]


@postgresql
@pytest.mark.django_db
def test_an_application_kept_forever_keeps_every_partition(old_days, make_application):
    make_application("forever", retention_days=None)
    command("remotelog_purge")
    assert {day(100), day(40), day(20), day(3)} <= set(partitions())
    assert remaining() == ["month 20", "month 3", "week 3"]


@postgresql
@pytest.mark.django_db
def test_purge_of_one_application_drops_no_partition(old_days):
    command("remotelog_purge", "--app", "week", "--older-than", "0")
    assert {day(100), day(40), day(20), day(3)} <= set(partitions())
    assert remaining() == ["month 100", "month 20", "month 3", "month 40"]


@postgresql
@pytest.mark.django_db
def test_older_than_drops_the_days_it_covers(old_days):
    command("remotelog_purge", "--older-than", "10")
    assert set(partitions()) & {day(100), day(40), day(20)} == set()
    assert remaining() == ["month 3", "week 3"]


@pytest.mark.django_db
def test_partitions_command_on_a_plain_table():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite keeps one table.")
    assert "not partitioned" in command("remotelog_partitions")
    assert ensure_partitions() == []


BEFORE = [("remotelog", "0003_logmessage_group_index")]
AFTER = [("remotelog", "0004_partition_by_day")]


@postgresql
@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_rows_ids_and_the_sequence():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE)
        apps = executor.loader.project_state(BEFORE).apps
        OldApplication = apps.get_model("remotelog", "Application")
        OldLogMessage = apps.get_model("remotelog", "LogMessage")
        application = OldApplication.objects.create(name="Old", slug="old")
        fields = {"application": application, "name": "x", "levelno": 20, "levelname": "INFO"}
        old = [
            OldLogMessage.objects.create(
                msg=f"{age}", message="m", created=noon(day(age)), **fields
            )
            for age in (400, 3, 0)
        ]
        executor.loader.build_graph()
        executor.migrate(AFTER)
        assert is_partitioned()
        rows = LogMessage.objects.order_by("pk").values_list("pk", "msg", "created")
        assert list(rows) == [(m.pk, m.msg, m.created) for m in old]
        assert partition_of(old[0]) == partition_name(day(400))
        new = make_log_message(Application.objects.get(pk=application.pk), created=noon(day(0)))
        assert new.pk == old[-1].pk + 1
    finally:
        executor.loader.build_graph()
        executor.migrate(leaves)
