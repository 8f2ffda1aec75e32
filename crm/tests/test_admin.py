"""The contact book's admin: every list usable at scale."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import ContactRelationship, Phone, RelationshipType
from crm.services import relationship_add

from .factories import make_contact, make_contacts

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "/admin/crm/contact/",
    "/admin/crm/phone/",
    "/admin/crm/address/",
    "/admin/crm/relationshiptype/",
    "/admin/crm/contactrelationship/",
]


def add_rows(count):
    """Add ``count`` contacts with phones and an address, related in pairs, with a type each."""
    contacts = make_contacts(count, prefix=f"Batch{count}")
    for i, contact in enumerate(contacts):
        contact.phones.add(
            Phone.objects.create(number=f"{count} 555 {i:04d}"),
            Phone.objects.create(number=f"{count} 556 {i:04d}"),
        )
    kind = RelationshipType.objects.create(name=f"Kind {count}", slug=f"kind-{count}")
    make_contact(f"City dweller {count}", addresses=[f"Town {count}"])
    for left, right in zip(contacts[::2], contacts[1::2], strict=False):
        relationship_add(contact=left, other=right, types=[kind])


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", CHANGELISTS)
def test_a_changelist_costs_the_same_queries_whatever_it_lists(admin_client, url):
    add_rows(2)
    few = queries(admin_client, url)
    add_rows(20)
    assert queries(admin_client, url) == few


def test_a_contact_change_page_costs_the_same_queries_however_many_relationships(admin_client):
    # Each phone and address row costs one query: the autocomplete widget looks
    # up its current value. A contact has a handful of those; relationships
    # can be many, and they cost nothing per row.
    kind = RelationshipType.objects.create(name="Friend", slug="friend")
    few, many = (
        make_contact(name, phones=[f"555 010{i}"], addresses=["Paris"])
        for i, name in enumerate(["Few Friends", "Many Friends"])
    )
    others = make_contacts(6)
    relationship_add(contact=few, other=others[0], types=[kind])
    for other in others[1:]:
        relationship_add(contact=many, other=other, types=[kind])
    page = f"/admin/crm/contact/{many.pk}/change/"
    queries(admin_client, page)  # Caches the content type, as any earlier page would.
    few_queries = queries(admin_client, f"/admin/crm/contact/{few.pk}/change/")
    assert queries(admin_client, page) == few_queries
    html = admin_client.get(page).content.decode()
    assert all(other.name in html for other in others[1:])


def test_relationships_cannot_be_added_or_changed_one_row_at_a_time(admin_client):
    assert admin_client.get("/admin/crm/contactrelationship/add/").status_code == 403
    add_rows(2)
    row = ContactRelationship.objects.first()
    response = admin_client.post(f"/admin/crm/contactrelationship/{row.pk}/change/", {})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("url", "column"),
    [("/admin/crm/contact/", "phone_count"), ("/admin/crm/phone/", "contact_count")],
)
def test_counts_per_row_are_right_and_the_list_count_joins_nothing(admin_client, url, column):
    shared = Phone.objects.create(number="555 0000", label=Phone.Label.OFFICE)
    make_contact("Two Phones", phones=[shared, "555 0001"])
    make_contact("One Phone", phones=[shared])
    make_contact("No Phone")
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(url)
    shown = {str(row): getattr(row, column) for row in response.context["cl"].result_list}
    if column == "phone_count":
        assert shown == {"Two Phones": 2, "One Phone": 1, "No Phone": 0}
    else:
        assert sorted(shown.values()) == [1, 2]
    # At 100,000 contacts a count over the phone join would group every row.
    counts = [q["sql"] for q in captured if "COUNT(*)" in q["sql"] and "__count" in q["sql"]]
    assert counts and all("JOIN" not in sql for sql in counts), counts
