"""The site's WSGI application: the record endpoints behind their short middleware chain."""

import io
import json
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.wsgi import application as site_application
from remotelog.models import LogMessage

from .conftest import basic_auth
from .test_log_endpoint import record_fields


def call(path, *, method="GET", body=b"", content_type="", host="testserver", **headers):
    """Call the site's WSGI application as a server does; return (status, headers, body)."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "HTTP_HOST": host,
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": content_type,
        **headers,
    }
    setup_testing_defaults(environ)
    answer = {}

    def start_response(status, response_headers):
        answer["status"], answer["headers"] = int(status[:3]), dict(response_headers)

    response = site_application(environ, start_response)
    try:
        content = b"".join(response)
    finally:
        response.close()
    return answer["status"], answer["headers"], content


def post_record(application, path=None, **extra):
    body = urlencode(record_fields()).encode()
    return call(
        path or f"/remotelog/{application.slug}/log/",
        method="POST",
        body=body,
        content_type="application/x-www-form-urlencoded",
        **basic_auth(application.slug, application.secret),
        **extra,
    )


@pytest.fixture
def hosts(settings):
    settings.ALLOWED_HOSTS = ["testserver"]


@pytest.mark.django_db(transaction=True)
class TestRecordEndpoints:
    def test_a_record_is_stored_without_the_pages_middleware(self, application, hosts):
        with CaptureQueriesContext(connection) as captured:
            status, headers, content = post_record(application)
        assert (status, content) == (201, b"Stored.\n")
        assert LogMessage.objects.get().message == "3 left"
        # Django's security headers, but nothing the pages' chain adds: no
        # session cookie, no Vary, no page policy, no frame rule.
        assert headers["X-Content-Type-Options"] == "nosniff"
        for name in ("Set-Cookie", "Vary", "Content-Security-Policy", "X-Frame-Options"):
            assert name not in headers
        # The application looked up, then one statement; SQLite's transaction
        # adds BEGIN and COMMIT to its four.
        assert len(captured) == (2 if connection.vendor == "postgresql" else 7)

    def test_a_batch_is_stored(self, application, hosts):
        status, _, content = call(
            f"/remotelog/{application.slug}/batch/",
            method="POST",
            body=json.dumps([{"msg": "one", "levelno": 20, "created": 1.5e9}]).encode(),
            content_type="application/json",
            **basic_auth(application.slug, application.secret),
        )
        assert status == 201, content
        assert json.loads(content) == {"stored": 1, "duplicates": 0}

    def test_a_host_not_allowed_is_refused(self, application, hosts):
        status, _, _ = post_record(application, host="evil.example")
        assert status == 400
        assert not LogMessage.objects.exists()

    def test_wrong_credentials_are_a_401(self, application, hosts):
        application.secret = "wrong"
        status, headers, _ = post_record(application)
        assert status == 401
        assert headers["WWW-Authenticate"].startswith("Basic ")

    def test_other_paths_go_through_the_pages_middleware(self, application, hosts):
        for path in ("/remotelog/records/", f"/remotelog/{application.slug}/log/extra/"):
            status, headers, _ = call(path)
            assert "Content-Security-Policy" in headers, path
            assert status in (302, 404), path
