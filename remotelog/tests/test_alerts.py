"""Alerts against a real SMTP server and a real HTTP receiver, both on loopback."""

import datetime
import json
import logging

import pytest
from django.db import connection
from django.test import Client

from locking.testing import test_concurrently
from remotelog.alerts import delivery, webhooks
from remotelog.alerts.worker import notify_pass
from remotelog.models import AlertRule, Delivery, LogGroup, Notification

from .conftest import make_log_message
from .receivers import SMTPServer, WebhookReceiver, free_port
from .test_log_endpoint import post, record_fields

NOW = datetime.datetime(2026, 12, 2, 12, 1, tzinfo=datetime.UTC)


@pytest.fixture
def smtp(settings):
    """Start a real SMTP server and point Django's SMTP backend at it."""
    server = SMTPServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    yield server
    server.stop()


@pytest.fixture
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def make_rule(application, receiver):
    def make_rule(kind=AlertRule.Kind.NEW_GROUP, **fields):
        fields.setdefault("email_to", "ops@example.org, oncall@example.org")
        fields.setdefault("webhook_url", receiver.url)
        return AlertRule.objects.create(
            application=application, name=f"{kind} rule", kind=kind, **fields
        )

    return make_rule


def send(auth, **overrides):
    assert post(Client(), record_fields(**overrides), auth).status_code == 201


def verified(rule, received):
    """Return the JSON bodies of ``received`` webhooks, asserting each is correctly signed."""
    bodies = []
    for headers, body in received:
        timestamp = headers[webhooks.TIMESTAMP_HEADER]
        assert webhooks.verify(
            rule.webhook_secret,
            body,
            signature=headers[webhooks.SIGNATURE_HEADER],
            timestamp=timestamp,
            now=int(timestamp),
        )
        assert headers["Content-Type"] == "application/json"
        bodies.append(json.loads(body))
    return bodies


@pytest.mark.django_db
def test_a_new_group_sends_one_mail_and_one_signed_webhook_and_never_again(
    smtp, receiver, make_rule, auth
):
    rule = make_rule()
    send(auth, msg="Disk %s is full", args="('sda',)")
    # The ingest request itself sends nothing: the worker does.
    assert (smtp.messages, receiver.received) == ([], [])

    assert notify_pass(now=NOW) == {"notifications": 1, "sent": 2, "pending": 0, "failed": 0}
    group = LogGroup.objects.get()
    ((recipients, mail),) = smtp.messages
    assert recipients == ["ops@example.org", "oncall@example.org"]
    assert mail["Subject"] == "[remotelog] Datalogger: new group: WARNING app.jobs: Disk %s is full"
    assert "Disk %s is full" in mail.get_content()
    (body,) = verified(rule, receiver.received)
    assert (body["application"], body["event"], body["group"]["id"]) == (
        "datalogger",
        "new group",
        group.pk,
    )
    assert body["timestamp"] == int(NOW.timestamp())

    # More records of the group, and more passes: nothing more is sent.
    send(auth, msg="Disk %s is full", args="('sdb',)")
    assert notify_pass(now=NOW)["notifications"] == 0
    assert notify_pass(now=NOW + datetime.timedelta(hours=1))["sent"] == 0
    assert (len(smtp.messages), len(receiver.received)) == (1, 1)

    # Another group is announced once too.
    send(auth, msg="Disk %s is full", lineno="43")
    assert notify_pass(now=NOW)["sent"] == 2
    assert (len(smtp.messages), len(receiver.received)) == (2, 2)


@pytest.mark.django_db
def test_groups_made_before_the_rule_are_not_announced(smtp, receiver, make_rule, auth):
    send(auth)
    make_rule()
    assert notify_pass(now=NOW)["notifications"] == 0
    assert (smtp.messages, receiver.received) == ([], [])


@pytest.mark.django_db
def test_each_reopening_of_a_resolved_group_is_announced_once(smtp, receiver, make_rule, auth):
    rule = make_rule(AlertRule.Kind.REOPENED, email_to="")
    send(auth)
    assert notify_pass(now=NOW)["notifications"] == 0  # new, not reopened
    for reopening in (1, 2):
        LogGroup.objects.resolve()
        send(auth)
        assert notify_pass(now=NOW)["notifications"] == 1
        assert notify_pass(now=NOW)["notifications"] == 0
        assert verified(rule, receiver.received)[-1]["group"]["times_reopened"] == reopening
    send(auth)  # the group is open: no reopening
    assert notify_pass(now=NOW)["notifications"] == 0
    assert len(receiver.received) == 2
    assert smtp.messages == []


