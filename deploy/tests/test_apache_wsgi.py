"""Apache + mod_wsgi, started with deploy/apache/crm-wsgi.conf."""

import os
import threading
from collections import Counter
from pathlib import Path

import pytest
from servers import (
    APACHE_BODY_LIMIT,
    BASE_DIR,
    Browser,
    child_pids,
    keep_requesting,
    wait_for,
)


@pytest.fixture
def browser(apache_wsgi, tls):
    return Browser(apache_wsgi.https, tls[2])


def test_plain_http_is_redirected_to_https(apache_wsgi):
    response = Browser(apache_wsgi.http).get("/accounts/login/")
    assert response.status == 301
    assert response.headers["Location"].startswith("https://127.0.0.1/")


def test_apache_serves_the_stylesheet_from_static_root(browser, site):
    response = browser.get("/static/crm/site.css")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/css")
    assert response.body == (BASE_DIR / "crm" / "static" / "crm" / "site.css").read_bytes()
    # Django adds these to everything it answers; Apache answered alone.
    assert "Referrer-Policy" not in response.headers


def test_apache_refuses_request_bodies_over_the_limit(browser):
    response = browser.request(
        "POST",
        "/accounts/login/",
        body=b"x" * (APACHE_BODY_LIMIT + 1),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status == 413


def daemon_pids(apache):
    """Return the ids of the mod_wsgi daemon processes (display-name=%{GROUP})."""
    pids = set()
    for pid in child_pids(apache.server.pid):
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"(wsgi:crm)"):
                pids.add(pid)
        except OSError:
            pass
    return pids


def test_touching_the_wsgi_script_reloads_without_losing_a_request(apache_wsgi, tls):
    """The upgrade step of deploy/README.md: touch crm.wsgi while a client keeps requesting.

    Only the file's modification time changes; the daemon processes restart.
    """
    wait_for(lambda: len(daemon_pids(apache_wsgi)) == 2, "2 daemon processes", apache_wsgi.server)
    old_daemons = daemon_pids(apache_wsgi)
    answers, stop = [], threading.Event()
    browser = Browser(apache_wsgi.https, tls[2])
    client = threading.Thread(
        target=keep_requesting, args=(browser, "/accounts/login/", answers, stop)
    )
    client.start()
    try:
        wait_for(lambda: len(answers) >= 5, "answers before the reload")
        os.utime(BASE_DIR / "deploy" / "apache" / "crm.wsgi")
        wait_for(
            lambda: len(daemon_pids(apache_wsgi) - old_daemons) >= 1,
            "a restarted daemon process",
            apache_wsgi.server,
        )
        served_before = len(answers)
        wait_for(lambda: len(answers) >= served_before + 5, "answers after the reload")
    finally:
        stop.set()
        client.join(timeout=60)
    assert Counter(answers) == {200: len(answers)}
