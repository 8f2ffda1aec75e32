"""Records grouped at ingest: which share a group, counts, statuses, and what it costs."""

import datetime
import json
import logging
import logging.handlers
import re
import sys
import uuid
from io import StringIO
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from locking.testing import test_concurrently
from remotelog.groups import tallies_fold
from remotelog.models import LogGroup, LogGroupCount, LogGroupTally, LogMessage

from .conftest import basic_auth, make_log_message
from .test_log_endpoint import post, record_fields

BATCH_URL = "/remotelog/datalogger/batch/"


def send(client, auth, **overrides):
    """Send one record, then fold the tallies, as the pages do before showing counts."""
    assert post(client, record_fields(**overrides), auth).status_code == 201
    tallies_fold()


def send_batch(client, auth, records, *, fold=True):
    response = client.post(BATCH_URL, json.dumps(records), content_type="application/json", **auth)
    assert response.status_code == 201
    if fold:
        tallies_fold()
    return response.json()


def batch_record(index, group, created):
    """Return a JSON record of one of three groups (0, 1, 2: they differ by line)."""
    return {
        "name": "app.batch",
        "msg": "record %d",
        "args": [index],
        "levelname": "INFO",
        "levelno": logging.INFO,
        "pathname": "/srv/batch.py",
        "lineno": 10 + group,
        "funcName": "run",
        "created": created,
        "id": uuid.uuid4().hex,
    }


def traceback_of(exc):
    try:
        raise exc
    except Exception:
        return logging.Formatter().formatException(sys.exc_info())


@pytest.mark.django_db
class TestFingerprint:
    def test_records_differing_only_in_args_share_a_group(self, client, auth):
        send(client, auth, args="(3,)")
        send(client, auth, args="(4,)")
        group = LogGroup.objects.get()
        assert group.count == 2
        assert group.template == "%s left"
        assert group.place == "/srv/job.py:42 ?"  # LogRecord made without a function
        assert sorted(LogMessage.objects.values_list("message", flat=True)) == ["3 left", "4 left"]
        assert set(LogMessage.objects.values_list("group", flat=True)) == {group.pk}

    def test_another_line_level_logger_or_template_is_another_group(self, client, auth):
        send(client, auth)
        send(client, auth, lineno="43")
        send(client, auth, levelno="40", levelname="ERROR")
        send(client, auth, name="app.other")
        send(client, auth, msg="%s right")
        assert LogGroup.objects.count() == 5
        assert set(LogGroup.objects.values_list("count", flat=True)) == {1}

    def test_another_exception_type_is_another_group(self, client, auth):
        send(client, auth, exc_text=traceback_of(ValueError("a")))
        send(client, auth, exc_text=traceback_of(ValueError("b")))
        send(client, auth, exc_text=traceback_of(KeyError("a")))
        groups = dict(LogGroup.objects.values_list("exception", "count"))
        assert groups == {"ValueError": 2, "KeyError": 1}

    def test_a_fingerprint_field_overrides_the_computed_one(self, client, auth):
        send(client, auth, msg="Card declined", fingerprint="payments")
        send(client, auth, msg="Gateway timeout", lineno="99", fingerprint="payments")
        send(client, auth, msg="Card declined")
        assert sorted(LogGroup.objects.values_list("count", flat=True)) == [1, 2]
        payments = LogGroup.objects.get(count=2)
        assert payments.template == "Card declined"  # the first record's

    def test_groups_are_per_application(self, client, auth, make_application):
        other = make_application("other")
        send(client, auth)
        url = "/remotelog/other/log/"
        response = post(client, record_fields(), basic_auth("other", other.secret), url=url)
        assert response.status_code == 201
        tallies_fold()
        assert sorted(LogGroup.objects.values_list("application__slug", "count")) == [
            ("datalogger", 1),
            ("other", 1),
        ]

    def test_a_refused_record_counts_nowhere(self, client, application):
        response = post(client, record_fields(), basic_auth(application.slug, "rl_wrong"))
        assert response.status_code == 401
        assert not LogGroup.objects.exists()
        assert not LogGroupCount.objects.exists()

    @override_settings(REMOTELOG_GROUPING=False)
    def test_with_grouping_off_records_are_stored_ungrouped(self, client, auth):
        send(client, auth)
        send_batch(client, auth, [batch_record(0, 0, timezone.now().timestamp())])
        assert LogMessage.objects.filter(group=None).count() == 2
        assert not LogGroup.objects.exists()


