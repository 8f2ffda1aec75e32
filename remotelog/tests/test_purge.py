"""remotelog_purge deletes exactly the records past their retention, in chunks."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from remotelog.models import LogMessage

from .conftest import make_log_message

pytestmark = pytest.mark.django_db


def days_ago(days):
    return timezone.now() - datetime.timedelta(days=days)


def purge(*args):
    out = StringIO()
    call_command("remotelog_purge", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def rows(make_application):
    """Records 1, 10, 40 and 100 days old in three applications with different retentions."""
    apps = {
        "month": make_application("month", retention_days=30),
        "week": make_application("week", retention_days=7),
        "forever": make_application("forever", retention_days=None),
    }
    for slug, application in apps.items():
        for age in (1, 10, 40, 100):
            make_log_message(application, created=days_ago(age), msg=f"{slug} {age}")
    return apps


def remaining():
    return sorted(LogMessage.objects.values_list("msg", flat=True))


def test_each_application_keeps_its_own_retention(rows):
    output = purge("--chunk-size", "1")
    assert remaining() == sorted(
        ["month 1", "month 10", "week 1", "forever 1", "forever 10", "forever 40", "forever 100"]
    )
    assert "month: deleted 2 log message(s) older than 30 day(s)." in output
    assert "week: deleted 3" in output
    assert "forever: kept forever" in output
    assert "Deleted 5 log message(s) in all." in output


def test_older_than_applies_to_every_application(rows):
    purge("--older-than", "20")
    assert remaining() == sorted(
        ["month 1", "month 10", "week 1", "week 10", "forever 1", "forever 10"]
    )


def test_app_limits_the_purge(rows):
    purge("--app", "week", "--older-than", "0")
    assert not LogMessage.objects.filter(application=rows["week"]).exists()
    assert LogMessage.objects.count() == 8


def test_progress_bar(rows, make_application):
    big = make_application("big", retention_days=1)
    for _ in range(9):
        make_log_message(big, created=days_ago(5))
    output = purge("--app", "big", "--chunk-size", "4", "--progress")
    assert "big  [" in output
    assert "\rbig  [##############################] 100%  9/9" in output
    assert "  44%  4/9" in output
    assert not LogMessage.objects.filter(application=big).exists()


def test_nothing_to_delete_is_fine(make_application):
    make_application("empty")
    assert "Deleted 0 log message(s) in all." in purge()


def test_unknown_application_is_an_error(rows):
    with pytest.raises(CommandError, match="No application 'nope'"):
        purge("--app", "nope")
    with pytest.raises(CommandError, match="cannot be negative"):
        purge("--older-than", "-1")
