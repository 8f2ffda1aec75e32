"""Fixtures shared by every app's tests: users, logged-in clients, a real browser."""

import html
import os
import re
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CRM_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "var" / "test-screenshots"
PASSWORD = "correct horse battery staple"
_failed_key = pytest.StashKey[bool]()
_MESSAGE = re.compile(r'<span class="message-text">(.*?)</span>', re.DOTALL)


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def shown():
    """Return a function listing the message texts a page shows, unescaped, in order."""

    def shown(response):
        return [html.unescape(text) for text in _MESSAGE.findall(response.content.decode())]

    return shown


@pytest.fixture
def make_user(db, django_user_model):
    """Return a factory of users, all with the same known password."""

    def make_user(username="alice", **fields):
        return django_user_model.objects.create_user(username, password=PASSWORD, **fields)

    return make_user


@pytest.fixture
def user(make_user):
    """
    A manager: the suite was written when every user could do everything,
    and most of its tests use this user to delete, merge, restore or undo.
    What the other roles may not do is tested with ``viewer`` and ``editor``.
    """
    from crm.roles import role_set

    user = make_user()
    role_set(user=user, role="managers")
    return user


@pytest.fixture
def editor(make_user):
    from crm.roles import role_set

    user = make_user("edith")
    role_set(user=user, role="editors")
    return user


@pytest.fixture
def viewer(make_user):
    from crm.roles import role_set

    user = make_user("victor")
    role_set(user=user, role="viewers")
    return user


@pytest.fixture
def staff_user(make_user):
    return make_user("admin", is_staff=True, is_superuser=True)


@pytest.fixture
def logged_in_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture(scope="session")
def browser():
    """Start Debian's Chromium once per session, headless, through Playwright."""
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's 'chromium' package (make test does).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # Remember a failure (in set-up or the test itself) for the page fixture.
    if report.failed:
        item.stash[_failed_key] = True
    return report


@pytest.fixture
def page(request, browser, live_server):
    """Return a fresh browser page; save a screenshot if the test fails."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    if request.node.stash.get(_failed_key, False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{request.node.name}.png", full_page=True)
    context.close()


@pytest.fixture
def logged_in_page(page, user):
    """Return a browser page logged in as ``user`` through the login form."""
    page.goto("/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page
