"""The contact list's "last interaction": shown in each row, sorted by both ways."""

import datetime
import html
import re

import pytest
from django.db import connection
from django.urls import reverse

from crm.models import Contact
from crm.queries import pages
from crm.services.timeline import entry_add
from crm.tests.factories import make_contacts

pytestmark = pytest.mark.django_db
LIST = reverse("crm:contact_list")
T = datetime.datetime(2026, 5, 4, 10, 30, tzinfo=datetime.UTC)


def names(response):
    return [contact.name for contact in response.context["contacts"]]


def link(response, rel):
    found = re.search(f'rel="{rel}" href="([^"]+)"', response.content.decode())
    return html.unescape(found[1]) if found else None


def walk(client, url, rel):
    seen = []
    while url:
        response = client.get(url)
        seen.append(names(response))
        url = link(response, rel)
    return seen, response


@pytest.fixture
def book(db):
    """17 contacts: every third without an interaction, the others in days that tie."""
    contacts = make_contacts(17)
    for i, contact in enumerate(contacts):
        if i % 3:
            Contact.objects.filter(pk=contact.pk).update(
                last_interaction=T + datetime.timedelta(days=i % 4)
            )
    return contacts


def expected(descending):
    rows = Contact.objects.values_list("name", "last_interaction", "pk")
    met = sorted((row for row in rows if row[1]), key=lambda row: (row[1], row[2]))
    never = sorted((row for row in rows if not row[1]), key=lambda row: row[2])
    if descending:
        met, never = met[::-1], never[::-1]
    return [row[0] for row in met + never]


@pytest.mark.parametrize("sort", ["last_interaction", "-last_interaction"])
def test_contacts_without_an_interaction_come_last_both_ways_page_after_page(
    logged_in_client, book, sort
):
    order = expected(sort.startswith("-"))
    assert [c.name for c in Contact.objects.order_by(*pages.ordering(sort))] == order
    forward, end = walk(logged_in_client, f"{LIST}?sort={sort}&per_page=4", "next")
    assert [name for page in forward for name in page] == order
    backward, _ = walk(logged_in_client, link(end, "prev"), "prev")
    assert backward[::-1] == forward[:-1]
    last, _ = walk(logged_in_client, f"{LIST}?sort={sort}&per_page=4&page=last", "prev")
    assert [name for page in last[::-1] for name in page] == order


def test_each_row_shows_its_last_interaction(logged_in_client, user):
    met, never = make_contacts(2)
    entry_add(contacts=[met], author=user, kind="call", at=T)
    page = logged_in_client.get(LIST).content.decode()
    assert '<th scope="col">Last interaction</th>' in page
    assert f'<time datetime="{T.isoformat()}">' in page
    assert page.count('class="last-interaction"><time') == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
@pytest.mark.parametrize(
    ("sort", "index"),
    [
        ("last_interaction", "crm_contact_interaction_sort"),
        ("-last_interaction", "crm_contact_interaction_desc"),
    ],
)
def test_the_sort_reads_its_index(book, sort, index):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_contact")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    plan = Contact.objects.order_by(*pages.ordering(sort)).values("pk")[:5].explain()
    assert f"Index Scan Backward using {index}" in plan or f"Index Scan using {index}" in plan, plan
    cursor_values = pages.SORTS["last_interaction"].key_values(
        [None, book[0].pk], descending=sort.startswith("-")
    )
    past = Contact.objects.filter(
        pages.GreaterThan(
            pages.Row(
                *pages.SORTS["last_interaction"].expressions(descending=sort.startswith("-"))
            ),
            pages.Row(*cursor_values),
        )
    )
    plan = past.order_by(*pages.ordering(sort)).values("pk")[:5].explain()
    assert index in plan and "Index Cond" in plan, plan
