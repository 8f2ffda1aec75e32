"""The batch endpoint: all or nothing, and a retried batch never duplicates."""

import base64
import http.client
import json
import logging
import math
import threading
import time
import uuid
from urllib.parse import urlparse

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remotelog.models import LogMessage
from remotelog.records import record_values

from .conftest import HungUp, basic_auth, post_cut_short

URL = "/remotelog/datalogger/batch/"


def make_record(index=0, **overrides):
    record = logging.LogRecord(
        "app.batch", logging.INFO, "/srv/batch.py", 7, "record %d of %s", (index, "batch"), None
    )
    fields = dict(record.__dict__)
    fields["args"] = list(record.args)
    fields["id"] = uuid.uuid4().hex
    fields.update(overrides)
    return fields


def nested(levels, leaf="deep"):
    """Return ``leaf`` inside ``levels`` lists: [[["deep"]]] is nested 3 levels."""
    value = leaf
    for _ in range(levels):
        value = [value]
    return value


def with_nested_json(records, levels):
    """Return the batch's JSON with each "NESTED" value written ``levels`` lists deep."""
    # Written as text: json.dumps itself recurses, and fails in the test near 1,000 levels.
    return json.dumps(records).replace('"NESTED"', "[" * levels + '"deep"' + "]" * levels)


def send(client, records, auth, url=URL):
    body = records if isinstance(records, str | bytes) else json.dumps(records)
    return client.post(url, body, content_type="application/json", **auth)


