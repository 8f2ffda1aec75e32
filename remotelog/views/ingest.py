"""The endpoints programs send records to, and the overview page for staff."""

import ipaddress
import json
from urllib.parse import parse_qsl

from django.conf import settings as django_settings
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation, TooManyFieldsSent
from django.core.validators import slug_re
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt

from .. import grants
from ..charts import daily_periods, hourly_periods, level_chart
from ..conf import settings
from ..models import Application, LogMessage
from ..records import InvalidRecord, record_values
from ..services import log_message_store, log_messages_store


def text_response(text, status):
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


def sender_address(request):
    """Return the sender's IP address, or None when it is not an IP address."""
    if settings.CLIENT_IP:
        address = import_string(settings.CLIENT_IP)(request) or ""
    else:
        address = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def form_fields(data):
    """
    Return the fields of a urlencoded ``data`` (str or bytes) as a dict, as QueryDict reads it.

    Like ``QueryDict(data)``: UTF-8 (else Latin-1) whatever the client's charset
    says (the stock handler sends UTF-8), blank values kept, more than
    DATA_UPLOAD_MAX_NUMBER_FIELDS fields refused; a field sent twice keeps its
    last value, like ``QueryDict[key]``. Without QueryDict's lists of values,
    which cost a third of a record's parsing.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            data = data.decode("iso-8859-1")
    try:
        return dict(
            parse_qsl(
                data,
                keep_blank_values=True,
                encoding="utf-8",
                max_num_fields=django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
            )
        )
    except ValueError as error:
        raise TooManyFieldsSent(
            "The number of GET/POST parameters exceeded settings.DATA_UPLOAD_MAX_NUMBER_FIELDS."
        ) from error


def body_length(request):
    """Return the declared Content-Length (0 when absent), or None when it is not a number."""
    try:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    return size if size >= 0 else None


class Refused(Exception):
    """The request is answered with ``status`` and ``reason`` (plain text), nothing stored."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status, self.reason = status, reason


def declared_body(request, limit, what):
    """
    Return the request's body, exactly its declared Content-Length, or raise `Refused`.

    A client that hangs up mid-body leaves a prefix that may still parse (a
    urlencoded record, a complete JSON array): storing it would store a record
    that was never sent. A connection that breaks while reading raises OSError
    (Django's UnreadablePostError is one).
    """
    size = body_length(request)
    if size is None:
        raise Refused(400, "Content-Length is not a number.")
    if size > limit:
        raise Refused(413, f"The {what} is over the {limit}-byte limit.")
    try:
        body = request.body
    except OSError:
        body = None
    if body is None or len(body) != size:
        raise Refused(400, "The body ended before its Content-Length: nothing stored.")
    return body


def record_fields(request):
    """Return the fields of the stock handler's record: the query string or the form body."""
    if request.method == "GET":
        query = request.META.get("QUERY_STRING", "")
        if len(query) > settings.MAX_BODY:
            raise Refused(413, f"The record is over the {settings.MAX_BODY}-byte limit.")
        # WSGI hands the query string over as Latin-1 text: its bytes, as for request.GET.
        data = query.encode("iso-8859-1")
    elif request.content_type != "application/x-www-form-urlencoded":
        raise Refused(
            400,
            "Send the record as application/x-www-form-urlencoded, "
            "as logging.handlers.HTTPHandler does.",
        )
    else:
        data = declared_body(request, settings.MAX_BODY, "record")
    try:
        return form_fields(data)
    except SuspiciousOperation as error:
        raise Refused(400, f"Malformed record: {error}") from None


