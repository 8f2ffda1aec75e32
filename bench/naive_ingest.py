"""
The naive reference for bench/ingest.py: remote logging as it was first written in 2009.

One view stores a record sent by `logging.handlers.HTTPHandler` the obvious way:
read the application by its slug, then ``LogMessage.objects.create(**fields)``
from the POSTed fields. It lives here, not in the app, and is mounted only by
``bench.settings`` (``ROOT_URLCONF``), next to the site's own URLs, so that
both run under the same server, settings and middleware.
"""

import base64
import binascii
import datetime

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from remotelog.models import Application, LogMessage

# The record attributes that have a column, the way a 2009 view would list them.
COLUMNS = {
    field.attname
    for field in LogMessage._meta.concrete_fields
    if field.attname not in {"id", "application_id", "group_id", "client_id"}
}


def password(request):
    """Return the password of the request's HTTP Basic credentials, or ''."""
    kind, _, encoded = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    try:
        decoded = base64.b64decode(encoded).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[2] if kind.lower() == "basic" else ""


# The same checks ours makes before storing: a program's credentials, no CSRF token.
@csrf_exempt
@login_not_required
def naive_log_record(request, app_slug):
    """Store one POSTed record with one `create()`; answer 201."""
    application = get_object_or_404(Application, slug=app_slug, is_active=True)
    if not application.check_secret(password(request)):
        return HttpResponse("Unauthorized.\n", status=401)
    fields = {
        key: None if value == "None" else value
        for key, value in request.POST.items()
        if key in COLUMNS
    }
    fields["created"] = datetime.datetime.fromtimestamp(float(fields["created"]), datetime.UTC)
    fields["message"] = fields.get("message") or fields["msg"]
    fields["remote_addr"] = request.META.get("REMOTE_ADDR")
    LogMessage.objects.create(application=application, **fields)
    return HttpResponse("Stored.\n", status=201)


urlpatterns = [
    path("naive/<slug:app_slug>/log/", naive_log_record),
    path("", include("crm.urls")),
]
