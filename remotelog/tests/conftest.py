import base64
import datetime
import io
import logging
import logging.handlers
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from remotelog.models import Application, LogMessage


@pytest.fixture
def make_application(db):
    """Return a factory of applications; each carries its new secret as `.secret`."""

    def make_application(slug="datalogger", **fields):
        application = Application(slug=slug, name=fields.pop("name", slug.title()), **fields)
        application.secret = application.set_new_secret()
        application.save()
        return application

    return make_application


@pytest.fixture
def application(make_application):
    return make_application()


def basic_auth(username, password):
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


@pytest.fixture
def auth(application):
    """Return the Authorization header (for the test client) of ``application``."""
    return basic_auth(application.slug, application.secret)


def http_handler(live_server, application, method="POST", credentials=True):
    """Return the standard library's HTTPHandler, unmodified, aimed at the live server."""
    return logging.handlers.HTTPHandler(
        urlparse(live_server.url).netloc,
        f"/remotelog/{application.slug}/log/",
        method=method,
        credentials=(application.slug, application.secret) if credentials else None,
    )


class Capture(logging.Handler):
    """Keep the records a logger emitted, to compare them with the stored rows."""

    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def make_log_message(application, *, created=None, levelno=logging.INFO, **fields):
    """Create a stored log message with sensible defaults."""
    created = created or timezone.now()
    fields.setdefault("name", "app.module")
    fields.setdefault("msg", "Something happened")
    fields.setdefault("message", fields["msg"])
    return LogMessage.objects.create(
        application=application,
        created=created,
        levelno=levelno,
        levelname=logging.getLevelName(levelno),
        **fields,
    )


def hours_ago(hours):
    return timezone.now() - datetime.timedelta(hours=hours)


class HungUp(io.BytesIO):
    """A request body whose connection broke: reading it fails as a reset socket does."""

    def read(self, size=-1, /):
        raise ConnectionResetError("Connection reset by peer")


def post_cut_short(client, url, body, *, declared, content_type, auth, stream=None):
    """
    POST ``body`` under a Content-Length of ``declared`` bytes, as a client that hangs up.

    The test client would refuse to read past its payload; a plain stream ends
    early the way a socket closed by the client does.
    """
    return client.generic(
        "POST",
        url,
        body,
        content_type=content_type,
        CONTENT_LENGTH=str(declared),
        **{"wsgi.input": stream or io.BytesIO(body)},
        **auth,
    )
