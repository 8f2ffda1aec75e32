"""remotelog_app: secrets printed once, only their digest kept."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from remotelog.models import Application

from .conftest import basic_auth
from .test_log_endpoint import post, record_fields

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("remotelog_app", *args, stdout=out)
    return out.getvalue()


def printed_secret(output):
    return re.search(r"Secret \(shown once[^:]*\): (\S+)", output).group(1)


def test_add_prints_a_secret_that_authenticates_and_is_not_stored(client):
    output = run("add", "datalogger", "--name", "Data logger", "--retention-days", "30")
    secret = printed_secret(output)
    application = Application.objects.get(slug="datalogger")
    assert (application.name, application.retention_days) == ("Data logger", 30)
    assert len(secret) > 40
    assert secret not in application.secret_digest
    assert '"/remotelog/datalogger/log/"' in output
    response = post(client, record_fields(), basic_auth("datalogger", secret))
    assert response.status_code == 201


def test_rotate_replaces_the_secret(client):
    old = printed_secret(run("add", "datalogger"))
    new = printed_secret(run("rotate", "datalogger"))
    assert new != old
    assert post(client, record_fields(), basic_auth("datalogger", old)).status_code == 401
    assert post(client, record_fields(), basic_auth("datalogger", new)).status_code == 201


def test_disable_refuses_then_enable_accepts(client):
    secret = printed_secret(run("add", "datalogger"))
    run("disable", "datalogger")
    assert post(client, record_fields(), basic_auth("datalogger", secret)).status_code == 401
    run("enable", "datalogger")
    assert post(client, record_fields(), basic_auth("datalogger", secret)).status_code == 201


def test_list_shows_every_application_without_secrets():
    secret = printed_secret(run("add", "datalogger"))
    run("add", "cron", "--open", "--retention-days", "0")
    output = run("list")
    assert re.search(r"cron\s+yes\s+yes\s+forever", output)
    assert re.search(r"datalogger\s+yes\s+no\s+90d", output)
    assert secret not in output


def test_errors_name_the_problem():
    run("add", "datalogger")
    with pytest.raises(CommandError, match="exists already"):
        run("add", "datalogger")
    with pytest.raises(CommandError, match="No application 'nosuch'"):
        run("rotate", "nosuch")
