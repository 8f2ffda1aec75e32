"""The contact list: pages, search and their query budget."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Contact, Email, Phone
from crm.tests.factories import make_contact, make_contacts

pytestmark = pytest.mark.django_db
LIST = reverse("crm:contact_list")


def names(response):
    return [contact.name for contact in response.context["contacts"]]


def link(response, rel):
    """Return the URL of the page's ``rel="next"`` (or "prev") link, or None."""
    found = re.search(f'rel="{rel}" href="([^"]+)"', response.content.decode())
    return html.unescape(found[1]) if found else None


# "555 0" is a phone number, searched by its digits: the names have them too
# ("Office 5550 0001"), so that contacts without phones fill the page as well.
@pytest.mark.parametrize("query", ["", "office", "555 0"])
def test_query_count_does_not_grow_with_page_size_or_phones(logged_in_client, query):
    make_contact("Warm Up", phones=["555 9999"])
    logged_in_client.get(LIST)  # Let the database backend run its one-time feature checks.
    counts = {}
    for phones_each in (0, 5):
        Contact.objects.all().delete()
        Phone.objects.all().delete()
        make_contacts(210, phones_each=phones_each, prefix="Office 5550")
        for per_page in (10, 200):
            with CaptureQueriesContext(connection) as captured:
                response = logged_in_client.get(LIST, {"q": query, "per_page": per_page})
            assert len(response.context["contacts"]) == per_page
            counts[phones_each, per_page] = len(captured)
            # The page's data: one count and one query for the rows with their phones.
            data = [q["sql"] for q in captured if 'FROM "crm_contact"' in q["sql"]]
            assert len(data) == 2, data
    assert len(set(counts.values())) == 1, counts


def test_query_count_does_not_grow_with_emails_per_contact(logged_in_client):
    make_contact("Warm Up", email="warm@example.org")
    logged_in_client.get(LIST)  # Let the database backend run its one-time feature checks.
    counts = {}
    for emails_each in (0, 6):
        Contact.objects.all().delete()
        contacts = make_contacts(60)
        Email.objects.bulk_create(
            Email(contact=contact, address=f"{contact.pk}.{i}@example.org", primary=i == 0)
            for contact in contacts
            for i in range(emails_each)
        )
        with CaptureQueriesContext(connection) as captured:
            response = logged_in_client.get(LIST, {"per_page": 50})
        assert len(response.context["contacts"]) == 50
        counts[emails_each] = len(captured)
        # One count and one query for the rows, each with its primary email.
        data = [q["sql"] for q in captured if 'FROM "crm_contact"' in q["sql"]]
        assert len(data) == 2, data
    assert counts[0] == counts[6], counts
    first = contacts[0]
    assert f"{first.pk}.0@example.org" in response.content.decode()
    assert f"{first.pk}.1@example.org" not in response.content.decode()


def test_a_row_shows_the_primary_email_and_the_title_and_organisation(logged_in_client):
    ada = make_contact("Ada Lovelace", organization="Engines & Co", job_title="Programmer")
    ada.emails.create(address="ada@home.example")
    ada.emails.create(address="ada@work.example", primary=True)
    make_contact("Charles Babbage", organization="Difference Ltd")
    page = logged_in_client.get(LIST).content.decode()
    assert '<a href="mailto:ada@work.example">ada@work.example</a>' in page
    assert "ada@home.example" not in page
    assert '<span class="organization muted">Programmer, Engines &amp; Co</span>' in page
    assert '<span class="organization muted">Difference Ltd</span>' in page


def test_a_page_shows_every_phone_and_city_and_contacts_without_any(logged_in_client):
    make_contact("Ada Lovelace", phones=[f"555 010{i}" for i in range(5)], addresses=["London"])
    make_contact("Charles Babbage")
    response = logged_in_client.get(LIST)
    assert names(response) == ["Ada Lovelace", "Charles Babbage"]
    page = response.content.decode()
    assert page.count(">Ada Lovelace<") == 1
    for i in range(5):
        assert f"555 010{i}" in page
    assert "London" in page
    assert f'href="{Contact.objects.get(name="Ada Lovelace").get_absolute_url()}"' in page
    ada = response.context["contacts"][0]
    assert [p["number"] for p in ada.phone_rows] == [f"555 010{i}" for i in range(5)]


def test_a_row_shows_the_city_of_the_first_address_that_has_one(logged_in_client):
    make_contact("Ada Lovelace", addresses=["", "Paris", "London"])
    make_contact("Charles Babbage", addresses=[""])
    contacts = logged_in_client.get(LIST).context["contacts"]
    assert [(contact.name, contact.city) for contact in contacts] == [
        ("Ada Lovelace", "Paris"),
        ("Charles Babbage", ""),
    ]


def test_the_home_page_is_the_contact_list(logged_in_client):
    make_contact("Ada Lovelace")
    assert names(logged_in_client.get("/")) == ["Ada Lovelace"]


