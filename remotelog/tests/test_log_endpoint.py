"""The single-record endpoint, driven by the unmodified standard-library HTTPHandler."""

import logging
import threading
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remotelog.models import LogMessage

from .conftest import Capture, HungUp, basic_auth, http_handler, post_cut_short

URL = "/remotelog/datalogger/log/"
FORM = "application/x-www-form-urlencoded"


def post(client, data, auth=None, url=URL, **extra):
    body = data if isinstance(data, str | bytes) else urlencode(data)
    return client.post(url, body, content_type=FORM, **(auth or {}), **extra)


def record_fields(**overrides):
    record = logging.LogRecord(
        "app.jobs", logging.WARNING, "/srv/job.py", 42, "%s left", (3,), None
    )
    fields = {key: str(value) for key, value in record.__dict__.items()}
    fields.update(overrides)
    return fields


def send_with_stock_handler(live_server, application, method, logger_name, **log):
    """Log one record through HTTPHandler; return the LogRecord it sent."""
    logger = logging.getLogger(logger_name)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    capture = Capture()
    handler = http_handler(live_server, application, method=method)
    logger.addHandler(capture)
    logger.addHandler(handler)
    try:
        log.pop("call")(logger)
    finally:
        logger.removeHandler(handler)
        logger.removeHandler(capture)
    (record,) = capture.records
    return record


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_stock_handler_round_trips_every_field(live_server, application, method):
    record = send_with_stock_handler(
        live_server,
        application,
        method,
        f"crm.tests.{method.lower()}",
        call=lambda logger: logger.warning(
            "Disk %s is %d%% full", "/dev/sda1", 93, extra={"station": "north-3"}
        ),
    )
    row = LogMessage.objects.get()
    assert row.application == application
    assert row.message == "Disk /dev/sda1 is 93% full"
    assert row.msg == record.msg
    assert row.args == str(record.args)
    for field in (
        "name",
        "levelno",
        "levelname",
        "pathname",
        "filename",
        "module",
        "lineno",
        "funcName",
        "thread",
        "threadName",
        "process",
        "processName",
    ):
        assert getattr(row, field) == getattr(record, field), field
    assert row.created.timestamp() == pytest.approx(record.created, abs=1e-5)
    assert row.msecs == pytest.approx(record.msecs)
    assert row.relativeCreated == pytest.approx(record.relativeCreated)
    # The handler sends "None" for empty fields: stored as NULL.
    assert row.exc_info is None
    assert row.exc_text is None
    assert row.stack_info is None
    assert row.extra == {"station": "north-3"}
    assert row.remote_addr == "127.0.0.1"
    assert row.received >= row.created


@pytest.mark.django_db(transaction=True)
def test_exception_without_formatted_traceback_keeps_the_exc_info_text(live_server, application):
    def fail(logger):
        try:
            1 / 0  # noqa: B018
        except ZeroDivisionError:
            logger.exception("Division failed")

    send_with_stock_handler(live_server, application, "POST", "crm.tests.exc", call=fail)
    row = LogMessage.objects.get()
    assert row.levelname == "ERROR"
    assert "ZeroDivisionError('division by zero')" in row.exc_info
    assert "ZeroDivisionError" in row.traceback


@pytest.mark.django_db(transaction=True)
def test_traceback_formatted_by_another_handler_arrives(live_server, application):
    # A StreamHandler placed first formats the record, which sets exc_text.
    logger = logging.getLogger("crm.tests.formatted")
    stream = logging.StreamHandler(open("/dev/null", "w"))  # noqa: SIM115
    logger.addHandler(stream)

    def fail(logger):
        try:
            {}["missing"]
        except KeyError:
            logger.exception("Lookup failed")

    try:
        send_with_stock_handler(live_server, application, "POST", logger.name, call=fail)
    finally:
        logger.removeHandler(stream)
        stream.stream.close()
    row = LogMessage.objects.get()
    assert row.exc_text.startswith("Traceback (most recent call last):")
    assert "KeyError: 'missing'" in row.exc_text
    assert row.traceback == row.exc_text


