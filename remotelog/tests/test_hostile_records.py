"""
Both log endpoints under hostile input: never a 5xx, a refusal stores nothing,
an acceptance stores what it says, and no stored field outgrows its bound.
"""

import io
import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from remotelog.conf import settings as remotelog_settings
from remotelog.models import LogMessage
from remotelog.records import MAX_DEPTH, MAX_LENGTHS, TEXT_FIELDS

from .test_batch_endpoint import nested

FIELD_NAMES = st.sampled_from(
    ["msg", "args", "message", "name", "levelname", "levelno", "lineno", "created", "msecs"]
    + ["relativeCreated", "thread", "process", "exc_text", "exc_info", "stack_info", "funcName"]
) | st.text(max_size=8)
# Cheap long strings: hypothesis would take long to draw them character by character.
LONG = st.integers(1, 30_000).map(lambda size: "y" * size)
TEXT = st.text(max_size=20) | LONG | st.sampled_from(["None", "", "\x00", "\N{GRINNING FACE}"])
DIGITS = st.text(st.characters(categories=["Nd"]), min_size=1, max_size=6)
NUMBER_TEXT = (
    st.integers().map(str)
    | st.floats().map(repr)
    | DIGITS
    | st.sampled_from([" 12 ", "1_000", "nan", "-inf", "1e999", "+5", "-0", ".5", "5.", "0x1f"])
)
CONVERSION = st.sampled_from(
    ["%s", "%r", "%a", "%d", "%f", "%x", "%c", "%%", "%", "%(a)s", "%(b)r", "%(a)d"]
    + ["%.999f", "%999s", "%1001s", "%*d", "%(a(b))s", "%-5.2s", "%(z)s"]
)
# Format strings with many references: a few conversions repeated up to 3,000 times.
FORMAT = st.tuples(st.lists(CONVERSION | st.text(max_size=4), max_size=5), st.integers(1, 3000))
FORMAT = FORMAT.map(lambda parts: "".join(parts[0]) * parts[1])
ARGUMENT = st.text(max_size=10) | LONG | st.integers() | st.floats() | st.binary(max_size=5)
ARGS = st.one_of(
    st.lists(ARGUMENT, max_size=4).map(lambda values: repr(tuple(values))),
    st.dictionaries(st.sampled_from("abz"), ARGUMENT, max_size=3).map(repr),
    st.sampled_from(["()", "None", "[]", "(", "(<object object at 0x7f>,)", "(" * 300]),
    st.text(max_size=20),
)
# The probe's record and its kin: one long argument referenced thousands of times.
AMPLIFIER = st.tuples(
    st.sampled_from(["%(a)s", "%(a)r", "%(a)a", "%(a)-9s|", "%(a).5s", "%(a)s%%"]),
    st.integers(100, 3000),
    st.integers(1000, 30_000),
).map(lambda parts: (parts[0] * parts[1], repr({"a": "\N{GRINNING FACE}y" * (parts[2] // 2)})))
MSG_AND_ARGS = AMPLIFIER | st.tuples(FORMAT | TEXT, ARGS)
# How far the declared Content-Length is from the body: mostly exact.
DECLARED = st.sampled_from([0, 0, 0, 0, 1, 27, -1, -10])

HYPOTHESIS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def depth(value):
    """Return how many levels of lists and objects ``value`` nests."""
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


def post(client, url, body, content_type, auth, declared):
    """POST ``body`` under a Content-Length ``declared`` bytes off its length."""
    return client.generic(
        "POST",
        url,
        body,
        content_type=content_type,
        CONTENT_LENGTH=str(len(body) + declared),
        **{"wsgi.input": io.BytesIO(body)},
        **auth,
    )


def check(response, *, before, last_id, body_limit):
    """Assert the invariants of an answer; return the rows it stored."""
    assert response.status_code < 500
    event(f"answered {response.status_code}")
    rows = list(LogMessage.objects.filter(pk__gt=last_id))
    if response.status_code != 201:
        assert 400 <= response.status_code < 500
        assert LogMessage.objects.count() == before
        return rows
    for row in rows:
        event("message cut" if "[truncated:" in row.message else "message whole")
        assert len(row.message) <= remotelog_settings.MAX_MESSAGE
        for field in TEXT_FIELDS:
            assert len(getattr(row, field) or "") <= MAX_LENGTHS.get(field, body_limit), field
        assert depth(row.extra) <= MAX_DEPTH + 1  # the extra fields' own object, then theirs
    return rows


def last_id():
    return LogMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.mark.django_db
@HYPOTHESIS
@given(
    fields=st.dictionaries(FIELD_NAMES, TEXT | NUMBER_TEXT, max_size=10),
    msg_and_args=MSG_AND_ARGS,
    method=st.sampled_from(["POST", "POST", "GET"]),
    declared=DECLARED,
)
def test_single_record_endpoint(client, auth, fields, msg_and_args, method, declared):
    fields = {**fields, "msg": msg_and_args[0], "args": msg_and_args[1]}
    before, newest = LogMessage.objects.count(), last_id()
    url = "/remotelog/datalogger/log/"
    if method == "GET":
        response = client.get(url, fields, **auth)
    else:
        body = urlencode(fields).encode()
        form = "application/x-www-form-urlencoded"
        response = post(client, url, body, form, auth, declared)
    rows = check(response, before=before, last_id=newest, body_limit=remotelog_settings.MAX_BODY)
    if response.status_code == 201:
        assert len(rows) == 1
        assert method == "GET" or declared <= 0


JSON_SCALAR = st.none() | st.booleans() | st.integers() | st.floats() | TEXT | NUMBER_TEXT
JSON_VALUE = JSON_SCALAR | st.integers(0, 40).map(nested) | st.lists(JSON_SCALAR, max_size=3)
JSON_VALUE |= st.dictionaries(st.text(max_size=4), JSON_SCALAR, max_size=3)


@st.composite
def batch_records(draw):
    """Return a record as the batch takes it, or almost: any JSON in any field."""
    msg, args = draw(MSG_AND_ARGS | st.tuples(JSON_VALUE, JSON_VALUE))
    record = draw(st.dictionaries(FIELD_NAMES, JSON_VALUE, max_size=4)) | {"msg": msg, "args": args}
    if draw(st.booleans()):
        record["id"] = draw(st.uuids().map(lambda uuid: uuid.hex) | JSON_VALUE)
    return record


RECORDS = st.lists(batch_records(), max_size=4)


@pytest.mark.django_db
@HYPOTHESIS
@given(
    records=st.integers(0, 4).flatmap(lambda choice: RECORDS if choice else JSON_VALUE),
    declared=DECLARED,
)
def test_batch_endpoint(client, auth, records, declared):
    before, newest = LogMessage.objects.count(), last_id()
    body = json.dumps(records).encode()
    response = post(
        client, "/remotelog/datalogger/batch/", body, "application/json", auth, declared
    )
    rows = check(
        response, before=before, last_id=newest, body_limit=remotelog_settings.BATCH_MAX_BODY
    )
    if response.status_code == 201:
        assert len(rows) == response.json()["stored"]
        assert declared <= 0