@pytest.mark.django_db
class TestStatus:
    def test_a_new_record_reopens_a_resolved_group(self, client, auth):
        send(client, auth)
        assert LogGroup.objects.resolve() == 1
        assert LogGroup.objects.get().resolved_at is not None
        send(client, auth)
        group = LogGroup.objects.get()
        assert (group.status, group.resolved_at, group.times_reopened) == ("open", None, 1)
        assert group.count == 2

    def test_a_muted_group_stays_muted_and_counts(self, client, auth):
        send(client, auth)
        LogGroup.objects.mute()
        send(client, auth)
        group = LogGroup.objects.get()
        assert (group.status, group.times_reopened, group.count) == ("muted", 0, 2)

    def test_first_and_last_seen_follow_the_records_times(self, client, auth):
        now = timezone.now().timestamp()
        for created in (now - 60, now - 3600, now):  # arriving out of order
            send(client, auth, created=str(created))
        group = LogGroup.objects.get()
        assert group.first_seen.timestamp() == pytest.approx(now - 3600)
        assert group.last_seen.timestamp() == pytest.approx(now)


@pytest.mark.django_db
class TestCounts:
    def test_hourly_and_daily_counts_add_up_to_the_group_count(self, client, auth):
        start = datetime.datetime(2026, 3, 1, 22, 30, tzinfo=datetime.UTC).timestamp()
        # Six records over four hours that cross midnight (UTC, the test time zone).
        for hours in (0, 0.25, 1, 2, 3, 3.25):
            send(client, auth, created=str(start + hours * 3600))
        send_batch(client, auth, [batch_record(0, 0, start + 60), batch_record(1, 0, start)])
        groups = {group.pk: group.count for group in LogGroup.objects.all()}
        for period in ("hour", "day"):
            rows = LogGroupCount.objects.filter(period=period)
            for group_id, count in groups.items():
                assert sum(row.count for row in rows.filter(group=group_id)) == count
        hours = LogGroupCount.objects.filter(period="hour", group__logger="app.jobs")
        assert [(row.start.hour, row.count) for row in hours.order_by("start")] == [
            (22, 2),
            (23, 1),
            (0, 1),
            (1, 2),
        ]
        days = LogGroupCount.objects.filter(period="day", group__logger="app.jobs")
        assert [(row.start.day, row.count) for row in days.order_by("start")] == [(1, 3), (2, 3)]

    def test_purge_drops_old_buckets_and_keeps_recent_ones(self, client, auth):
        now = timezone.now().timestamp()
        for days in (0, 10, 200):
            send(client, auth, created=str(now - days * 86400))
        call_command("remotelog_purge", "--older-than", "365", verbosity=0)
        kept = LogGroupCount.objects.order_by("period", "start")
        # Hours for a week, days for 120: the 10-day-old record keeps only its day.
        assert [(row.period, row.count) for row in kept] == [("day", 1), ("day", 1), ("hour", 1)]
        assert LogGroup.objects.get().count == 3


@pytest.mark.django_db
class TestBatch:
    def test_each_group_is_written_once_per_batch(self, client, auth):
        created = timezone.now().timestamp()
        # The three groups made (one more statement), then two batches into them.
        send_batch(client, auth, [batch_record(index, index, created) for index in range(3)])
        sizes = {}
        for size in (10, 100):
            records = [batch_record(index, index % 3, created) for index in range(size)]
            with CaptureQueriesContext(connection) as captured:
                send_batch(client, auth, records, fold=False)
            statements = [query["sql"] for query in captured.captured_queries]
            log_inserts = [sql for sql in statements if '"remotelog_logmessage" (' in sql]
            group_writes = [sql for sql in statements if '"remotelog_loggroup"' in sql]
            tally_writes = [sql for sql in statements if '"remotelog_loggrouptally"' in sql]
            # The groups read, then the resolved ones reopened; one tally per group and hour.
            assert len(group_writes) == 2
            assert len(tally_writes) == 1
            assert LogGroupTally.objects.count() == 3 * (1 + len(sizes))
            sizes[size] = len(statements) - len(log_inserts)
        assert sizes[10] == sizes[100]
        tallies_fold()
        assert sorted(LogGroup.objects.values_list("count", flat=True)) == [37, 37, 39]
        assert LogMessage.objects.filter(group__isnull=True).count() == 0

    def test_a_retried_batch_is_not_counted_twice(self, client, auth):
        created = timezone.now().timestamp()
        records = [batch_record(index, 0, created) for index in range(5)]
        assert send_batch(client, auth, records) == {"stored": 5, "duplicates": 0}
        assert send_batch(client, auth, records) == {"stored": 0, "duplicates": 5}
        assert LogGroup.objects.get().count == 5
        assert sum(LogGroupCount.objects.filter(period="day").values_list("count", flat=True)) == 5

    def test_a_batch_reopens_a_resolved_group_once(self, client, auth):
        created = timezone.now().timestamp()
        send_batch(client, auth, [batch_record(0, 0, created)])
        LogGroup.objects.resolve()
        send_batch(client, auth, [batch_record(index, 0, created) for index in range(1, 4)])
        group = LogGroup.objects.get()
        assert (group.status, group.times_reopened, group.count) == ("open", 1, 4)


