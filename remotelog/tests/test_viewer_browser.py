"""The log viewer in Chromium: the live tail, the traceback in place, narrow and wide screens."""

import json
import logging
import re
import urllib.request
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from remotelog.models import LogGroup, LogMessage
from remotelog.queries.records import Cursor

from .conftest import basic_auth
from .test_pages_groups import now_record

pytestmark = pytest.mark.django_db(transaction=True)

TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/pumps.py", line 12, in run\n'
    "    start()\n"
    "RuntimeError: pump 4 stalled"
)


def ingest(live_server, application, *records):
    """Send ``records`` to the live server's batch endpoint, as RemoteLogHandler does."""
    request = urllib.request.Request(  # noqa: S310 (the test's own server, over HTTP)
        f"{live_server.url}/remotelog/{application.slug}/batch/",
        data=json.dumps(list(records)).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": basic_auth(application.slug, application.secret)["HTTP_AUTHORIZATION"],
        },
        method="POST",
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        assert response.status == 201


def log_in(page, user, password, url):
    page.goto(f"/accounts/login/?{urlencode({'next': url})}")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda address: address.endswith(url))


def test_a_record_sent_after_the_page_loaded_appears_at_the_top(
    page, live_server, staff_user, password, application
):
    ingest(live_server, application, now_record("pump 4 started", ago=5))
    log_in(page, staff_user, password, "/remotelog/records/?level=20")
    records = page.locator(".remotelog-record")
    expect(records).to_have_count(1)
    expect(page.get_by_role("button", name="Pause live tail")).to_be_visible()
    ingest(
        live_server,
        application,
        now_record("pump 4 stalled", levelno=logging.ERROR, exc_text=TRACEBACK),
        now_record("chatter", levelno=logging.DEBUG),
    )
    expect(records).to_have_count(2)
    expect(records.first).to_contain_text("pump 4 stalled")
    expect(records.first).to_have_class(re.compile(r"\bremotelog-new\b"))
    newest = LogMessage.objects.get(message="pump 4 stalled")
    expect(page.get_by_role("link", name="Newer")).to_have_attribute(
        "href", re.compile(rf"after={Cursor.of(newest)}".replace(",", "(,|%2C)"))
    )
    expect(page.locator(".remotelog-records")).not_to_contain_text("chatter")
    # The traceback opens where it is, without leaving the page.
    traceback = records.first.locator("pre")
    expect(traceback).to_be_hidden()
    records.first.get_by_text("Traceback", exact=True).click()
    expect(traceback).to_be_visible()
    expect(traceback).to_contain_text("RuntimeError: pump 4 stalled")
    assert page.url.endswith("/remotelog/records/?level=20")


def test_paused_the_tail_waits_and_resumed_it_catches_up(
    page, live_server, staff_user, password, application
):
    log_in(page, staff_user, password, "/remotelog/records/")
    expect(page.get_by_text("No records.")).to_be_visible()
    toggle = page.locator(".remotelog-tail-toggle")
    expect(toggle).to_have_text("Pause live tail")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    ingest(live_server, application, now_record("valve opened"))
    expect(toggle).to_have_text("Resume live tail")
    toggle.click()
    expect(page.locator(".remotelog-record")).to_contain_text("valve opened")
    expect(page.get_by_text("No records.")).to_be_hidden()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_pages_fit_the_screen_without_sideways_scrolling(
    page, live_server, staff_user, password, application, width
):
    unbroken = "x" * 600
    ingest(
        live_server,
        application,
        now_record(
            f"payload {unbroken} " * 3, name=f"app.{unbroken[:240]}", exc_text=TRACEBACK + unbroken
        ),
        now_record("another", exc_text=TRACEBACK),
    )
    page.set_viewport_size({"width": width, "height": 900})
    group = LogGroup.objects.order_by("pk").first()
    log_in(page, staff_user, password, "/remotelog/records/")
    for url in (
        "/remotelog/records/?q=payload",
        "/remotelog/groups/",
        f"/remotelog/groups/{group.pk}/",
    ):
        page.goto(url)
        for details in page.locator("details").all():
            details.locator("summary").click()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{url} scrolls sideways by {overflow} px at {width} px"
