"""The tags index and a tag's page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Tag
from crm.tests.factories import make_contact, make_contacts

pytestmark = pytest.mark.django_db


@pytest.fixture
def vip(db):
    return Tag.objects.create(name="VIP", slug="vip")


def test_contact_page_links_its_tags(logged_in_client, ada, vip):
    ada.tags.add(vip)
    page = logged_in_client.get(reverse("crm:contact_detail", args=[ada.pk])).content.decode()
    assert '<a class="tag" href="/contacts/tags/vip/">VIP</a>' in page


def test_tag_page_lists_its_contacts(logged_in_client, ada, charles, vip):
    ada.tags.add(vip)
    make_contact("Grace Hopper", phones=["+1 212 555 0100"]).tags.add(vip)
    response = logged_in_client.get("/contacts/tags/vip/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>VIP</h1>" in page
    assert "Ada Lovelace" in page and "Grace Hopper" in page and "+1 212 555 0100" in page
    assert "Charles Babbage" not in page


def query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_tag_page_costs_the_same_whatever_its_size(logged_in_client, vip):
    url = reverse("crm:tag_detail", args=["vip"])
    many = make_contacts(60, phones_each=2)
    vip.contacts.add(*many[:3])
    few = query_count(logged_in_client, url)
    vip.contacts.add(*many[3:])
    assert query_count(logged_in_client, url) == few
    assert query_count(logged_in_client, url + "?page=2") == few


def test_unknown_tag_is_404(logged_in_client):
    assert logged_in_client.get("/contacts/tags/nope/").status_code == 404


def test_tags_index_counts_contacts_in_one_query(logged_in_client, ada, charles, vip):
    ada.tags.add(vip, Tag.objects.create(name="Supplier", slug="supplier"))
    charles.tags.add(vip)
    Tag.objects.create(name="Unused", slug="unused")
    with CaptureQueriesContext(connection) as queries:
        response = logged_in_client.get(reverse("crm:tag_list"))
    tags = [(tag.name, tag.contact_count) for tag in response.context["tags"]]
    assert tags == [("Supplier", 1), ("Unused", 0), ("VIP", 2)]
    assert len([q for q in queries if "crm_tag" in q["sql"]]) == 1
