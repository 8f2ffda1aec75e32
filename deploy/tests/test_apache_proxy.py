"""Apache in front of gunicorn, started with deploy/apache/crm-proxy.conf."""

import pytest
from servers import (
    APACHE_BODY_LIMIT,
    BASE_DIR,
    Browser,
    post_log_record,
    send_log_record,
    stored_log_messages,
    wait_for,
)


@pytest.fixture
def browser(apache_proxy, tls):
    return Browser(apache_proxy.https, tls[2])


def test_the_login_page_answers_through_apache_as_a_secure_request(browser, apache_proxy):
    page = browser.get("/accounts/login/")
    assert page.status == 200, apache_proxy.server.log_text()
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


def test_request_is_secure_follows_x_forwarded_proto(gunicorn_behind_apache):
    """Straight to gunicorn's socket, as Apache connects: the header decides."""
    direct = Browser("http://localhost", unix_socket=gunicorn_behind_apache.socket)
    plain = direct.get("/accounts/login/")
    assert plain.status == 301
    assert plain.headers["Location"] == "https://localhost/accounts/login/"
    secure = direct.get("/accounts/login/", **{"X-Forwarded-Proto": "https"})
    assert secure.status == 200
    assert "Strict-Transport-Security" in secure.headers


def test_apache_serves_static_files_without_asking_gunicorn(browser, gunicorn_behind_apache):
    response = browser.get("/static/crm/site.css?from=proxy-static-test")
    assert response.status == 200
    assert response.body == (BASE_DIR / "crm" / "static" / "crm" / "site.css").read_bytes()
    # A page requested afterwards shows up in gunicorn's access log; the
    # stylesheet never does.
    browser.get("/accounts/login/?from=proxy-page-test")
    log = gunicorn_behind_apache.log_text
    wait_for(lambda: "proxy-page-test" in log(), "page in the access log")
    assert "proxy-static-test" not in log()


def test_apache_refuses_request_bodies_over_the_limit(
    browser, apache_proxy, gunicorn_behind_apache
):
    response = browser.request(
        "POST",
        "/accounts/login/",
        body=b"x" * (APACHE_BODY_LIMIT + 1),
        headers={"Content-Type": "application/octet-stream"},
    )
    logs = apache_proxy.server.log_text() + gunicorn_behind_apache.log_text()
    assert response.status == 413, logs


def test_plain_http_is_redirected_to_https(apache_proxy):
    response = Browser(apache_proxy.http).get("/accounts/login/")
    assert response.status == 301
    assert response.headers["Location"].startswith("https://127.0.0.1/")


def test_a_stock_http_handler_record_is_stored(apache_proxy, tls, log_application):
    """The credentials of logging.handlers.HTTPHandler get through to the site."""
    message = "record through Apache to gunicorn"
    send_log_record(apache_proxy.https, tls[2], log_application, message)
    assert message in stored_log_messages(Browser(apache_proxy.https, tls[2]), message)


def test_a_wrong_log_password_is_refused(browser, log_application):
    slug, _ = log_application
    response = post_log_record(browser, slug, "not the secret")
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