@pytest.mark.django_db
def test_a_threshold_rule_fires_once_per_window(smtp, receiver, make_rule, application):
    rule = make_rule(
        AlertRule.Kind.THRESHOLD, threshold=3, window_minutes=10, min_level=logging.ERROR
    )

    def records(moment, count, levelno=logging.ERROR):
        for _ in range(count):
            make_log_message(application, created=moment, levelno=levelno)

    records(NOW - datetime.timedelta(minutes=1), 2)
    records(NOW - datetime.timedelta(minutes=1), 5, levelno=logging.WARNING)
    records(NOW - datetime.timedelta(minutes=11), 5)  # before the last ten minutes
    assert notify_pass(now=NOW)["notifications"] == 0

    records(NOW, 1, levelno=logging.CRITICAL)
    assert notify_pass(now=NOW)["notifications"] == 1
    # Later in the same window (12:00 to 12:10): nothing more.
    assert notify_pass(now=NOW + datetime.timedelta(minutes=5))["notifications"] == 0
    # The next window, quiet: nothing.
    later = NOW + datetime.timedelta(minutes=11)
    assert notify_pass(now=later)["notifications"] == 0
    records(later, 3)
    assert notify_pass(now=later)["notifications"] == 1
    assert len(smtp.messages) == 2
    bodies = verified(rule, receiver.received)
    keys = [body["key"] for body in bodies]
    assert keys == ["window:2026-12-02T12:00", "window:2026-12-02T12:10"]
    assert "3 or more records at level 40 or above in 10 min" in smtp.messages[0][1]["Subject"]


@pytest.mark.django_db
def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(make_rule, auth, caplog):
    port = free_port()
    rule = make_rule(email_to="", webhook_url=f"http://127.0.0.1:{port}/hook")
    send(auth)
    # Connection refused: retried 30 s later, then 60 s after that.
    assert notify_pass(now=NOW)["pending"] == 1
    (row,) = Delivery.objects.all()
    assert (row.attempts, row.next_attempt_at) == (1, NOW + delivery.BACKOFF)
    assert "Connection refused" in row.last_error
    assert notify_pass(now=NOW + datetime.timedelta(seconds=29))["pending"] == 0
    assert notify_pass(now=NOW + delivery.BACKOFF)["pending"] == 1
    row.refresh_from_db()
    assert (row.attempts, row.next_attempt_at) == (2, NOW + 3 * delivery.BACKOFF)

    # Up again, but failing once with a 500: one more retry, then it is delivered.
    receiver = WebhookReceiver(port=port, failures=[500]).start()
    try:
        assert notify_pass(now=NOW + 3 * delivery.BACKOFF)["pending"] == 1
        row.refresh_from_db()
        assert "HTTP Error 500" in row.last_error
        assert row.next_attempt_at == NOW + 7 * delivery.BACKOFF
        assert notify_pass(now=NOW + 7 * delivery.BACKOFF)["sent"] == 1
        assert notify_pass(now=NOW + 15 * delivery.BACKOFF)["sent"] == 0
    finally:
        receiver.stop()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 4, "")
    assert len(verified(rule, receiver.received)) == 2  # the 500, then the one that got through
    assert "attempt 3 failed: HTTPError: HTTP Error 500" in caplog.text
    assert rule.webhook_secret not in caplog.text


@pytest.mark.django_db
def test_a_mail_server_down_is_retried_and_a_delivery_given_up_stays_failed(
    settings, make_rule, auth
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    make_rule(webhook_url="")
    send(auth)
    moment = NOW
    for attempt in range(1, delivery.MAX_ATTEMPTS + 1):
        result = notify_pass(now=moment)
        assert (result["pending"], result["failed"]) == (
            (1, 0) if attempt < delivery.MAX_ATTEMPTS else (0, 1)
        )
        moment = Delivery.objects.get().next_attempt_at
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == ("failed", delivery.MAX_ATTEMPTS)
    assert "Connection refused" in row.last_error
    # Given up: the server coming back changes nothing.
    server = SMTPServer(port=settings.EMAIL_PORT).start()
    try:
        assert notify_pass(now=moment + datetime.timedelta(days=1))["sent"] == 0
    finally:
        server.stop()
    assert server.messages == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two workers on real connections")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_notification_once(smtp, receiver, make_rule, auth):
    make_rule()
    for line in range(5):
        send(auth, lineno=str(line))

    @test_concurrently(2)
    def worker_pass():
        notify_pass(now=NOW)

    worker_pass()
    assert Notification.objects.count() == 5
    assert Delivery.objects.filter(status="sent").count() == 10
    assert (len(smtp.messages), len(receiver.received)) == (5, 5)