@pytest.mark.django_db
class TestBatch:
    def test_stores_every_record_and_says_how_many(self, client, auth, application):
        records = [make_record(index) for index in range(5)]
        response = send(client, records, auth)
        assert response.status_code == 201
        assert response.json() == {"stored": 5, "duplicates": 0}
        rows = LogMessage.objects.order_by("id")
        assert [row.message for row in rows] == [f"record {i} of batch" for i in range(5)]
        assert [row.client_id for row in rows] == [record["id"] for record in records]
        assert all(row.application == application for row in rows)
        assert rows[0].created.timestamp() == pytest.approx(records[0]["created"], abs=1e-5)

    def test_retry_stores_only_what_is_new(self, client, auth):
        records = [make_record(index) for index in range(4)]
        send(client, records[:3], auth)
        response = send(client, records, auth)
        assert response.json() == {"stored": 1, "duplicates": 3}
        assert LogMessage.objects.count() == 4

    def test_repeated_id_within_a_batch_is_a_duplicate(self, client, auth):
        record = make_record()
        response = send(client, [record, record, make_record(id=None)], auth)
        assert response.json() == {"stored": 2, "duplicates": 1}

    def test_ids_belong_to_their_application(self, client, auth, make_application):
        other = make_application("other")
        record = make_record()
        send(client, [record], auth)
        response = send(
            client, [record], basic_auth("other", other.secret), url="/remotelog/other/batch/"
        )
        assert response.json() == {"stored": 1, "duplicates": 0}

    def test_scalars_other_than_strings_are_kept_as_text(self, client, auth):
        records = [make_record(msg=5, args=None), make_record(msg=True, args=None)]
        records.append(make_record(msg=None, args=None, funcName=None))
        assert send(client, records, auth).json() == {"stored": 3, "duplicates": 0}
        rows = LogMessage.objects.order_by("id")
        assert [row.message for row in rows] == ["5", "True", "None"]
        assert rows[2].funcName is None

    def test_one_bad_record_refuses_the_whole_batch(self, client, auth):
        records = [make_record(index) for index in range(4)]
        records[2]["levelno"] = "loud"
        response = send(client, records, auth)
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/plain")
        assert "Record 2: levelno must be an integer" in response.content.decode()
        assert not LogMessage.objects.exists()

    @pytest.mark.parametrize(
        ("body", "reason"),
        [
            ("{", "not valid JSON"),
            ('{"msg": "x"}', "JSON array"),
            ("[1]", "Record 0: not a JSON object"),
            ('[{"msg": "x", "id": {"a": 1}}]', "Record 0: id must be a string"),
            ('[{"msg": "x", "id": ""}]', "Record 0: id must be 1 to 64 characters"),
            ('[{"msg": "x"}, {"name": "y"}]', "Record 1: msg is missing"),
            ('[{"msg": ["a"]}]', "Record 0: msg must be a string"),
            ('[{"msg": "x", "levelno": "\u0661\u0662\u0663"}]', "Record 0: levelno must be"),
            ('[{"msg": "x", "created": " 1.5 "}]', "Record 0: created must be"),
            ("[" * 100_000, "not valid JSON"),
        ],
    )
    def test_malformed_batches_are_400(self, client, auth, body, reason):
        response = send(client, body, auth)
        assert response.status_code == 400
        assert reason in response.content.decode()
        assert not LogMessage.objects.exists()

    def test_a_body_shorter_than_its_content_length_is_400(self, client, auth):
        # What arrived is complete JSON, but the client declared more and hung up.
        body = json.dumps([make_record()]).encode()
        response = post_cut_short(
            client, URL, body, declared=len(body) + 10, content_type="application/json", auth=auth
        )
        assert response.status_code == 400
        assert "Content-Length" in response.content.decode()
        assert not LogMessage.objects.exists()

    def test_a_body_that_cannot_be_read_is_400(self, client, auth):
        body = json.dumps([make_record()]).encode()
        response = post_cut_short(
            client,
            URL,
            body,
            declared=len(body),
            content_type="application/json",
            auth=auth,
            stream=HungUp(),
        )
        assert response.status_code == 400
        assert not LogMessage.objects.exists()

    @pytest.mark.parametrize("levels", [33, 600, 900])
    def test_an_extra_field_nested_too_deep_is_400_naming_the_record(self, client, auth, levels):
        records = [make_record(index) for index in range(4)]
        records[3]["x"] = {"a": "NESTED"}
        response = send(client, with_nested_json(records, levels - 1), auth)
        assert response.status_code == 400
        reason = "Record 3: extra field 'x' is nested deeper than 32 levels."
        assert reason in response.content.decode()
        assert not LogMessage.objects.exists()

    def test_an_extra_field_nested_32_levels_is_stored(self, client, auth):
        value = {"a": nested(31)}
        assert send(client, [make_record(x=value)], auth).status_code == 201
        assert LogMessage.objects.get().extra["x"] == value

    @pytest.mark.parametrize(
        ("field", "levels", "reason"),
        [
            ("args", 900, "Record 0: args is nested deeper than 32 levels."),
            ("message", 900, "Record 0: message must be a string."),
        ],
    )
    def test_deep_args_or_message_are_400(self, client, auth, field, levels, reason):
        body = with_nested_json([make_record(**{field: "NESTED"})], levels)
        response = send(client, body, auth)
        assert response.status_code == 400
        assert reason in response.content.decode()
        assert not LogMessage.objects.exists()

    def test_messages_that_would_expand_without_end_are_stored_cut(self, client, auth):
        # A 120 KB batch asked for 400 million characters; this one for 40 million.
        records = [
            make_record(index, msg="%(a)s" * 2000, args=repr({"a": "y" * 10_000}))
            for index in range(2)
        ]
        assert send(client, records, auth).json() == {"stored": 2, "duplicates": 0}
        for row in LogMessage.objects.all():
            assert len(row.message) == 32 * 1024
            assert row.message.endswith("… [truncated: 20,000,000 characters]")
            assert row.msg == "%(a)s" * 2000

    def test_args_sent_as_a_list_are_no_longer_than_the_body(self, client, auth, settings):
        settings.REMOTELOG_BATCH_MAX_BODY = 8000
        numbers = "[" + ",".join(["9e15"] * 1000) + "]"  # 5 bytes a number, 20 characters in repr
        body = json.dumps([make_record(args="NUMBERS")]).replace('"NUMBERS"', numbers)
        assert len(body) < 8000
        assert send(client, body, auth).status_code == 201
        row = LogMessage.objects.get()
        assert len(row.args) == 8000
        assert row.args.startswith("(9000000000000000.0, 9000000000000000.0, ")
        assert row.args.endswith("… [truncated: 20,000 characters]")

    def test_not_json_content_type_is_400(self, client, auth):
        response = client.post(URL, json.dumps([make_record()]), content_type="text/plain", **auth)
        assert response.status_code == 400

    def test_too_many_records_is_413(self, client, auth, settings):
        settings.REMOTELOG_BATCH_MAX_RECORDS = 3
        response = send(client, [make_record(i) for i in range(4)], auth)
        assert response.status_code == 413
        assert not LogMessage.objects.exists()
        assert send(client, [make_record(i) for i in range(3)], auth).status_code == 201

    def test_too_large_body_is_413(self, client, auth, settings):
        settings.REMOTELOG_BATCH_MAX_BODY = 5000
        response = send(client, [make_record(msg="x" * 5000)], auth)
        assert response.status_code == 413
        assert not LogMessage.objects.exists()

    def test_default_limits(self, client, auth):
        assert send(client, [{"msg": "x"}] * 501, auth).status_code == 413
        big = [make_record(msg="x" * 1024 * 1024)]
        assert send(client, big, auth).status_code == 413

    def test_needs_credentials(self, client, application):
        assert send(client, [make_record()], {}).status_code == 401
        wrong = basic_auth("datalogger", "nope")
        response = send(client, [make_record()], wrong)
        assert response.status_code == 401
        assert "WWW-Authenticate" in response
        assert not LogMessage.objects.exists()

    @pytest.mark.parametrize("method", ["get", "put", "delete"])
    def test_only_post(self, client, auth, method):
        assert getattr(client, method)(URL, **auth).status_code == 405


