"""A staff member follows a bar of the overview chart to the records behind it."""

import logging
import re

import pytest
from playwright.sync_api import expect

from .conftest import make_log_message

pytestmark = pytest.mark.django_db(transaction=True)


def test_chart_bar_leads_to_the_filtered_admin_list(page, staff_user, password, application):
    for _ in range(3):
        make_log_message(application, levelno=logging.ERROR, msg="pump 4 stalled")
    make_log_message(application, levelno=logging.INFO, msg="pump 4 started")
    page.goto("/accounts/login/?next=/remotelog/")
    page.fill("input[name=username]", staff_user.username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Remote logs")
    hourly = page.locator("section.remotelog-chart").first
    expect(hourly.locator("svg[role=img] rect")).to_have_count(2)
    hourly.locator("a", has=page.locator("title", has_text="ERROR: 3")).click()
    expect(page).to_have_url(re.compile(r"/admin/remotelog/logmessage/\?.*levelno=40"))
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    expect(page.locator("#result_list")).to_contain_text("pump 4 stalled")
    expect(page.locator("#result_list")).not_to_contain_text("pump 4 started")
