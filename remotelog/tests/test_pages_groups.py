"""The group pages: list (sort, filters, search, sparklines), one group, its actions."""

import logging
import re
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from remotelog.groups import tallies_fold
from remotelog.models import LogGroup

from .test_pages_records import HOSTILE, record, send

pytestmark = pytest.mark.django_db

URL = "/remotelog/groups/"


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def now_record(msg, *, ago=0.0, **fields):
    """Return a batch record made ``ago`` seconds before now (sparklines count recent hours)."""
    made = record(msg, **fields)
    made["created"] = timezone.now().timestamp() - ago
    return made


@pytest.fixture
def groups(client, make_application):
    """Three groups of north (seen at different times, counted differently) and one of south."""
    north, south = make_application("north"), make_application("south")
    send(client, north, now_record("disk %s full", ago=7200, args=["a"], name="plant.disk"))
    send(
        client,
        north,
        *[now_record("pump stalled", ago=3600 - n, levelno=logging.ERROR) for n in range(3)],
    )
    declined = (
        "Traceback (most recent call last):\n"
        '  File "/srv/billing.py", line 9, in charge\n'
        "    raise CardDeclined()\n"
        "billing.CardDeclined: no"
    )
    send(
        client,
        north,
        *[
            now_record("payment failed", ago=ago, levelno=logging.CRITICAL, exc_text=declined)
            for ago in (60, 30)
        ],
    )
    send(client, south, now_record("south heartbeat", ago=10))
    by_template = {group.template: group for group in LogGroup.objects.all()}
    return by_template


def listed(response):
    """Return the templates of the groups listed, top to bottom."""
    return [
        unescape(text)
        for text in re.findall(
            r'<a class="remotelog-template" href="/remotelog/groups/\d+/">(.*?)</a>',
            response.content.decode(),
        )
    ]


def test_staff_only(client, user, groups):
    group = groups["pump stalled"]
    for url in (URL, f"{URL}{group.pk}/"):
        assert client.get(url).status_code == 302
        client.force_login(user)
        assert client.get(url)["Location"].startswith("/admin/login/")
        client.logout()
    client.force_login(user)
    client.post(f"{URL}{group.pk}/status/", {"status": "resolved"})
    assert LogGroup.objects.get(pk=group.pk).status == "open"


def test_sorted_by_last_seen_then_count_then_first_seen(admin_client, groups):
    by_last = ["south heartbeat", "payment failed", "pump stalled", "disk %s full"]
    assert listed(admin_client.get(URL)) == by_last
    assert listed(admin_client.get(f"{URL}?sort=count")) == [
        "pump stalled",
        "payment failed",
        "south heartbeat",
        "disk %s full",
    ]
    assert listed(admin_client.get(f"{URL}?sort=first_seen")) == by_last


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("app=south", ["south heartbeat"]),
        ("level=40", ["payment failed", "pump stalled"]),
        ("status=resolved", ["pump stalled"]),
        ("q=carddeclined", ["payment failed"]),  # the exception type
        ("q=PLANT.DISK", ["disk %s full"]),  # the logger
        ("q=stalled", ["pump stalled"]),  # the template
    ],
)
def test_filters_and_search_narrow_the_list(admin_client, groups, query, expected):
    LogGroup.objects.filter(pk=groups["pump stalled"].pk).resolve()
    response = admin_client.get(f"{URL}?{query}")
    assert listed(response) == expected
    assert 'aria-label="Filters in force"' in response.content.decode()


def test_each_row_shows_its_sparkline_and_figures(admin_client, groups):
    html = admin_client.get(URL).content.decode()
    row = re.search(r'<tr class="remotelog-group">(?:(?!</tr>).)*pump stalled.*?</tr>', html, re.S)
    assert "Last 48 hours: 3 records, at most 3 in one" in row.group(0)
    assert len(re.findall(r"<rect ", row.group(0))) == 2  # the level swatch and one bar
    assert '<td data-label="Records" class="remotelog-count">3</td>' in row.group(0)
    assert "billing.CardDeclined" in html


def test_the_list_costs_the_same_queries_whatever_it_shows(admin_client, client, application):
    counts = []
    for size in (1, 8):
        send(client, application, *[now_record(f"problem {n}") for n in range(size)])
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(f"{URL}?app={application.slug}")
        assert len(listed(response)) == LogGroup.objects.count()
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_group_shows_its_records_senders_and_sparklines(admin_client, groups):
    group = groups["pump stalled"]
    html = admin_client.get(f"{URL}{group.pk}/").content.decode()
    assert html.count('class="remotelog-record"') == 3
    assert "127.0.0.1" in html and "3 records, latest" in html
    assert "Per hour, last 48 hours: 3 records" in html
    assert "Per day, last 30 days: 3 records" in html
    assert "payment failed" not in html
    assert f'href="/remotelog/records/?group={group.pk}"' in html


@pytest.mark.parametrize(
    ("status", "button"), [("resolved", "Resolve"), ("muted", "Mute"), ("open", "Reopen")]
)
def test_actions_change_the_status(admin_client, groups, status, button):
    group = groups["pump stalled"]
    if status == "open":
        LogGroup.objects.filter(pk=group.pk).mute()
    assert (
        f'value="{status}">{button}</button>'
        in admin_client.get(f"{URL}{group.pk}/").content.decode()
    )
    response = admin_client.post(f"{URL}{group.pk}/status/", {"status": status}, follow=True)
    assert response.redirect_chain == [(f"{URL}{group.pk}/", 302)]
    changed = LogGroup.objects.get(pk=group.pk)
    assert changed.status == status
    assert changed.count == 3
    assert f'value="{status}">{button}</button>' not in response.content.decode()


def test_actions_need_a_post_with_a_csrf_token(groups, staff_user):
    group = groups["pump stalled"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    url = f"{URL}{group.pk}/status/"
    assert client.get(url, {"status": "resolved"}).status_code == 405
    assert client.post(url, {"status": "resolved"}).status_code == 403
    page = client.get(f"{URL}{group.pk}/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    assert client.post(url, {"status": "resolved", "csrfmiddlewaretoken": token}).status_code == 302
    assert LogGroup.objects.get(pk=group.pk).status == "resolved"


def test_an_unknown_status_changes_nothing(admin_client, groups):
    group = groups["pump stalled"]
    admin_client.post(f"{URL}{group.pk}/status/", {"status": "deleted"})
    assert LogGroup.objects.get(pk=group.pk).status == "open"


def test_hostile_text_is_escaped(admin_client, client, application):
    send(
        client,
        application,
        now_record(HOSTILE, name=HOSTILE, exc_text=f"x\n{HOSTILE}", processName=HOSTILE),
    )
    group = LogGroup.objects.get()
    for url in (URL, f"{URL}?q={HOSTILE}", f"{URL}{group.pk}/"):
        html = admin_client.get(url).content.decode()
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_a_group_page_costs_the_same_queries_whatever_it_shows(admin_client, client, application):
    counts = []
    for size in (1, 15):
        send(client, application, *[now_record("same problem", ago=size + n) for n in range(size)])
        tallies_fold()
        group = LogGroup.objects.get()
        with CaptureQueriesContext(connection) as queries:
            html = admin_client.get(f"{URL}{group.pk}/").content.decode()
        assert html.count('class="remotelog-record"') == min(group.count, 20)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_overview_links_to_the_pages(admin_client, application):
    html = admin_client.get(f"/remotelog/?app={application.slug}").content.decode()
    assert f'href="/remotelog/records/?app={application.slug}"' in html
    assert f'href="/remotelog/groups/?app={application.slug}"' in html
