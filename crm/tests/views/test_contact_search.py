"""The contact list searched by words: its matches marked, odd queries answered, two queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Address, Tag
from crm.services.search import contact_search_refresh
from crm.tests.factories import make_contact, make_contacts

pytestmark = pytest.mark.django_db
LIST = reverse("crm:contact_list")


def names(response):
    return [contact.name for contact in response.context["contacts"]]


@pytest.fixture
def costa():
    office = Address.objects.create(street="12 Rua Augusta", city="Lisboa", postal_code="1100-048")
    ada = make_contact(
        "Ada Costa",
        organization="Cortiça Ltda",
        job_title="Engenheira",
        email="ada.costa@cortica.example",
        phones=["+351 21 234 5678"],
        addresses=[office],
    )
    ada.tags.add(Tag.objects.create(name="Fornecedor", slug="fornecedor"))
    contact_search_refresh(ids=[ada.pk])
    make_contact("Ada Lovelace", email="ada@example.org")
    return ada


def test_words_in_any_order_find_the_contact_and_are_marked_in_every_cell(logged_in_client, costa):
    response = logged_in_client.get(LIST, {"q": "costa ADA cortica"})
    assert names(response) == ["Ada Costa"]
    page = response.content.decode()
    assert "<mark>Ada</mark> <mark>Costa</mark></a>" in page
    assert "Engenheira, <mark>Cortiça</mark> Ltda" in page
    assert "><mark>ada</mark>.<mark>costa</mark>@<mark>cortica</mark>.example</a>" in page
    assert 'href="mailto:ada.costa@cortica.example"' in page  # the link itself unmarked


@pytest.mark.parametrize(
    ("query", "marked"),
    [
        ("lisboa", '<td data-label="City"><mark>Lisboa</mark></td>'),
        ("234 5678", '<span class="phone-number">+351 21 <mark>234 5678</mark></span>'),
        ("engenheira", '<span class="organization muted"><mark>Engenheira</mark>, Cortiça'),
    ],
)
def test_matches_are_marked_in_the_city_phone_and_title(logged_in_client, costa, query, marked):
    assert marked in logged_in_client.get(LIST, {"q": query}).content.decode()


@pytest.mark.parametrize("query", ["augusta", "1100-048", "fornecedor", "rua ada"])
def test_fields_the_list_does_not_show_find_the_contact_too(logged_in_client, costa, query):
    assert names(logged_in_client.get(LIST, {"q": query})) == ["Ada Costa"]


def test_a_name_with_markup_is_escaped_around_its_marks(logged_in_client):
    make_contact("<script>alert('Müller')</script>")
    page = logged_in_client.get(LIST, {"q": "muller"}).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;<mark>Müller</mark>&#x27;)&lt;/script&gt;" in page


def test_a_query_of_punctuation_only_says_there_is_nothing_to_search(logged_in_client, costa):
    response = logged_in_client.get(LIST, {"q": "!!! ... --"})
    assert response.status_code == 200
    assert names(response) == []
    page = response.content.decode()
    assert "“!!! ... --” has no letters or digits to search for." in page
    assert "No contact matches" in page


def test_a_query_of_a_thousand_words_searches_the_first_ten_and_says_so(logged_in_client, costa):
    query = " ".join(["costa", "ada", *(f"ada{i}" for i in range(998))])
    response = logged_in_client.get(LIST, {"q": query})
    assert response.status_code == 200 and names(response) == []
    assert "Only the first 10 words were searched for." in response.content.decode()
    query = " ".join(f"word{i}" for i in range(1000))
    with CaptureQueriesContext(connection) as captured:
        response = logged_in_client.get(LIST, {"q": query})
    assert response.status_code == 200 and names(response) == []
    data = [q["sql"] for q in captured if 'FROM "crm_contact"' in q["sql"]]
    assert len(data) <= 2 and all(sql.count("LIKE") <= 10 for sql in data), data


@pytest.mark.parametrize("query", ["person", "0004 person", "person 0004 555", "+1 (555) 0004"])
def test_a_word_search_costs_a_count_and_one_query_whatever_the_page_size(logged_in_client, query):
    make_contacts(120, phones_each=2)
    logged_in_client.get(LIST)  # the backend's one-time feature checks
    counts = set()
    for per_page in (10, 100):
        with CaptureQueriesContext(connection) as captured:
            response = logged_in_client.get(LIST, {"q": query, "per_page": per_page})
        assert names(response)
        data = [q["sql"] for q in captured if 'FROM "crm_contact"' in q["sql"]]
        assert len(data) <= 2, data
        counts.add(len(captured))
    assert len(counts) == 1, counts


def test_the_export_of_a_word_search_has_the_same_contacts(logged_in_client, costa):
    response = logged_in_client.get(reverse("crm:contact_export_csv"), {"q": "costa ada"})
    rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(rows) == 2 and "Ada Costa" in rows[1]
