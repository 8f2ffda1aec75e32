"""
The site's URLs plus a write operation for the tests of authentication and
history, until the API has its own: it runs behind the same authentication,
rate limit and problems as every operation of ``crm.api.site``, under /api/.
"""

from django.db import transaction
from django.urls import path
from ninja import Schema
from pydantic import Field

from crm.api import problems
from crm.api.access import require
from crm.api.auth import AUTH
from crm.api.limits import RateLimit
from crm.api.site import ContactBookAPI, public
from crm.permissions import CHANGE
from crm.services.contacts import contact_save
from crm.urls import urlpatterns as site_urlpatterns
from crm.visibility import visible_contact_or_404

tests_api = ContactBookAPI(
    title="Tests",
    urls_namespace="api-tests",
    openapi_url=None,
    docs_url=None,
    auth=AUTH,
    throttle=[RateLimit()],
)
problems.install(tests_api)


class Name(Schema):
    name: str = Field(min_length=1, max_length=100)


class Renamed(Schema):
    id: int
    name: str


@tests_api.post("/contacts/{contact_id}/name", response={200: Renamed, **problems.ERRORS})
def contact_rename(request, contact_id: int, body: Name):
    """Rename a contact, through the contact book's save."""
    require(request, CHANGE)
    with transaction.atomic():
        contact = visible_contact_or_404(request.user, contact_id)
        contact.name = body.name
        contact_save(contact=contact, phones=[], addresses=[])
    return contact


urlpatterns = [path("api/tests/", public(tests_api.urls)), *site_urlpatterns]
