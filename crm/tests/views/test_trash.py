"""The trash page: the contacts deleted, newest first; restore; delete for good."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Contact, Phone
from crm.services.duplicates import contact_merge
from crm.services.trash import contact_trash
from crm.tests.factories import make_contact
from crm.views import trash

pytestmark = pytest.mark.django_db

TRASH = reverse("crm:trash_list")


def restore_url(contact):
    return reverse("crm:trash_restore", args=[contact.pk])


def delete_url(contact):
    return reverse("crm:trash_delete", args=[contact.pk])


def names(response):
    return [contact.name for contact in response.context["contacts"]]


def test_deleting_from_the_contact_page_puts_it_in_the_trash(logged_in_client, user):
    ada = make_contact("Ada Lovelace", phones=["555 0100"])
    logged_in_client.post(reverse("crm:contact_delete", args=[ada.pk]))
    page = logged_in_client.get(TRASH)
    assert names(page) == ["Ada Lovelace"]
    html = page.content.decode()
    assert user.get_username() in html
    assert f'action="{restore_url(ada)}"' in html and f'href="{delete_url(ada)}"' in html


def test_the_trash_lists_newest_first_searches_and_pages(logged_in_client, monkeypatch):
    monkeypatch.setattr(trash, "PER_PAGE", 2)
    now = timezone.now()
    for i, name in enumerate(["Ada Lovelace", "Bob Smith", "Cy Young"]):
        contact = make_contact(name)
        contact_trash(contact=contact)
        Contact.all_objects.filter(pk=contact.pk).update(
            trashed=now - datetime.timedelta(hours=3 - i)
        )
    make_contact("Dora Live")
    assert names(logged_in_client.get(TRASH)) == ["Cy Young", "Bob Smith"]
    assert names(logged_in_client.get(TRASH, {"page": "2"})) == ["Ada Lovelace"]
    assert names(logged_in_client.get(TRASH, {"q": "smith"})) == ["Bob Smith"]
    assert (
        "No contact in the trash matches"
        in logged_in_client.get(TRASH, {"q": "dora"}).content.decode()
    )


def test_the_trash_page_costs_the_same_queries_whatever_it_holds(logged_in_client, user):
    counts = []
    for size in (1, 20):
        for i in range(size):
            contact_trash(contact=make_contact(f"Person {size} {i}"), by=user)
        with CaptureQueriesContext(connection) as queries:
            assert logged_in_client.get(TRASH).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_an_empty_trash_says_so(logged_in_client):
    assert "The trash is empty." in logged_in_client.get(TRASH).content.decode()


def test_restore_brings_it_back_and_returns_to_the_same_page(logged_in_client, messages_of):
    ada = make_contact("Ada Lovelace")
    contact_trash(contact=ada)
    assert logged_in_client.get(restore_url(ada)).status_code == 405
    response = logged_in_client.post(restore_url(ada), {"back": "q=ada&page=1&evil=//x"})
    assert response.url == f"{TRASH}?q=ada&page=1"
    assert list(Contact.objects.all()) == [ada]
    page = logged_in_client.get(response.url)
    url = ada.get_absolute_url()
    assert messages_of(page) == [f'<a href="{url}">Ada Lovelace</a> is back.']
    assert logged_in_client.get(url).status_code == 200
    # A second restore (another tab) finds it out of the trash.
    assert logged_in_client.post(restore_url(ada)).status_code == 404


def test_delete_for_good_asks_then_deletes(logged_in_client, messages_of):
    ada = make_contact("Ada Lovelace", phones=["555 0100"])
    contact_trash(contact=ada)
    page = logged_in_client.get(delete_url(ada), {"back": "q=ada"}).content.decode()
    assert "Delete Ada Lovelace for good?" in page
    assert f'href="{TRASH}?q=ada"' in page  # Cancel
    assert Contact.all_objects.exists()
    response = logged_in_client.post(delete_url(ada), {"back": "q=ada"})
    assert response.url == f"{TRASH}?q=ada"
    assert messages_of(logged_in_client.get(TRASH)) == ["Ada Lovelace was deleted for good."]
    assert not Contact.all_objects.exists() and not Phone.objects.exists()
    assert logged_in_client.post(delete_url(ada)).status_code == 404


def test_live_and_merged_away_contacts_are_not_in_the_trash(logged_in_client):
    keep, duplicate = make_contact("Ada Lovelace"), make_contact("Ada Lovelace")
    contact_merge(keep=keep, duplicate=duplicate)
    assert names(logged_in_client.get(TRASH)) == []
    for contact in (keep, duplicate):
        assert logged_in_client.post(restore_url(contact)).status_code == 404
        assert logged_in_client.get(delete_url(contact)).status_code == 404
    assert Contact.all_objects.count() == 2


def test_the_menu_links_to_the_trash(logged_in_client):
    html = logged_in_client.get(reverse("crm:contact_list")).content.decode()
    assert f'<a href="{TRASH}">Trash</a>' in html
