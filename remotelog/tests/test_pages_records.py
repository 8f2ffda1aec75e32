"""The log viewer: filters as chips, keyset pages, the live tail's feed, escaping."""

import datetime
import json
import logging
import re
import uuid
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from remotelog.models import LogGroup, LogMessage
from remotelog.views import records as records_view

pytestmark = pytest.mark.django_db

URL = "/remotelog/records/"
FEED = "/remotelog/records/feed/"
HOSTILE = '<script>alert("x")</script>'
# A fixed moment, so that times on the page are known; records are made relative to it.
NOON = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def record(msg, *, at=0.0, levelno=logging.INFO, name="app.jobs", **fields):
    """Return a batch record made ``at`` seconds after NOON."""
    return {
        "id": uuid.uuid4().hex,
        "name": name,
        "msg": msg,
        "levelno": levelno,
        "levelname": logging.getLevelName(levelno),
        "created": NOON.timestamp() + at,
        "pathname": "/srv/jobs.py",
        "lineno": 10,
        "funcName": "run",
        **fields,
    }


def send(client, application, *records):
    """Store ``records`` through the batch endpoint, as a program would."""
    from .conftest import basic_auth

    response = client.post(
        f"/remotelog/{application.slug}/batch/",
        json.dumps(list(records)),
        content_type="application/json",
        **basic_auth(application.slug, application.secret),
    )
    assert response.status_code == 201, response.content


def shown_ids(response):
    """Return the ids of the records a page shows, top to bottom."""
    return [int(pk) for pk in re.findall(r'id="record-(\d+)"', response.content.decode())]


def shown_messages(response):
    return [
        unescape(text)
        for text in re.findall(
            r'<div class="remotelog-message remotelog-pre">(.*?)</div>',
            response.content.decode(),
            re.DOTALL,
        )
    ]


def chips(response):
    """Return the chips on the page as "Label: value" texts."""
    found = re.findall(
        r'<span class="muted">(.*?):</span> <span class="remotelog-chip-value">(.*?)</span>',
        response.content.decode(),
    )
    return [f"{unescape(label)}: {unescape(value)}" for label, value in found]


def link(response, rel):
    match = re.search(rf'rel="{rel}" href="([^"]*)"', response.content.decode())
    return match and unescape(match.group(1))


@pytest.fixture
def two_apps(client, make_application):
    north, south = make_application("north"), make_application("south")
    send(
        client,
        north,
        record("pump started", at=1, name="plant.pumps"),
        record("pump stalled", at=2, levelno=logging.ERROR, name="plant.pumps"),
        record("valve stuck at %d%%", at=3, levelno=logging.WARNING, args=[40], name="plant.v"),
        record("valve stuck at %d%%", at=4, levelno=logging.WARNING, args=[60], name="plant.v"),
    )
    send(client, south, record("south heartbeat", at=5, name="south.beat"))
    return north, south


def test_staff_only(client, user, staff_user, two_apps):
    for url in (URL, f"{FEED}?after=0,0"):
        assert client.get(url).status_code == 302  # anonymous: the login page
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
        client.logout()


def test_newest_first_with_the_time_to_the_millisecond(admin_client, two_apps):
    response = admin_client.get(URL)
    assert response.status_code == 200
    assert shown_messages(response) == [
        "south heartbeat",
        "valve stuck at 60%",
        "valve stuck at 40%",
        "pump stalled",
        "pump started",
    ]
    assert "2026-11-30 12:00:05.000" in response.content.decode()
    assert chips(response) == []


@pytest.mark.parametrize(
    ("query", "chip", "expected"),
    [
        ("app=south", "Application: South", ["south heartbeat"]),
        (
            "level=30",
            "Level: WARNING and above",
            ["valve stuck at 60%", "valve stuck at 40%", "pump stalled"],
        ),
        ("logger=plant.pumps", "Logger: plant.pumps", ["pump stalled", "pump started"]),
        ("q=STUCK", "Text: STUCK", ["valve stuck at 60%", "valve stuck at 40%"]),
        (
            "since=2026-11-30T12:00:02&until=2026-11-30T12:00:03",
            "From: 2026-11-30 12:00:02",
            ["valve stuck at 40%", "pump stalled"],
        ),
    ],
)
def test_each_filter_narrows_the_list_and_shows_as_a_chip(
    admin_client, two_apps, query, chip, expected
):
    response = admin_client.get(f"{URL}?{query}")
    assert shown_messages(response) == expected
    assert chip in chips(response)


def test_the_group_filter_shows_the_groups_records_and_template(admin_client, two_apps):
    group = LogGroup.objects.get(template="valve stuck at %d%%")
    response = admin_client.get(f"{URL}?group={group.pk}")
    assert shown_messages(response) == ["valve stuck at 60%", "valve stuck at 40%"]
    assert f"Group: #{group.pk} WARNING plant.v: valve stuck at %d%%" in chips(response)


