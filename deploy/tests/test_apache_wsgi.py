"""Apache + mod_wsgi, started with deploy/apache/crm-wsgi.conf."""

import os
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from servers import (
    APACHE_BODY_LIMIT,
    APACHE_MODULES,
    BASE_DIR,
    VENV,
    Browser,
    apache_env,
    check_can_read,
    child_pids,
    keep_requesting,
    post_log_record,
    render_apache_site,
    send_log_record,
    start_apache,
    stored_log_messages,
    wait_for,
)

MOD_WSGI = APACHE_MODULES / "mod_wsgi.so"
PYTHON = f"python{sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture(scope="module")
def apache(apache_installed, site, site_dir, site_user, env_file, tls):
    if not MOD_WSGI.exists():
        pytest.fail(f"{MOD_WSGI} is missing: install 'libapache2-mod-wsgi-py3' (make test does).")
    # mod_wsgi embeds the Python it was built for and runs the virtualenv's
    # packages with it: the minor versions must match (deploy/README.md).
    if f"lib{PYTHON}".encode() not in MOD_WSGI.read_bytes():
        pytest.fail(f"{MOD_WSGI} is not built for {PYTHON}, the virtualenv's Python.")
    check_can_read(site_user, BASE_DIR / "manage.py", VENV / "lib" / PYTHON / "site-packages")

    cert, key, _ = tls
    apache = start_apache(
        "apache-wsgi",
        lambda http_port, https_port: render_apache_site(
            "crm-wsgi.conf",
            CRM_HOST="127.0.0.1",
            CRM_APP=BASE_DIR,
            CRM_VENV=VENV,
            CRM_STATIC=site["DJANGO_STATIC_ROOT"],
            CRM_USER=site_user.pw_name,
            CRM_HTTP_PORT=http_port,
            CRM_HTTPS_PORT=https_port,
            CRM_TLS_CERT=cert,
            CRM_TLS_KEY=key,
        ),
        directory=site_dir,
        modules=["wsgi"],
        user=site_user,
        # Where deploy/apache/crm.wsgi finds the settings (/etc/crm/crm.env in production).
        env=apache_env(CRM_ENV_FILE=str(env_file)),
        extra=[f"WSGISocketPrefix {site_dir}/wsgi"],
    )
    yield apache
    apache.server.stop()


@pytest.fixture
def browser(apache, tls):
    return Browser(apache.https, tls[2])


def test_the_login_page_answers_with_the_security_headers(browser, apache):
    page = browser.get("/accounts/login/")
    assert page.status == 200, apache.server.log_text()
    assert "Log in" in page.text
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Referrer-Policy"] == "same-origin"
    csrf = page.cookie("csrftoken")
    assert csrf["secure"] and csrf["httponly"]


def test_a_user_logs_in_over_https_with_a_secure_session(browser):
    response = browser.login()
    assert response.status == 302, response.text
    assert response.headers["Location"] == "/"
    session = response.cookie("sessionid")
    assert session["secure"] and session["httponly"]
    home = browser.get("/")
    assert home.status == 200
    assert "admin" in home.text


def test_plain_http_is_redirected_to_https(apache):
    response = Browser(apache.http).get("/accounts/login/")
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


def test_touching_the_wsgi_script_reloads_without_losing_a_request(apache, tls):
    """The upgrade step of deploy/README.md: touch crm.wsgi while a client keeps requesting.

    Only the file's modification time changes; the daemon processes restart.
    """
    wait_for(lambda: len(daemon_pids(apache)) == 2, "2 daemon processes", apache.server)
    old_daemons = daemon_pids(apache)
    answers, stop = [], threading.Event()
    browser = Browser(apache.https, tls[2])
    client = threading.Thread(
        target=keep_requesting, args=(browser, "/accounts/login/", answers, stop)
    )
    client.start()
    try:
        wait_for(lambda: len(answers) >= 5, "answers before the reload")
        os.utime(BASE_DIR / "deploy" / "apache" / "crm.wsgi")
        wait_for(
            lambda: len(daemon_pids(apache) - old_daemons) >= 1,
            "a restarted daemon process",
            apache.server,
        )
        served_before = len(answers)
        wait_for(lambda: len(answers) >= served_before + 5, "answers after the reload")
    finally:
        stop.set()
        client.join(timeout=60)
    assert Counter(answers) == {200: len(answers)}


def test_a_stock_http_handler_record_is_stored(apache, tls, log_application):
    """The credentials of logging.handlers.HTTPHandler get through to the site."""
    message = "record through Apache and mod_wsgi"
    send_log_record(apache.https, tls[2], log_application, message)
    assert message in stored_log_messages(Browser(apache.https, tls[2]), message)


def test_a_wrong_log_password_is_refused(browser, log_application):
    slug, _ = log_application
    response = post_log_record(browser, slug, "not the secret")
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
