"""Reads over contacts: search through every email, and rows that cost one query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Contact
from crm.queries import pages
from crm.queries.contacts import decorate
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", ["countess@", "LOVELACE.ORG", "ou"])
def test_search_finds_a_contact_by_any_of_its_emails(query):
    ada = make_contact(email="ada@example.org", emails=["countess@lovelace.org"])
    make_contact("Bob", email="bob@example.org")
    assert list(Contact.objects.search(query)) == [ada]


def test_every_email_url_and_date_in_one_query_primary_email_first():
    ada = make_contact(email="ada@example.org", emails=["ada@work.example"])
    ada.emails.filter(address="ada@work.example").update(label="work")
    # The primary is the second row: it is listed first all the same.
    ada.emails.update(primary=False)
    ada.emails.filter(address="ada@work.example").update(primary=True)
    ada.urls.create(url="https://ada.example.org/", label="blog")
    ada.dates.create(kind="birthday", year=1815, month=12, day=10)
    ada.dates.create(kind="other", label="Met", month=1, day=2)

    with CaptureQueriesContext(connection) as queries:
        row = decorate(Contact.objects.with_everything().get(pk=ada.pk))
    assert len(queries) == 1
    assert [(e["address"], e["label_display"], e["primary"]) for e in row.email_rows] == [
        ("ada@work.example", "Work", True),
        ("ada@example.org", "Home", False),
    ]
    assert [(u["url"], u["label_display"]) for u in row.url_rows] == [
        ("https://ada.example.org/", "Blog")
    ]
    assert [(d.title, d.iso) for d in row.date_rows] == [
        ("Met", "--01-02"),
        ("Birthday", "1815-12-10"),
    ]


def test_a_list_page_costs_one_query_whatever_each_contact_holds():
    for i in range(5):
        contact = make_contact(f"Person {i}", email=f"p{i}@example.org")
        for j in range(i * 3):
            contact.emails.create(address=f"p{i}.{j}@example.org")
    with CaptureQueriesContext(connection) as queries:
        rows = pages.contact_page(Contact.objects.all(), per_page=5).contacts
    assert len(queries) == 1
    assert [row.primary_email for row in rows] == [f"p{i}@example.org" for i in range(5)]
