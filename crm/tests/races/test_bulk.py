"""Bulk actions from several browsers at once, through the real views."""

import pytest
from django.urls import reverse

from crm.models import Address, Contact, Phone, Tag
from crm.tests.factories import make_contact
from locking.testing import test_concurrently

from .clients import logged_in_clients, redirected

pytestmark = pytest.mark.django_db(transaction=True)

BULK = reverse("crm:contact_bulk")
THREADS = 6


@pytest.fixture
def book():
    """Return 30 contacts, each with a phone and an address of its own, and a shared line."""
    office = Phone.objects.create(number="555 0100")
    return [
        make_contact(f"Person {i:02}", phones=[f"555 1{i:03}", office], addresses=[f"City {i}"])
        for i in range(30)
    ]


def assert_no_orphans():
    assert not Phone.objects.filter(contacts=None).exists()
    assert not Address.objects.filter(contacts=None).exists()


def test_overlapping_bulk_deletes_at_once_delete_each_contact_once(user, book):
    clients = logged_in_clients(user, THREADS)
    # Each thread deletes ten contacts; each window overlaps the next by seven; five stay.
    windows = iter([book[i * 3 : i * 3 + 10] for i in range(THREADS)])
    deleted = {contact.pk for i in range(THREADS) for contact in book[i * 3 : i * 3 + 10]}

    @test_concurrently(THREADS)
    def delete():
        ids = [contact.pk for contact in next(windows)]
        redirected(clients.get().post(BULK, {"action": "delete", "ids": ids, "confirmed": "1"}))

    delete()
    assert set(Contact.objects.values_list("pk", flat=True)) == {c.pk for c in book} - deleted
    assert Phone.objects.filter(number="555 0100").exists()
    assert_no_orphans()


def test_tagging_all_while_another_deletes_some_tags_every_survivor(user, book):
    clients = logged_in_clients(user, 2)
    jobs = iter(
        [
            {"action": "tag", "all": "1", "q": "person", "tag_name": "VIP"},
            {"action": "delete", "ids": [c.pk for c in book[::2]], "confirmed": "1"},
        ]
    )

    @test_concurrently(2)
    def act():
        redirected(clients.get().post(BULK, next(jobs)))

    act()
    survivors = set(Contact.objects.all())
    assert survivors == set(book[1::2])
    assert set(Tag.objects.get(name="VIP").contacts.all()) == survivors
    assert_no_orphans()


def test_tagging_with_the_same_new_tag_at_once_creates_one_tag(user, book):
    clients = logged_in_clients(user, THREADS)
    spellings = iter(["VIP", "vip", "Vip"] * THREADS)
    # Disjoint selections: nothing but the new tag's name to race for.
    selections = iter([book[i * 5 : i * 5 + 5] for i in range(THREADS)])

    @test_concurrently(THREADS)
    def tag():
        ids = [contact.pk for contact in next(selections)]
        data = {"action": "tag", "ids": ids, "tag_name": next(spellings)}
        redirected(clients.get().post(BULK, data))

    tag()
    vip = Tag.objects.get()
    assert vip.slug == "vip"
    assert set(vip.contacts.all()) == set(book)