@pytest.mark.django_db
class TestGroupingOldRecords:
    def test_remotelog_group_groups_old_records_in_batches(self, client, auth, application):
        old = timezone.now() - datetime.timedelta(days=3)
        for index in range(7):
            make_log_message(application, created=old, msg="stuck %s", args=f"({index},)")
        make_log_message(application, created=old, msg="other")
        send(client, auth)  # a new record, grouped at ingest
        out = StringIO()
        call_command("remotelog_group", "--batch-size", "3", stdout=out)
        assert "Grouped 8 record(s)." in out.getvalue()
        assert not LogMessage.objects.filter(group=None).exists()
        assert sorted(LogGroup.objects.values_list("template", "count")) == [
            ("%s left", 1),
            ("other", 1),
            ("stuck %s", 7),
        ]
        days = LogGroupCount.objects.filter(period="day", group__template="stuck %s")
        assert [row.count for row in days] == [7]
        # Run again: nothing left to group, nothing counted twice.
        call_command("remotelog_group", stdout=StringIO())
        assert LogGroup.objects.get(template="stuck %s").count == 7

    def test_remotelog_group_takes_one_application(self, application, make_application):
        other = make_application("other")
        make_log_message(application)
        make_log_message(other)
        call_command("remotelog_group", "--app", "other", stdout=StringIO())
        assert list(LogGroup.objects.values_list("application__slug", flat=True)) == ["other"]
        with pytest.raises(CommandError, match="No application 'none'"):
            call_command("remotelog_group", "--app", "none")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under real concurrency")
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_records_reopen_a_resolved_group_exactly_once(application, auth):
    assert post(Client(), record_fields(), auth).status_code == 201
    LogGroup.objects.resolve()

    @test_concurrently(20)
    def send_one():
        assert post(Client(), record_fields(), auth).status_code == 201

    send_one()
    tallies_fold()
    group = LogGroup.objects.get()
    assert (group.status, group.times_reopened, group.count) == ("open", 1, 21)
    assert LogMessage.objects.filter(group=group).count() == 21
    assert sum(group.counts.filter(period="hour").values_list("count", flat=True)) == 21


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under real concurrency")
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_first_records_make_one_group(application, auth):
    @test_concurrently(20)
    def send_one():
        assert post(Client(), record_fields(), auth).status_code == 201

    send_one()
    tallies_fold()
    assert LogGroup.objects.get().count == 20 == LogMessage.objects.count()


def readme_recipe():
    """Return the TracebackHTTPHandler class of remotelog/README.md, run as written there."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    (block,) = re.findall(
        r"\n(class TracebackHTTPHandler\(HTTPHandler\):.*?)\n\n\ncredentials = ", readme, re.S
    )
    namespace = {"logging": logging, "HTTPHandler": logging.handlers.HTTPHandler}
    exec(block, namespace)  # noqa: S102 - our own README's example
    return namespace["TracebackHTTPHandler"]


@pytest.mark.django_db(transaction=True)
def test_the_readme_recipe_sends_tracebacks_grouped_by_exception_type(live_server, application):
    handler = readme_recipe()(
        urlparse(live_server.url).netloc,
        f"/remotelog/{application.slug}/log/",
        "POST",
        credentials=(application.slug, application.secret),
    )
    logger = logging.getLogger("crm.tests.recipe")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        for exc in (ValueError("amount"), ValueError("currency"), KeyError("card")):
            try:
                raise exc
            except Exception:
                logger.exception("Payment failed")
    finally:
        logger.removeHandler(handler)
    assert LogMessage.objects.count() == 3
    tallies_fold()
    assert all(
        "Traceback (most recent call last)" in row.exc_text for row in LogMessage.objects.all()
    )
    assert dict(LogGroup.objects.values_list("exception", "count")) == {
        "ValueError": 2,
        "KeyError": 1,
    }
