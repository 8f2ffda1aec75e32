"""Apache in front of gunicorn, started with deploy/apache/crm-proxy.conf."""

import os

import pytest
from servers import (
    APACHE_BODY_LIMIT,
    BASE_DIR,
    Browser,
    answers_on_unix,
    apache_env,
    post_log_record,
    render_apache_site,
    send_log_record,
    start_apache,
    start_gunicorn,
    stored_log_messages,
    wait_for,
)


@pytest.fixture(scope="module")
def gunicorn(site, site_dir, site_user):
    socket_path = site_dir / "gunicorn.sock"
    server = start_gunicorn(
        "gunicorn-behind-apache",
        env={**site, "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"},
        directory=site_dir,
        bind=f"unix:{socket_path}",
        ready=answers_on_unix(socket_path),
    )
    # systemd's crm-gunicorn.socket hands the socket to www-data (SocketUser=).
    os.chown(socket_path, site_user.pw_uid, site_user.pw_gid)
    server.socket = socket_path
    yield server
    server.stop()


@pytest.fixture(scope="module")
def apache(apache_installed, gunicorn, site, site_dir, site_user, tls):
    cert, key, _ = tls
    apache = start_apache(
        "apache-proxy",
        lambda http_port, https_port: render_apache_site(
            "crm-proxy.conf",
            CRM_HOST="127.0.0.1",
            CRM_STATIC=site["DJANGO_STATIC_ROOT"],
            CRM_UPSTREAM=f"unix:{gunicorn.socket}|http://localhost/",
            CRM_HTTP_PORT=http_port,
            CRM_HTTPS_PORT=https_port,
            CRM_TLS_CERT=cert,
            CRM_TLS_KEY=key,
        ),
        directory=site_dir,
        modules=["headers", "rewrite", "proxy", "proxy_http"],
        user=site_user,
        env=apache_env(),
    )
    yield apache
    apache.server.stop()


@pytest.fixture
def browser(apache, tls):
    return Browser(apache.https, tls[2])


def test_the_login_page_answers_through_apache_as_a_secure_request(browser, apache):
    page = browser.get("/accounts/login/")
    assert page.status == 200, apache.server.log_text()
    # Django sends HSTS only on requests it considers secure.
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert page.headers["X-Frame-Options"] == "DENY"
    csrf = page.cookie("csrftoken")
    assert csrf["secure"] and csrf["httponly"]


def test_a_user_logs_in_through_apache(browser):
    response = browser.login()
    assert response.status == 302, response.text
    assert response.cookie("sessionid")["secure"]
    assert browser.get("/").status == 200


def test_apache_overwrites_a_forwarded_proto_sent_by_the_client(browser):
    page = browser.get("/accounts/login/", **{"X-Forwarded-Proto": "http"})
    assert page.status == 200
    assert "Strict-Transport-Security" in page.headers


def test_request_is_secure_follows_x_forwarded_proto(gunicorn):
    """Straight to gunicorn's socket, as Apache connects: the header decides."""
    direct = Browser("http://localhost", unix_socket=gunicorn.socket)
    plain = direct.get("/accounts/login/")
    assert plain.status == 301
    assert plain.headers["Location"] == "https://localhost/accounts/login/"
    secure = direct.get("/accounts/login/", **{"X-Forwarded-Proto": "https"})
    assert secure.status == 200
    assert "Strict-Transport-Security" in secure.headers


def test_apache_serves_static_files_without_asking_gunicorn(browser, gunicorn):
    response = browser.get("/static/crm/site.css?from=proxy-static-test")
    assert response.status == 200
    assert response.body == (BASE_DIR / "crm" / "static" / "crm" / "site.css").read_bytes()
    # A page requested afterwards shows up in gunicorn's access log; the
    # stylesheet never does.
    browser.get("/accounts/login/?from=proxy-page-test")
    wait_for(lambda: "proxy-page-test" in gunicorn.log_text(), "page in the access log")
    assert "proxy-static-test" not in gunicorn.log_text()


def test_apache_refuses_request_bodies_over_the_limit(browser, apache, gunicorn):
    response = browser.request(
        "POST",
        "/accounts/login/",
        body=b"x" * (APACHE_BODY_LIMIT + 1),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status == 413, apache.server.log_text() + gunicorn.log_text()


def test_plain_http_is_redirected_to_https(apache):
    response = Browser(apache.http).get("/accounts/login/")
    assert response.status == 301
    assert response.headers["Location"].startswith("https://127.0.0.1/")


def test_a_stock_http_handler_record_is_stored(apache, tls, log_application):
    """The credentials of logging.handlers.HTTPHandler get through to the site."""
    message = "record through Apache to gunicorn"
    send_log_record(apache.https, tls[2], log_application, message)
    assert message in stored_log_messages(Browser(apache.https, tls[2]), message)


def test_a_wrong_log_password_is_refused(browser, log_application):
    slug, _ = log_application
    response = post_log_record(browser, slug, "not the secret")
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