def test_pages_follow_each_other_without_gaps(logged_in_client):
    make_contacts(25, phones_each=2)
    seen, url = [], f"{LIST}?per_page=10"
    while url:
        response = logged_in_client.get(url)
        seen += names(response)
        url = link(response, "next")
    assert seen == [f"Person {i:04d}" for i in range(25)]


def test_page_size_is_bounded_and_bad_input_is_tolerated(logged_in_client):
    make_contacts(3)
    assert len(names(logged_in_client.get(f"{LIST}?per_page=0"))) == 1
    assert logged_in_client.get(f"{LIST}?per_page=999").context["per_page"] == 200
    assert len(names(logged_in_client.get(f"{LIST}?per_page=x&page=x"))) == 3
    assert names(logged_in_client.get(f"{LIST}?page=99&per_page=2")) == [
        "Person 0000",
        "Person 0001",
    ]


def test_empty_book_says_so(logged_in_client):
    page = logged_in_client.get(LIST).content.decode()
    assert "The contact book is empty." in page


@pytest.mark.parametrize("query", ["555 0123", "(555) 01-23", "5550123", "555-01", "+555.0123"])
def test_search_finds_a_phone_whatever_the_punctuation(logged_in_client, query):
    make_contact("Ada Lovelace", phones=["(555) 01-23"])
    make_contact("Charles Babbage", phones=["777 0000"])
    response = logged_in_client.get(LIST, {"q": query})
    assert names(response) == ["Ada Lovelace"]


@pytest.mark.parametrize(
    ("region", "query", "found"),
    [
        ("FR", "0612345678", "Ada Lovelace"),
        ("FR", "06 12 34 56 78", "Ada Lovelace"),
        ("US", "+33 6 12 34 56 78", "Ada Lovelace"),
        ("US", "(200) 000-0682", "Charles Babbage"),
        ("US", "1-200-000-0682", "Charles Babbage"),
        # Partial numbers still match on digits.
        ("US", "0682", "Charles Babbage"),
        ("FR", "12 34 56", "Ada Lovelace"),
    ],
)
def test_search_by_a_national_format_finds_an_international_number(
    logged_in_client, settings, region, query, found
):
    settings.CRM_PHONE_REGION = region
    make_contact("Ada Lovelace", phones=["+33 6 12 34 56 78"])
    make_contact("Charles Babbage", phones=["+1 (200) 000-0682"])
    make_contact("Grace Hopper", phones=["777 0000"])
    assert names(logged_in_client.get(LIST, {"q": query})) == [found]


def test_search_by_a_french_national_format_outside_france_finds_no_french_number(
    logged_in_client,
):
    make_contact("Ada Lovelace", phones=["+33 6 12 34 56 78"])
    assert names(logged_in_client.get(LIST, {"q": "0612345678"})) == []


@pytest.mark.parametrize("query", ["ada", "LOVELACE", "analytical.org", "lond", "oV"])
def test_search_by_name_email_or_city_ignores_case(logged_in_client, query):
    make_contact("Ada Lovelace", email="ada@analytical.org", addresses=["London"])
    make_contact("Charles Babbage", email="charles@example.org", addresses=["Paris"])
    assert names(logged_in_client.get(LIST, {"q": query})) == ["Ada Lovelace"]


def test_search_lists_a_contact_once_however_many_things_match(logged_in_client):
    make_contact("London Office", phones=["555 1000", "555 1001"], addresses=["London", "London"])
    assert names(logged_in_client.get(LIST, {"q": "London"})) == ["London Office"]
    assert names(logged_in_client.get(LIST, {"q": "555 10"})) == ["London Office"]


def test_search_without_matches_says_so_and_escapes_the_query(logged_in_client):
    make_contact("Ada Lovelace")
    response = logged_in_client.get(LIST, {"q": "<b>nobody</b>"})
    page = response.content.decode()
    assert "No contact matches" in page
    assert "<b>nobody</b>" not in page and "&lt;b&gt;nobody&lt;/b&gt;" in page


def test_page_links_keep_the_search(logged_in_client):
    make_contacts(30)
    response = logged_in_client.get(LIST, {"q": "person", "per_page": 10})
    assert link(response, "next").startswith("?q=person&per_page=10&after=")


def test_the_last_page_is_in_order(logged_in_client):
    make_contacts(23)
    response = logged_in_client.get(f"{LIST}?per_page=10&page=last")
    assert names(response) == [f"Person {i:04d}" for i in range(13, 23)]
    response = logged_in_client.get(link(response, "prev"))
    assert names(response) == [f"Person {i:04d}" for i in range(3, 13)]


@pytest.mark.parametrize("url", [LIST, "/contacts/export.csv", "/contacts/export.vcf"])
def test_a_nul_character_in_the_search_is_not_an_error(logged_in_client, url):
    make_contact("Ada Lovelace")
    response = logged_in_client.get(url, {"q": "ada\x00"})
    assert response.status_code == 200
    # The list marks "Ada": the rest of the name follows the mark.
    assert b"Ada Lovelace" in response.getvalue().replace(b"</mark>", b"")