@pytest.mark.django_db(transaction=True)
def test_ten_threads_of_a_hundred_records_store_exactly_a_thousand(live_server, application):
    def send(number):
        logger = logging.getLogger(f"crm.tests.thread{number}")
        logger.propagate = False
        handler = http_handler(live_server, application)
        # The stock handler swallows errors into handleError; make them fail the test.
        errors = []
        handler.handleError = lambda record: errors.append(record)
        logger.addHandler(handler)
        for index in range(100):
            logger.warning("thread %d record %d", number, index)
        logger.removeHandler(handler)
        assert not errors

    threads = [threading.Thread(target=send, args=(number,)) for number in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert LogMessage.objects.count() == 1000
    assert LogMessage.objects.filter(message="thread 7 record 99").count() == 1


@pytest.mark.django_db
class TestRefusals:
    def test_a_good_record_is_stored_with_201(self, client, auth):
        response = post(client, record_fields(), auth)
        assert response.status_code == 201
        assert LogMessage.objects.get().message == "3 left"

    def test_a_first_record_costs_a_look_up_and_one_statement_on_postgresql(self, client, auth):
        # A process's first record: look up the application, then group and
        # store the row in one statement (autocommit, a call of the function
        # remotelog_store_record); SQLite reads the group, makes it, writes its
        # tally, then the row. Later ones skip the look-up (test_auth.py).
        with CaptureQueriesContext(connection) as captured:
            assert post(client, record_fields(), auth).status_code == 201
        assert len(captured) == (2 if connection.vendor == "postgresql" else 5)

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's session state")
    def test_storing_leaves_no_state_in_the_database_session(self, client, auth):
        # A pooler in transaction mode (PgBouncer) hands each transaction any
        # server connection: nothing may rely on one kept from a request before.
        for _ in range(2):
            assert post(client, record_fields(), auth).status_code == 201
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            assert cursor.fetchone()[0] == 0
            cursor.execute("SELECT count(*) FROM pg_cursors")
            assert cursor.fetchone()[0] == 0
        assert LogMessage.objects.count() == 2

    def test_no_middleware_touches_the_session(self, client, auth):
        response = post(client, record_fields(), auth)
        assert response.status_code == 201
        assert not response.cookies
        assert "Cookie" not in response.get("Vary", "")

    def test_the_sender_is_the_peer_unless_a_proxy_rule_is_named(self, client, auth):
        forwarded = {"HTTP_X_FORWARDED_FOR": "198.51.100.1, 203.0.113.9"}
        assert post(client, record_fields(), auth, **forwarded).status_code == 201
        with override_settings(REMOTELOG_CLIENT_IP="crm.site.throttling.client_ip_behind_proxy"):
            assert post(client, record_fields(), auth, **forwarded).status_code == 201
        # Behind the proxy, the address it appended; the client's own claim is ignored.
        assert list(LogMessage.objects.order_by("id").values_list("remote_addr", flat=True)) == [
            "127.0.0.1",
            "203.0.113.9",
        ]

    def test_get_with_the_record_in_the_query_string(self, client, auth):
        response = client.get(URL, record_fields(), **auth)
        assert response.status_code == 201
        assert LogMessage.objects.count() == 1

    @pytest.mark.parametrize(
        "credentials",
        [
            None,
            ("datalogger", "wrong"),
            ("other", "SECRET"),
            ("datalogger", ""),
        ],
    )
    def test_missing_or_wrong_credentials_are_refused(self, client, application, credentials):
        if credentials and credentials[1] == "SECRET":
            credentials = (credentials[0], application.secret)
        auth = basic_auth(*credentials) if credentials else {}
        response = post(client, record_fields(), auth)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Basic ")
        assert not LogMessage.objects.exists()

    def test_unknown_and_disabled_slugs_get_the_same_answer(self, client, make_application):
        disabled = make_application("retired", is_active=False)
        wrong = post(client, record_fields(), basic_auth("datalogger", "nope"))
        unknown = post(
            client, record_fields(), basic_auth("nosuch", "x"), url="/remotelog/nosuch/log/"
        )
        retired = post(
            client,
            record_fields(),
            basic_auth("retired", disabled.secret),
            url="/remotelog/retired/log/",
        )
        for response in (unknown, retired):
            assert response.status_code == wrong.status_code == 401
            assert response.content == wrong.content
            assert response["WWW-Authenticate"] == wrong["WWW-Authenticate"]
        assert not LogMessage.objects.exists()

    def test_garbage_authorization_header_is_a_401(self, client, application):
        for header in ("Basic !!!", "Basic " + "w6k=", "Bearer abc", "Basic"):
            response = post(client, record_fields(), {"HTTP_AUTHORIZATION": header})
            assert response.status_code == 401

    def test_open_application_needs_no_credentials(self, client, make_application):
        make_application("lab", is_open=True)
        response = post(client, record_fields(), url="/remotelog/lab/log/")
        assert response.status_code == 201

    @pytest.mark.parametrize("method", ["put", "delete", "patch"])
    def test_other_methods_are_405(self, client, auth, method):
        response = getattr(client, method)(URL, urlencode(record_fields()), **auth)
        assert response.status_code == 405
        assert not LogMessage.objects.exists()

    def test_oversize_record_is_413(self, client, auth, settings):
        settings.REMOTELOG_MAX_BODY = 2000
        response = post(client, record_fields(msg="x" * 2000), auth)
        assert response.status_code == 413
        assert not LogMessage.objects.exists()
        assert post(client, record_fields(msg="x" * 100), auth).status_code == 201

    def test_default_limit_is_64_kib(self, client, auth):
        response = post(client, record_fields(msg="x" * 65 * 1024), auth)
        assert response.status_code == 413

    @pytest.mark.parametrize(
        ("overrides", "reason"),
        [
            ({"levelno": "high"}, "levelno must be an integer"),
            ({"lineno": "4x"}, "lineno must be an integer"),
            ({"created": "yesterday"}, "created must be a number"),
            ({"created": "nan"}, "created must be a finite number"),
            ({"created": "1e300"}, "created is out of range"),
            ({"lineno": str(2**40)}, "lineno is out of range"),
            ({"name": "n" * 300}, "name is longer than 255 characters"),
        ],
    )
    def test_malformed_fields_are_400_with_a_reason(self, client, auth, overrides, reason):
        response = post(client, record_fields(**overrides), auth)
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/plain")
        assert reason in response.content.decode()
        assert not LogMessage.objects.exists()

    def test_a_body_shorter_than_its_content_length_is_400(self, client, auth):
        # The client declared 38 bytes, sent 27 and hung up: what arrived may
        # parse as a record, but it is not the record that was sent.
        body = b"msg=disk+full&levelno=40&na"
        response = post_cut_short(client, URL, body, declared=38, content_type=FORM, auth=auth)
        assert response.status_code == 400
        assert "Content-Length" in response.content.decode()
        assert not LogMessage.objects.exists()

    def test_a_body_that_cannot_be_read_is_400(self, client, auth):
        body = urlencode(record_fields()).encode()
        response = post_cut_short(
            client, URL, body, declared=len(body), content_type=FORM, auth=auth, stream=HungUp()
        )
        assert response.status_code == 400
        assert not LogMessage.objects.exists()

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("levelno", "\u0661\u0662\u0663"),  # Arabic-Indic 123: int() reads it
            ("lineno", "\uff14\uff12"),  # fullwidth 42
            ("thread", "1_000"),
            ("process", " 12 "),
            ("lineno", "12\n"),
            ("created", "\u0661\u0667\u0663\u0663\u0661\u0664\u0662\u0660\u0660\u0660"),
            ("created", "1_733_142_000"),
            ("msecs", " 1.5"),
            ("msecs", "1.5\u00a0"),
            ("relativeCreated", "infinity"),
            ("msecs", "nan"),
            ("created", "-inf"),
        ],
    )
    def test_numbers_are_ascii_decimals_only(self, client, auth, field, value):
        response = post(client, record_fields(**{field: value}), auth)
        assert response.status_code == 400
        reason = response.content.decode()
        assert reason.startswith(f"Malformed record: {field} must be ")
        assert not LogMessage.objects.exists()

    @pytest.mark.parametrize(
        ("field", "value", "stored"),
        [
            ("created", "1733142000.123456", 1733142000.123456),
            ("created", "1733142000", 1733142000.0),
            ("msecs", "123.0", 123.0),
            ("relativeCreated", "1.2e-05", 1.2e-05),
            ("relativeCreated", "5E+2", 500.0),
            ("msecs", ".5", 0.5),
            ("lineno", "-1", -1),
            ("levelno", "+5", 5),
            ("thread", "140234567890123", 140234567890123),
            ("process", "0", 0),
        ],
    )
    def test_numbers_as_the_stock_handler_writes_them(self, client, auth, field, value, stored):
        assert post(client, record_fields(**{field: value}), auth).status_code == 201
        row = LogMessage.objects.get()
        if field == "created":
            assert row.created.timestamp() == pytest.approx(stored, abs=1e-5)
        else:
            assert getattr(row, field) == stored

    def test_a_message_that_would_expand_without_end_is_stored_cut(self, client, auth):
        # The probe's record, scaled to fit the body: 1,000 references to one
        # 10,000-character argument ask for 10 million characters.
        msg, args = "%(a)s" * 1000, repr({"a": "y" * 10_000})
        response = post(client, record_fields(msg=msg, args=args), auth)
        assert response.status_code == 201
        row = LogMessage.objects.get()
        assert len(row.message) == 32 * 1024  # REMOTELOG_MAX_MESSAGE's default
        assert row.message.startswith("yyyy")
        assert row.message.endswith("… [truncated: 10,000,000 characters]")
        assert (row.msg, row.args) == (msg, args)

    @pytest.mark.parametrize(
        ("fields", "size"),
        [
            ({"msg": "x" * 2000, "args": "()"}, 2000),
            ({"msg": "%s" * 2000, "args": "(1,)"}, 4005),  # msg and args side by side
            ({"message": "formatted " * 200}, 2000),  # formatted by the client
        ],
    )
    def test_every_message_is_cut_to_the_setting(self, client, auth, settings, fields, size):
        settings.REMOTELOG_MAX_MESSAGE = 500
        assert post(client, record_fields(**fields), auth).status_code == 201
        message = LogMessage.objects.get().message
        assert len(message) == 500
        assert message.endswith(f"… [truncated: {size:,} characters]")

    def test_missing_msg_is_400(self, client, auth):
        fields = record_fields()
        del fields["msg"]
        response = post(client, fields, auth)
        assert response.status_code == 400
        assert "msg is missing" in response.content.decode()
        assert not LogMessage.objects.exists()

    def test_a_form_that_is_not_urlencoded_is_400(self, client, auth):
        response = client.post(URL, record_fields(), **auth)  # multipart
        assert response.status_code == 400
        assert not LogMessage.objects.exists()

    def test_none_is_null_but_a_logged_none_is_kept(self, client, auth):
        response = post(client, record_fields(msg="None", args="None", funcName="None"), auth)
        assert response.status_code == 201
        row = LogMessage.objects.get()
        assert (row.msg, row.message, row.args, row.funcName) == ("None", "None", None, None)

    def test_nul_characters_are_replaced_not_refused(self, client, auth):
        response = post(client, record_fields(msg="a\x00b", extra_field="c\x00d"), auth)
        assert response.status_code == 201
        row = LogMessage.objects.get()
        assert row.msg == "a\N{REPLACEMENT CHARACTER}b"
        assert row.extra == {"extra_field": "c\N{REPLACEMENT CHARACTER}d"}

    def test_is_exempt_from_csrf_and_login(self, auth, application):
        from django.test import Client

        strict = Client(enforce_csrf_checks=True)
        assert post(strict, record_fields(), auth).status_code == 201


