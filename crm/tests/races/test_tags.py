"""Many browsers saving contacts with the same new tag at once, through the real form."""

import pytest
from django.urls import reverse

from crm.models import Contact, Tag
from crm.tests.views.test_contact_form import form_data
from locking.testing import test_concurrently

from .clients import logged_in_clients, redirected

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20
SPELLINGS = ["VIP", "vip", "Vip", " VIP "]


def test_twenty_new_contacts_with_the_same_new_tag_share_exactly_one_tag(user):
    clients = logged_in_clients(user, THREADS)
    turns = iter(range(THREADS))

    @test_concurrently(THREADS)
    def create():
        turn = next(turns)
        data = form_data(f"Person {turn:02}", tags=f"{SPELLINGS[turn % 4]}, Friend {turn % 2}")
        redirected(clients.get().post(reverse("crm:contact_create"), data))

    create()
    assert sorted(Tag.objects.values_list("slug", flat=True)) == ["friend-0", "friend-1", "vip"]
    assert Tag.objects.get(slug="vip").contacts.count() == THREADS == Contact.objects.count()
