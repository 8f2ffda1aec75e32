"""Ingest counts a record by a tally; folds add tallies to groups once, and pages show them."""

import itertools
import json

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from locking.testing import test_concurrently
from remotelog.alerts.worker import notify_pass
from remotelog.groups import tallies_fold
from remotelog.models import LogGroup, LogGroupCount, LogGroupTally, LogMessage

from .test_groups import BATCH_URL, batch_record
from .test_log_endpoint import post, record_fields


def hour_and_day_totals(group):
    return [
        sum(group.counts.filter(period=period).values_list("count", flat=True))
        for period in ("hour", "day")
    ]


@pytest.mark.django_db
class TestTallies:
    def test_ingest_writes_a_tally_and_leaves_the_group_row_alone(self, client, auth):
        assert post(client, record_fields(), auth).status_code == 201
        tallies_fold()
        before = LogGroup.objects.get()
        assert post(client, record_fields(), auth).status_code == 201
        after = LogGroup.objects.get()
        assert (after.count, after.last_seen) == (before.count, before.last_seen)
        assert after.count == 1
        assert list(LogGroupTally.objects.values_list("group", "count")) == [(after.pk, 1)]

    def test_a_fold_adds_each_tally_once(self, client, auth):
        for _ in range(3):
            assert post(client, record_fields(), auth).status_code == 201
        assert tallies_fold() == 3
        assert tallies_fold() == 0
        group = LogGroup.objects.get()
        assert group.count == 3
        assert hour_and_day_totals(group) == [3, 3]
        assert not LogGroupTally.objects.exists()

    def test_the_pages_show_records_counted_a_moment_ago(self, client, admin_client, auth):
        for _ in range(4):
            assert post(client, record_fields(), auth).status_code == 201
        group = LogGroup.objects.get()
        listed = admin_client.get("/remotelog/groups/").content.decode()
        assert '<td data-label="Records" class="remotelog-count">4</td>' in listed
        assert "Last 48 hours: 4 records, at most 4 in one" in listed
        page = admin_client.get(f"/remotelog/groups/{group.pk}/").content.decode()
        assert "<dt>Records</dt><dd>4</dd>" in page
        assert "Per day, last 30 days: 4 records" in page

    def test_the_alert_worker_folds_before_reading(self, client, auth):
        assert post(client, record_fields(), auth).status_code == 201
        notify_pass(now=timezone.now())
        assert LogGroup.objects.get().count == 1
        assert not LogGroupTally.objects.exists()

    def test_a_batch_writes_one_tally_per_group_and_hour(self, client, auth):
        start = timezone.now().replace(minute=10).timestamp()
        records = [batch_record(n, n % 2, start + (n % 3) * 3600) for n in range(12)]
        response = client.post(
            BATCH_URL, json.dumps(records), content_type="application/json", **auth
        )
        assert response.status_code == 201
        # Two groups, each with records in three hours.
        assert sorted(LogGroupTally.objects.values_list("count", flat=True)) == [2] * 6
        tallies_fold()
        for group in LogGroup.objects.all():
            assert group.count == 6
            assert hour_and_day_totals(group)[0] == 6
            assert LogGroupCount.objects.filter(group=group, period="hour").count() == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under real concurrency")
@pytest.mark.django_db(transaction=True)
def test_folds_during_ingest_count_every_record_once(application, auth):
    """Records and batches arrive while other threads fold: nothing lost, nothing twice."""
    roles = itertools.cycle(["record", "batch", "fold", "record"])
    now = timezone.now().timestamp()

    @test_concurrently(20)
    def work():
        role = next(roles)
        client = Client()
        for _ in range(5):
            if role == "record":
                assert post(client, record_fields(), auth).status_code == 201
            elif role == "batch":
                records = [batch_record(n, 0, now) | {"lineno": 10} for n in range(3)]
                response = client.post(
                    BATCH_URL, json.dumps(records), content_type="application/json", **auth
                )
                assert response.status_code == 201
            else:
                tallies_fold()

    work()
    tallies_fold()
    stored = LogMessage.objects.count()
    assert stored == 10 * 5 + 5 * 5 * 3
    assert sum(LogGroup.objects.values_list("count", flat=True)) == stored
    for group in LogGroup.objects.all():
        assert hour_and_day_totals(group) == [group.count, group.count]
    assert not LogGroupTally.objects.exists()