# Field names the stock handler sends, plus anything else.
FIELD_NAMES = st.sampled_from(
    ["msg", "args", "name", "levelno", "levelname", "lineno", "created", "msecs", "thread"]
    + ["process", "exc_text", "exc_info", "funcName", "message", "relativeCreated", "id"]
) | st.text(max_size=20)
FIELD_VALUES = (
    st.text(max_size=60)
    | st.integers().map(str)
    | st.floats(allow_nan=True, allow_infinity=True).map(repr)
    | st.just("None")
)


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(fields=st.dictionaries(FIELD_NAMES, FIELD_VALUES, max_size=12), method=st.booleans())
def test_arbitrary_fields_never_cause_a_500_and_refusals_store_nothing(
    client, auth, fields, method
):
    before = LogMessage.objects.count()
    response = post(client, fields, auth) if method else client.get(URL, fields, **auth)
    assert response.status_code in (201, 400)
    assert LogMessage.objects.count() == before + (response.status_code == 201)
    if response.status_code == 400:
        assert response["Content-Type"].startswith("text/plain")


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=st.binary(max_size=300))
def test_arbitrary_bodies_never_cause_a_500(client, auth, body):
    before = LogMessage.objects.count()
    response = post(client, body, auth)
    assert response.status_code in (201, 400)
    assert LogMessage.objects.count() == before + (response.status_code == 201)
