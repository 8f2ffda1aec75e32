"""Workflows of the contact book."""

import pytest
from django.urls import reverse

from crm.models import Address, Contact, Phone
from crm.services.contacts import contact_save, phone_link_or_create
from crm.services.trash import contact_destroy, contact_trash
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db


def test_phone_link_or_create_links_the_same_digits():
    first = phone_link_or_create(number="(555) 01-23")
    again = phone_link_or_create(number="555 0123")
    assert again.pk == first.pk
    assert again.number == "(555) 01-23"


def test_contact_save_retypes_an_unshared_number_and_labels_only_its_own_links():
    office = Phone.objects.create(number="555 0100")
    charles = make_contact("Charles Babbage", phones=[(office, "office")])
    ada = make_contact("Ada Lovelace", phones=["555 0200"])
    shared = contact_save(
        contact=ada, phones=[("555-0200", "home"), ("555-0100", "mobile")], addresses=[]
    )
    assert shared == [office]
    # Ada's own number takes her spelling; the shared one keeps its own.
    assert dict(Phone.objects.values_list("digits", "number")) == {
        "5550200": "555-0200",
        "5550100": "555 0100",
    }
    assert list(ada.phone_links.order_by("pk").values_list("phone__number", "label")) == [
        ("555-0200", "home"),
        ("555 0100", "mobile"),
    ]
    assert list(charles.phone_links.values_list("label", flat=True)) == ["office"]
    again = contact_save(contact=ada, phones=[("555 0100", "mobile")], addresses=[])
    assert again == []  # Said once, when the line was linked.


def test_delete_for_good_keeps_a_shared_phone_and_removes_an_unshared_one():
    office = Phone.objects.create(number="555 0100")
    charles = make_contact("Charles Babbage", phones=[office], addresses=["Paris"])
    ada = make_contact("Ada Lovelace", phones=["555 0200", office], addresses=["London"])
    charles.addresses.add(Address.objects.create(city="Shared City"))
    ada.addresses.add(Address.objects.get(city="Shared City"))
    contact_trash(contact=ada)
    # In the trash, Ada keeps everything she holds.
    assert Phone.objects.count() == 2 and Address.objects.count() == 3
    contact_destroy(contact=ada)
    assert list(Phone.objects.values_list("number", flat=True)) == ["555 0100"]
    assert list(charles.phones.all()) == [office]
    assert set(Address.objects.values_list("city", flat=True)) == {"Paris", "Shared City"}


def test_delete_page_asks_then_moves_to_the_trash(logged_in_client):
    ada = make_contact("Ada Lovelace", phones=["555 0200"])
    url = reverse("crm:contact_delete", args=[ada.pk])
    page = logged_in_client.get(url).content.decode()
    assert "Move Ada Lovelace to the trash?" in page
    assert Contact.objects.exists()
    response = logged_in_client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("crm:contact_list")
    trash = reverse("crm:trash_list")
    assert (
        f'Ada Lovelace was moved to the <a href="{trash}">trash</a>.' in response.content.decode()
    )
    assert not Contact.objects.exists() and Phone.objects.exists()
    assert Contact.all_objects.get().trashed is not None


def test_phone_link_or_create_links_the_same_number_in_another_format():
    first = phone_link_or_create(number="+1 (200) 000-0682")
    for number in ["200 000 0682", "(200) 000-0682", "+1-200-000-0682"]:
        assert phone_link_or_create(number=number).pk == first.pk
    assert Phone.objects.get().number == "+1 (200) 000-0682"


def test_contact_save_keeps_a_number_retyped_in_another_format_as_typed():
    ada = make_contact("Ada Lovelace", phones=["200 000 0682"])
    phone = ada.phones.get()
    contact_save(contact=ada, phones=[("+1 (200) 000-0682", "mobile")], addresses=[])
    assert list(ada.phones.values_list("pk", "number")) == [(phone.pk, "+1 (200) 000-0682")]
