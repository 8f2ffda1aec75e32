"""A process remembers applications' secrets, yet a change anywhere is obeyed at once."""

import pytest
from django.db import connection

from remotelog.models import Application, LogMessage

from .conftest import basic_auth
from .test_log_endpoint import post, record_fields


@pytest.fixture
def remembered(client, application, auth):
    """The application, after a first record made this process remember it."""
    assert post(client, record_fields(), auth).status_code == 201
    return application


def test_a_remembered_application_costs_one_statement_on_postgresql(
    client, remembered, auth, django_assert_num_queries
):
    # PostgreSQL groups and stores the record in one statement; SQLite reads the
    # group, reopens it if resolved, writes its tally and the row (a local file,
    # no round trips).
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 4):
        assert post(client, record_fields(), auth).status_code == 201


def test_a_rotated_secret_is_refused_at_once_and_the_new_one_works(client, remembered, auth):
    new_secret = remembered.set_new_secret()
    # As another process would: a plain UPDATE, no signal reaches this process.
    Application.objects.filter(pk=remembered.pk).update(secret_digest=remembered.secret_digest)
    assert post(client, record_fields(), auth).status_code == 401
    assert post(client, record_fields(), basic_auth("datalogger", new_secret)).status_code == 201
    # The old secret stays refused now that the new one is remembered.
    assert post(client, record_fields(), auth).status_code == 401
    assert LogMessage.objects.count() == 2


def test_a_disabled_application_is_refused_at_once(client, remembered, auth):
    Application.objects.filter(pk=remembered.pk).update(is_active=False)
    assert post(client, record_fields(), auth).status_code == 401
    assert post(client, record_fields(), auth).status_code == 401
    assert LogMessage.objects.count() == 1


def test_a_disabled_application_gets_401_before_any_other_refusal(client, remembered, auth):
    Application.objects.filter(pk=remembered.pk).update(is_active=False)
    assert post(client, record_fields(levelno="x"), auth).status_code == 401
    assert post(client, "not a form", auth).status_code == 401


def test_an_application_no_longer_open_needs_credentials_at_once(client, make_application):
    lab = make_application("lab", is_open=True)
    url = "/remotelog/lab/log/"
    assert post(client, record_fields(), url=url).status_code == 201
    Application.objects.filter(pk=lab.pk).update(is_open=False)
    assert post(client, record_fields(), url=url).status_code == 401
    assert post(client, record_fields(), basic_auth("lab", lab.secret), url=url).status_code == 201


def test_a_deleted_and_recreated_slug_is_a_new_application(client, remembered, make_application):
    remembered.delete()
    again = make_application("datalogger")
    assert post(client, record_fields(), basic_auth("datalogger", again.secret)).status_code == 201
    assert LogMessage.objects.get().application == again


def test_a_remembered_secret_is_still_checked_against_the_user_name(client, remembered):
    wrong_user = basic_auth("other", remembered.secret)
    assert post(client, record_fields(), wrong_user).status_code == 401
