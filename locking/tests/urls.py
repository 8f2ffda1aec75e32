"""The site's URLs plus views that run into a lock, for the middleware's tests."""

from django.http import HttpResponse
from django.urls import path

from crm.models import Contact
from crm.urls import urlpatterns as site_urlpatterns
from locking import LockNotAvailable, require_lock


def busy(request):
    raise LockNotAvailable("always busy")


def create_contact(request):
    with require_lock(Contact, mode="SHARE ROW EXCLUSIVE", nowait=True):
        Contact.objects.create(name=request.POST["name"])
    return HttpResponse("Created", status=201)


def fails(request):
    raise RuntimeError("not a lock")


urlpatterns = [
    *site_urlpatterns,
    path("busy/", busy),
    path("contacts/create/", create_contact),
    path("fails/", fails),
]