def test_a_chip_removes_its_filter_only(admin_client, two_apps):
    response = admin_client.get(f"{URL}?app=north&level=40")
    assert chips(response) == ["Application: North", "Level: ERROR and above"]
    removals = re.findall(r'<a href="([^"]*)" aria-label="Remove', response.content.decode())
    assert [unescape(url) for url in removals] == ["?level=40", "?app=north"]
    assert shown_messages(admin_client.get(URL + "?level=40")) == ["pump stalled"]


def test_filters_that_do_not_parse_are_left_out(admin_client, two_apps):
    response = admin_client.get(
        f"{URL}?app=nowhere&level=loud&group=x&since=soon&before=1,2,3&q=%00"
    )
    assert response.status_code == 200
    assert len(shown_messages(response)) == 5
    assert chips(response) == []


@pytest.fixture
def many(client, application):
    """23 records, some made in the same microsecond: the id keeps them in order."""
    send(client, application, *[record(f"record {n}", at=n // 2) for n in range(23)])
    return list(LogMessage.objects.order_by("-created", "-id").values_list("id", flat=True))


def test_older_pages_read_newest_first_without_gaps(admin_client, many, monkeypatch):
    monkeypatch.setattr(records_view, "PAGE_SIZE", 5)
    seen, url = [], URL
    while url:
        response = admin_client.get(URL + url if url.startswith("?") else url)
        page = shown_ids(response)
        assert len(page) <= 5
        seen += page
        url = link(response, "next")
    assert seen == many


def test_newer_pages_walk_back_up_without_gaps(admin_client, many, monkeypatch):
    monkeypatch.setattr(records_view, "PAGE_SIZE", 5)
    oldest = LogMessage.objects.get(pk=many[-1])
    from remotelog.queries.records import Cursor

    seen, url = [many[-1]], f"?after={Cursor.of(oldest)}"
    while True:
        page = shown_ids(admin_client.get(URL + url))
        if not page:
            break
        seen = page + seen
        url = f"?after={Cursor.of(LogMessage.objects.get(pk=page[0]))}"
    assert seen == many


def test_the_page_costs_the_same_queries_whatever_it_shows(
    admin_client, application, client, monkeypatch
):
    monkeypatch.setattr(records_view, "PAGE_SIZE", 20)
    counts = []
    for size in (2, 20):
        LogMessage.objects.all().delete()
        send(
            client,
            application,
            *[record(f"r{n}", at=n, exc_text="Traceback\nValueError") for n in range(size)],
        )
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(f"{URL}?app={application.slug}&level=10")
        assert len(shown_ids(response)) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert not any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)


def test_the_feed_answers_records_newer_than_the_cursor_with_the_filters(
    admin_client, two_apps, client
):
    north, _ = two_apps
    page = admin_client.get(f"{URL}?app=north")
    after = re.search(r'data-after="([^"]*)"', page.content.decode()).group(1)
    assert admin_client.get(f"{FEED}?app=north&after={after}").json()["html"].strip() == ""
    send(client, north, record("pump restarted", at=9), record("other", at=9, name="x", levelno=5))
    send(client, two_apps[1], record("south again", at=9))
    answer = admin_client.get(f"{FEED}?app=north&level=10&after={after}").json()
    assert "pump restarted" in answer["html"] and "south again" not in answer["html"]
    assert "other" not in answer["html"]
    assert (
        admin_client.get(f"{FEED}?app=north&level=10&after={answer['after']}")
        .json()["html"]
        .strip()
        == ""
    )


def test_the_feed_needs_a_cursor(admin_client):
    assert admin_client.get(FEED).status_code == 400


def test_hostile_text_is_escaped_everywhere(admin_client, client, application):
    send(
        client,
        application,
        record(HOSTILE * 200, name=HOSTILE, exc_text=f"Traceback\n{HOSTILE}", processName=HOSTILE),
    )
    html = admin_client.get(f"{URL}?q={HOSTILE}&logger={HOSTILE}").content.decode()
    feed = admin_client.get(f"{FEED}?after=0,0").json()["html"]
    for page in (html, feed):
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert f"Logger: {HOSTILE}" in chips(admin_client.get(f"{URL}?logger={HOSTILE}"))


def test_a_long_message_is_cut_with_a_way_to_read_it_all(admin_client, client, application):
    send(client, application, record("word " * 300))
    html = admin_client.get(URL).content.decode()
    assert "show all 1500 characters" in html
    assert html.count("word word") > 1


def test_the_traceback_opens_in_place(admin_client, client, application):
    send(
        client,
        application,
        record("failed", exc_text="Traceback (most recent call last):\nValueError: bad"),
    )
    html = admin_client.get(URL).content.decode()
    traceback = (
        r'<details class="remotelog-traceback">\s*<summary>Traceback</summary>\s*'
        r"<pre[^>]*>Traceback \(most recent call last\):\nValueError: bad</pre>"
    )
    assert re.search(traceback, html)
