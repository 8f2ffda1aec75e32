"""Apache in front of gunicorn, started with deploy/apache/crm-proxy.conf."""

import pytest
from servers import (
    APACHE_BODY_LIMIT,
    BASE_DIR,
    Browser,
    wait_for,
)


@pytest.fixture
def browser(apache_proxy, tls):
    return Browser(apache_proxy.https, tls[2])


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
