"""Tags typed in the contact form: set, created ignoring case, removed."""

import pytest
from django.urls import reverse

from crm.models import Contact, Tag
from crm.tests.views.test_contact_form import NEW, form_data

pytestmark = pytest.mark.django_db


def tag_names(contact):
    return sorted(tag.name for tag in contact.tags.all())


def test_new_contact_gets_its_tags(logged_in_client):
    logged_in_client.post(NEW, form_data(tags=" VIP,  Supplier  , ,vip "))
    contact = Contact.objects.get(name="Ada Lovelace")
    assert tag_names(contact) == ["Supplier", "VIP"]
    assert sorted(Tag.objects.values_list("slug", flat=True)) == ["supplier", "vip"]


def test_a_tag_is_found_whatever_its_case(logged_in_client, ada):
    Tag.objects.create(name="VIP", slug="vip")
    logged_in_client.post(reverse("crm:contact_edit", args=[ada.pk]), form_data(tags="vip"))
    assert tag_names(ada) == ["VIP"]
    assert Tag.objects.count() == 1


def test_edit_shows_and_removes_tags(logged_in_client, ada):
    ada.tags.add(Tag.objects.create(name="VIP", slug="vip"), Tag.objects.create(name="A", slug="a"))
    url = reverse("crm:contact_edit", args=[ada.pk])
    assert 'value="A, VIP"' in logged_in_client.get(url).content.decode()
    logged_in_client.post(url, form_data(tags="VIP"))
    assert tag_names(ada) == ["VIP"]
    logged_in_client.post(url, form_data(tags=""))
    assert tag_names(ada) == []
    assert Tag.objects.count() == 2  # a tag outlives its last contact


def test_a_new_tag_whose_slug_is_taken_gets_another(logged_in_client, ada):
    Tag.objects.create(name="V.I.P.", slug="vip")
    logged_in_client.post(reverse("crm:contact_edit", args=[ada.pk]), form_data(tags="VIP"))
    assert [(t.name, t.slug) for t in ada.tags.all()] == [("VIP", "vip-2")]
