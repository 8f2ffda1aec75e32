"""Journeys through the site in a real Chromium."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_journey(page, user, password):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username")

    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page.locator(".site-user .username")).to_have_text(user.username)
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
