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

from .auth import authenticate, grant_for, remembered_grant, unauthorized
from .charts import daily_periods, hourly_periods, level_chart
from .conf import settings
from .models import Application, LogMessage
from .records import InvalidRecord, record_values
from .services import log_message_store, log_messages_store


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


def declared_body(request, size):
    """
    Return the request's body when all ``size`` declared bytes arrived, else None.

    A client that hangs up mid-body leaves a prefix that may still parse (a
    urlencoded record, a complete JSON array): storing it would store a record
    that was never sent. A connection that breaks while reading raises OSError
    (Django's UnreadablePostError is one).
    """
    try:
        body = request.body
    except OSError:
        return None
    return body if len(body) == size else None


SHORT_BODY = "The body ended before its Content-Length: nothing stored."


# Programs, not browsers, call these two views: no session, so no CSRF token, and
# they authenticate with their own credentials instead of a login.
@csrf_exempt
@login_not_required
def log_record(request, app_slug):
    """
    Store one record sent by `logging.handlers.HTTPHandler` (GET or POST).

    Answer 201 once the row is committed; 400, 401, 405 or 413 with a plain-text
    reason and nothing stored otherwise.

    The hot path is one query: credentials that match what this process knows
    of the application skip the look-up, and the INSERT itself checks that the
    application is still active with that secret. Anything else (a first
    request, a wrong secret, a refused insert, a refusal for another reason)
    asks the database first, so the answers are those of `authenticate`.
    """
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    grant = remembered_grant(request, app_slug)
    if grant is None:
        application = authenticate(request, app_slug)
        if application is None:
            return unauthorized()
        grant = grant_for(application)

    def refuse(reason, status):
        # What this process knew may be stale: a 401 goes before any other refusal.
        if authenticate(request, app_slug) is None:
            return unauthorized()
        return text_response(reason, status)

    limit = settings.MAX_BODY
    if request.method == "GET":
        size = len(request.META.get("QUERY_STRING", ""))
    else:
        size = body_length(request)
        if size is None:
            return refuse("Content-Length is not a number.", 400)
        content_type = request.content_type
        if content_type != "application/x-www-form-urlencoded":
            return refuse(
                "Send the record as application/x-www-form-urlencoded, "
                "as logging.handlers.HTTPHandler does.",
                400,
            )
    if size > limit:
        return refuse(f"The record is over the {limit}-byte limit.", 413)
    try:
        if request.method == "GET":
            # WSGI hands the query string over as Latin-1 text: its bytes, as for request.GET.
            fields = form_fields(request.META.get("QUERY_STRING", "").encode("iso-8859-1"))
        else:
            body = declared_body(request, size)
            if body is None:
                return refuse(SHORT_BODY, 400)
            fields = form_fields(body)
    except SuspiciousOperation as error:
        return refuse(f"Malformed record: {error}", 400)
    try:
        values = record_values(
            fields,
            remote_addr=sender_address(request),
            received=timezone.now(),
        )
    except InvalidRecord as error:
        return refuse(f"Malformed record: {error}.", 400)
    # One INSERT in autocommit mode: committed when it returns.
    if not log_message_store(grant=grant, values=values):
        # Disabled, rotated or no longer open since this process looked: look again.
        application = authenticate(request, app_slug)
        if application is None or not log_message_store(
            grant=grant_for(application), values=values
        ):
            return unauthorized()
    return text_response("Stored.", 201)


@csrf_exempt
@login_not_required
def log_batch(request, app_slug):
    """
    Store a JSON array of records all or nothing; answer 201 with what was stored.

    The README's "Batch endpoint" section is the contract clients rely on.
    """
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    application = authenticate(request, app_slug)
    if application is None:
        return unauthorized()
    size = body_length(request)
    if size is None:
        return text_response("Content-Length is not a number.", 400)
    limit = settings.BATCH_MAX_BODY
    if size > limit:
        return text_response(f"The batch is over the {limit}-byte limit.", 413)
    if request.content_type != "application/json":
        return text_response("Send the batch as application/json.", 400)
    body = declared_body(request, size)
    if body is None:
        return text_response(SHORT_BODY, 400)
    try:
        records = json.loads(body)
    except (ValueError, RecursionError):
        return text_response("The body is not valid JSON.", 400)
    if not isinstance(records, list):
        return text_response("The body must be a JSON array of records.", 400)
    most = settings.BATCH_MAX_RECORDS
    if len(records) > most:
        return text_response(f"A batch holds at most {most} records.", 413)
    received = timezone.now()
    remote_addr = sender_address(request)
    max_message = settings.MAX_MESSAGE
    rows = []
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            return text_response(f"Record {index}: not a JSON object.", 400)
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
            return text_response(f"Record {index}: {error}.", 400)
    stored, duplicates = log_messages_store(application=application, rows=rows)
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