def post_raw(live_server, application, records, read_answer=True):
    """POST a batch over a fresh connection; with read_answer=False, hang up unanswered."""
    connection = http.client.HTTPConnection(urlparse(live_server.url).netloc, timeout=10)
    token = base64.b64encode(f"{application.slug}:{application.secret}".encode()).decode()
    body = json.dumps(records).encode()
    connection.request(
        "POST",
        f"/remotelog/{application.slug}/batch/",
        body,
        {"Content-Type": "application/json", "Authorization": f"Basic {token}"},
    )
    if not read_answer:
        connection.close()
        return None
    response = connection.getresponse()
    answer = (response.status, json.loads(response.read()))
    connection.close()
    return answer


@pytest.mark.django_db(transaction=True)
def test_batch_retried_after_a_lost_answer_leaves_no_duplicates(live_server, application):
    records = [make_record(index) for index in range(50)]
    # The client hangs up before reading the answer, as if the network dropped it.
    post_raw(live_server, application, records, read_answer=False)
    for _ in range(200):
        if LogMessage.objects.count() == 50:
            break
        time.sleep(0.05)
    assert LogMessage.objects.count() == 50
    # Not knowing, the client sends the same batch again.
    assert post_raw(live_server, application, records) == (201, {"stored": 0, "duplicates": 50})
    assert LogMessage.objects.count() == 50


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_batch_store_it_once(live_server, application):
    records = [make_record(index) for index in range(100)]
    answers = []

    def retry():
        answers.append(post_raw(live_server, application, records))

    threads = [threading.Thread(target=retry) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert LogMessage.objects.count() == 100
    assert {status for status, _ in answers} == {201}
    assert sum(answer["stored"] for _, answer in answers) == 100
    assert sum(answer["duplicates"] for _, answer in answers) == 300


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
RECORD = st.dictionaries(
    st.sampled_from(["msg", "args", "name", "levelno", "lineno", "created", "id", "process"])
    | st.text(max_size=10),
    JSON_SCALARS | st.lists(JSON_SCALARS, max_size=3),
    max_size=8,
)


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(RECORD, max_size=4) | JSON_SCALARS)
def test_arbitrary_batches_never_cause_a_500_and_refusals_store_nothing(client, auth, batch):
    before = LogMessage.objects.count()
    response = send(client, json.dumps(batch), auth)
    assert response.status_code in (201, 400)
    after = LogMessage.objects.count()
    if response.status_code == 201:
        assert after - before == response.json()["stored"]
    else:
        assert after == before


JSON_VALUES = st.recursive(
    JSON_SCALARS.filter(lambda value: not isinstance(value, float) or math.isfinite(value)),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children)
    ),
    max_leaves=6,
)


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    text=st.text(max_size=40),
    number=st.integers(-(2**63), 2**63 - 1),
    real=st.floats(allow_nan=False, allow_infinity=False),
    extra=JSON_VALUES,
)
def test_batch_values_are_stored_exactly(client, auth, application, text, number, real, extra):
    # Text with backslashes, tabs and newlines, the widest integers, any finite
    # float, nested extra fields: stored as the ORM stores the same values.
    record = make_record(msg=text, pathname=text, thread=number, msecs=real, custom=extra)
    fields = {key: value for key, value in record.items() if key != "id"}
    values = record_values(fields, remote_addr="203.0.113.9", received=timezone.now())
    expected = LogMessage.objects.create(application=application, **values)
    expected.refresh_from_db()
    assert send(client, [record], auth).status_code == 201
    row = LogMessage.objects.get(client_id=record["id"])
    for name in ("msg", "pathname", "thread", "msecs", "message", "extra", "created"):
        assert getattr(row, name) == getattr(expected, name), name
