"""The staff overview: counts per level and period match the rows, bars link to them."""

import datetime
import logging
import re
from html import unescape

import pytest
from django.utils import timezone

from remotelog.models import LogMessage

from .conftest import make_log_message

pytestmark = pytest.mark.django_db

URL = "/remotelog/"


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def records(make_application):
    """Records at known ages (in hours) and levels, in two applications."""
    north, south = make_application("north"), make_application("south")
    now = timezone.now()
    plan = [
        (north, 0, logging.ERROR),
        (north, 0, logging.INFO),
        (north, 0, logging.INFO),
        (north, 5, logging.WARNING),
        (south, 5, logging.WARNING),
        (south, 30, logging.CRITICAL),  # yesterday: only in the daily chart
        (north, 24 * 10, logging.DEBUG),
        (south, 24 * 40, logging.ERROR),  # older than 30 days: in neither chart
    ]
    for application, hours, levelno in plan:
        make_log_message(
            application, levelno=levelno, created=now - datetime.timedelta(hours=hours)
        )
    return {"north": north, "south": south}


def test_staff_only(client, user, staff_user):
    assert client.get(URL).status_code == 302  # anonymous: to the login page
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    client.force_login(staff_user)
    assert client.get(URL).status_code == 200


def chart_counts(chart):
    return {
        (row["start"], level["number"]): count
        for row in chart.periods
        for level, count in zip(chart.levels, row["counts"], strict=True)
        if count
    }


def expected_counts(chart, rows):
    expected = {}
    for row in rows:
        for period in chart.periods:
            start = period["start"]
            end = start + (chart.periods[1]["start"] - chart.periods[0]["start"])
            if start <= row.created < end:
                key = (start, row.levelno)
                expected[key] = expected.get(key, 0) + 1
    return expected


def test_counts_match_the_rows(admin_client, records):
    hourly, daily = admin_client.get(URL).context["charts"]
    rows = list(LogMessage.objects.all())
    assert chart_counts(hourly) == expected_counts(hourly, rows)
    assert chart_counts(daily) == expected_counts(daily, rows)
    assert hourly.total == 5
    assert daily.total == 7


def test_every_bar_links_to_exactly_its_records(admin_client, records):
    response = admin_client.get(URL)
    page = response.content.decode()
    links = re.findall(r'<a href="([^"]+)"><rect [^>]*><title>([^<]+): (\d+)</title>', page)
    assert len(links) == len(response.context["charts"][0].bars) + len(
        response.context["charts"][1].bars
    )
    for url, _, records_shown in links:
        listed = admin_client.get(unescape(url))
        assert listed.status_code == 200
        assert len(listed.context["cl"].result_list) == int(records_shown)


def test_one_application(admin_client, records):
    hourly, daily = admin_client.get(URL, {"app": "south"}).context["charts"]
    assert (hourly.total, daily.total) == (1, 2)
    assert all(f"application__id__exact={records['south'].pk}" in bar.url for bar in daily.bars)


@pytest.mark.parametrize("app", ["nope", "south\x00", "<script>"])
def test_an_unknown_or_malformed_application_shows_every_application(admin_client, records, app):
    response = admin_client.get(URL, {"app": app})
    assert response.status_code == 200
    assert response.context["application"] is None


def test_empty(admin_client):
    response = admin_client.get(URL)
    assert response.status_code == 200
    assert "No records in this period." in response.content.decode()


def test_text_is_escaped(admin_client, make_application):
    application = make_application("xss", name='<script>alert("x")</script>')
    make_log_message(application)
    page = admin_client.get(URL).content.decode()
    assert '<script>alert("x")' not in page
    assert "&lt;script&gt;" in page


def test_admin_list_links_to_the_overview(admin_client):
    page = admin_client.get("/admin/remotelog/logmessage/").content.decode()
    assert f'href="{URL}"' in page
