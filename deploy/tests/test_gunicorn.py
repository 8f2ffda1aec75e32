"""gunicorn alone, started with deploy/gunicorn.conf.py, serving HTTPS itself."""

import os
import signal
import subprocess
import sys
import threading
from collections import Counter

import pytest
from servers import (
    BASE_DIR,
    DEPLOY,
    Browser,
    child_pids,
    free_port,
    keep_requesting,
    wait_for,
)


@pytest.fixture
def browser(gunicorn_alone, tls):
    return Browser(gunicorn_alone.origin, tls[2])


def test_the_stylesheet_is_served_without_apache(browser):
    response = browser.get("/static/crm/site.css")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/css")
    assert response.body == (BASE_DIR / "crm" / "static" / "crm" / "site.css").read_bytes()


def test_the_access_log_goes_to_stdout(browser, gunicorn_alone):
    browser.get("/accounts/login/?from=access-log-test")
    line = "GET /accounts/login/?from=access-log-test"
    wait_for(lambda: line in gunicorn_alone.log_text(), "log")


def test_a_reload_loses_no_request(gunicorn_alone, tls):
    """Send HUP, as `systemctl reload` does, while a client keeps requesting."""
    wait_for(lambda: len(child_pids(gunicorn_alone.pid)) == 2, "2 workers", gunicorn_alone)
    old_workers = child_pids(gunicorn_alone.pid)
    answers, stop = [], threading.Event()
    browser = Browser(gunicorn_alone.origin, tls[2])
    client = threading.Thread(
        target=keep_requesting, args=(browser, "/accounts/login/", answers, stop)
    )
    client.start()
    try:
        wait_for(lambda: len(answers) >= 5, "answers before the reload")
        os.kill(gunicorn_alone.pid, signal.SIGHUP)
        wait_for(
            lambda: (workers := child_pids(gunicorn_alone.pid)) and not workers & old_workers,
            "new workers to replace the old ones",
            gunicorn_alone,
        )
        served_before = len(answers)
        wait_for(lambda: len(answers) >= served_before + 5, "answers from the new workers")
    finally:
        stop.set()
        client.join(timeout=60)
    assert Counter(answers) == {200: len(answers)}


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_gunicorn_refuses_to_start_without_a_required_setting(site, missing):
    env = {name: value for name, value in site.items() if name != missing}
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", DEPLOY / "gunicorn.conf.py", "crm.wsgi"],
        cwd=BASE_DIR,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{free_port()}", "GUNICORN_WORKERS": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stdout + result.stderr
