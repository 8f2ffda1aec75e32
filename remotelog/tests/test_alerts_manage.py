"""Managing alerts: the remotelog_alert command, the admin, and the worker as a real process."""

import json
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from remotelog.alerts.worker import notify_pass
from remotelog.models import AlertRule, Notification

from .receivers import SMTPServer, WebhookReceiver, free_port
from .test_alerts import NOW, send

BASE_DIR = Path(__file__).resolve().parents[2]


def run(*args):
    out = StringIO()
    call_command("remotelog_alert", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_rules_are_added_listed_and_removed(application):
    output = run("add", "datalogger", "new_group", "--email", "ops@example.org")
    assert "Added rule" in output
    assert "secret" not in output
    output = run(
        "add", "datalogger", "threshold", "--webhook", "https://hooks.example.org/x",
        "--records", "50", "--minutes", "5", "--level", "warning", "--name", "Storm",
    )  # fmt: skip
    rule = AlertRule.objects.get(name="Storm")
    assert (rule.threshold, rule.window_minutes, rule.min_level) == (50, 5, 30)
    assert "Webhook secret (the receiver checks X-Remotelog-Signature with it): " in output
    assert rule.webhook_secret in output
    listing = run("list")
    assert re.search(r"datalogger\s+new_group\s+yes\s+ops@example.org", listing)
    assert re.search(
        r"datalogger\s+threshold\s+yes\s+https://hooks.example.org/x\s+\(Storm\)", listing
    )
    run("remove", str(rule.pk))
    assert list(AlertRule.objects.values_list("kind", flat=True)) == ["new_group"]
    with pytest.raises(CommandError, match="No alert rule"):
        run("remove", str(rule.pk))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["nosuchapp", "new_group", "--email", "a@example.org"], "No application 'nosuchapp'"),
        (["datalogger", "new_group"], "Give e-mail recipients, a webhook URL or both."),
        (["datalogger", "threshold", "--email", "a@example.org"], "needs N and M"),
        (["datalogger", "new_group", "--webhook", "ftp://example.org/x"], "valid URL"),
        (["datalogger", "new_group", "--email", "not an address"], "valid email"),
        (["datalogger", "new_group", "--email", "a@example.org", "--level", "LOUD"], "level"),
    ],
)
def test_a_bad_rule_is_refused(application, args, error):
    with pytest.raises(CommandError, match=error):
        run("add", *args)
    assert not AlertRule.objects.exists()


@pytest.mark.django_db
def test_the_test_action_sends_through_every_channel(settings, application):
    smtp, receiver = SMTPServer().start(), WebhookReceiver().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    try:
        run(
            "add",
            "datalogger",
            "new_group",
            "--email",
            "ops@example.org",
            "--webhook",
            receiver.url,
        )
        output = run("test", str(AlertRule.objects.get().pk))
    finally:
        smtp.stop()
        receiver.stop()
    assert "Sent a test by email." in output and "Sent a test by webhook." in output
    assert len(smtp.messages) == len(receiver.received) == 1
    assert not Notification.objects.exists()


def database_url():
    """Return a DATABASE_URL naming the test database this process uses."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_remotelog_notify_once_delivers_as_a_real_process(application, auth):
    smtp, receiver = SMTPServer().start(), WebhookReceiver().start()
    try:
        AlertRule.objects.create(
            application=application,
            name="New problems",
            kind="new_group",
            email_to="ops@example.org",
            webhook_url=receiver.url,
        )
        send(auth)
        environment = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DJANGO_DEBUG": "1",
            "DJANGO_EMAIL_HOST": "127.0.0.1",
            "DJANGO_EMAIL_PORT": str(smtp.port),
        }
        result = subprocess.run(
            [sys.executable, "manage.py", "remotelog_notify", "--once"],
            cwd=BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        smtp.stop()
        receiver.stop()
    assert result.returncode == 0, result.stderr
    assert "1 notification(s) made; 2 sent, 0 to retry, 0 given up." in result.stdout
    assert len(smtp.messages) == len(receiver.received) == 1
    assert json.loads(receiver.received[0][1])["rule"] == "New problems"


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.mark.django_db
def test_the_admin_manages_rules_and_lists_notifications_without_a_query_per_row(
    admin_client, application, auth, django_assert_max_num_queries
):
    response = admin_client.post(
        "/admin/remotelog/alertrule/add/",
        {
            "application": application.pk,
            "name": "Everything new",
            "kind": "new_group",
            "is_active": "on",
            "min_level": "40",
            "email_to": "",
            "webhook_url": f"http://127.0.0.1:{free_port()}/down",
        },
    )
    assert response.status_code == 302
    rule = AlertRule.objects.get()
    assert (
        rule.webhook_secret
        in admin_client.get(f"/admin/remotelog/alertrule/{rule.pk}/change/").content.decode()
    )
    refused = admin_client.post(
        "/admin/remotelog/alertrule/add/",
        {"application": application.pk, "name": "Nowhere", "kind": "new_group", "min_level": "40"},
    )
    assert "Give e-mail recipients, a webhook URL or both." in refused.content.decode()

    for line in range(30):
        send(auth, lineno=str(line), msg=f"<b>problem</b> {line}")
    notify_pass(now=NOW)
    with django_assert_max_num_queries(8):
        page = admin_client.get("/admin/remotelog/notification/").content.decode()
    assert page.count("webhook: pending (1 attempts)") == 30
    assert "&lt;b&gt;problem&lt;/b&gt;" in page and "<b>problem</b>" not in page
    rules = admin_client.get("/admin/remotelog/alertrule/").content.decode()
    assert re.search(r'<td class="field-notification_count">30</td>', rules)