def batch_rows(request):
    """Return the rows of a JSON batch of records, or raise `Refused` naming the record."""
    if request.content_type != "application/json":
        raise Refused(400, "Send the batch as application/json.")
    body = declared_body(request, settings.BATCH_MAX_BODY, "batch")
    try:
        records = json.loads(body)
    except (ValueError, RecursionError):
        raise Refused(400, "The body is not valid JSON.") from None
    if not isinstance(records, list):
        raise Refused(400, "The body must be a JSON array of records.")
    if len(records) > settings.BATCH_MAX_RECORDS:
        raise Refused(413, f"A batch holds at most {settings.BATCH_MAX_RECORDS} records.")
    received, remote_addr = timezone.now(), sender_address(request)
    max_message = settings.MAX_MESSAGE
    rows = []
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise Refused(400, f"Record {index}: not a JSON object.")
        client_id = record.pop("id", None)
        try:
            rows.append(
                record_values(
                    record,
                    remote_addr=remote_addr,
                    received=received,
                    client_id=client_id,
                    max_message=max_message,
                )
            )
        except InvalidRecord as error:
            raise Refused(400, f"Record {index}: {error}.") from None
    return rows


def refusal(request, app_slug, grant, refused):
    """
    Answer ``refused``, or 401 if the credentials no longer hold.

    Refusals come in this order, for both endpoints: 405 for the method, 401 for
    the credentials as the database has them, then 413 or 400 for what was
    sent. A grant only remembered by this process is read again before any
    other refusal, so a 401 always goes first.
    """
    if not grant.checked and grants.grant(request, app_slug, fresh=True) is None:
        return grants.unauthorized()
    return text_response(refused.reason, refused.status)


# Programs, not browsers, call these two views: no session, so no CSRF token, and
# they authenticate with their own credentials instead of a login.
@csrf_exempt
@login_not_required
def log_record(request, app_slug):
    """
    Store one record sent by `logging.handlers.HTTPHandler` (GET or POST).

    Answer 201 once the row is committed, else the refusal (see `refusal`). The
    hot path is one query on PostgreSQL: the function call that re-checks the
    grant, groups the record and stores it (`log_message_store`).
    """
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    grant = grants.grant(request, app_slug)
    if grant is None:
        return grants.unauthorized()
    try:
        values = record_values(
            record_fields(request), remote_addr=sender_address(request), received=timezone.now()
        )
    except Refused as refused:
        return refusal(request, app_slug, grant, refused)
    except InvalidRecord as error:
        return refusal(request, app_slug, grant, Refused(400, f"Malformed record: {error}."))
    # Committed when it returns: one statement in autocommit mode, or (SQLite) a
    # transaction of its own.
    if not log_message_store(grant=grant, values=values):
        # Disabled, rotated or no longer open since this process looked: look again.
        grant = grants.grant(request, app_slug, fresh=True)
        if grant is None or not log_message_store(grant=grant, values=values):
            return grants.unauthorized()
    return text_response("Stored.", 201)


@csrf_exempt
@login_not_required
def log_batch(request, app_slug):
    """
    Store a JSON array of records all or nothing; answer 201 with what was stored.

    remotelog/README.md's "Batch endpoint" section is the contract clients rely on.
    """
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    grant = grants.grant(request, app_slug, fresh=True)
    if grant is None:
        return grants.unauthorized()
    try:
        rows = batch_rows(request)
    except Refused as refused:
        return refusal(request, app_slug, grant, refused)
    stored, duplicates = log_messages_store(grant=grant, rows=rows)
    return JsonResponse({"stored": stored, "duplicates": duplicates}, status=201)


@staff_member_required
def overview(request):
    """Chart records per level per hour for the last day and per day for the last 30 days."""
    applications = Application.objects.order_by("name")
    slug = request.GET.get("app", "")
    # Only a well-formed slug reaches the database (PostgreSQL refuses NUL).
    application = applications.filter(slug=slug).first() if slug_re.match(slug) else None
    rows = LogMessage.objects.all()
    if application is not None:
        rows = rows.filter(application=application)
    now = timezone.now()
    charts = []
    for kind, periods, title, label_format, label_every in (
        ("hour", hourly_periods(now), "Per hour, last 24 hours", "%H:00", 3),
        ("day", daily_periods(now), "Per day, last 30 days", "%d %b", 5),
    ):
        counts = rows.count_per_period_and_level(kind, since=periods[0][0], until=periods[-1][1])
        charts.append(
            level_chart(
                title=title,
                periods=periods,
                counts=counts,
                label_format=label_format,
                label_every=label_every,
                application=application,
            )
        )
    return render(
        request,
        "remotelog/overview.html",
        {"charts": charts, "applications": applications, "application": application},
    )
